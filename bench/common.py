"""What every benchmark shares: the machine it ran on, figures with their peer, and one JSON shape.

A figure a reader can trust says what it was compared with in the same run. Each benchmark
builds its figures with :func:`figure` (value, peer, ratio, target, whether it was met), prints
them with :func:`print_figures`, and writes them with :func:`write_json` to
``bench/out/{name}.json``, ``name`` being the script's stem (``page_http_benchmark``).
``bench/report.py`` makes the README's performance table from those files only, so no figure is
ever copied by hand. The shape (``SCHEMA`` = 1)::

    {"schema": 1, "benchmark": "page_http_benchmark", "title": "...", "command": "...",
     "finished": "2026-12-07T01:00:00+00:00",
     "machine": {"cores": 2, "memory_gib": 23.4, "load_average_at_start": [1.2, 0.9, 0.8],
                 "python": "3.11.2", "platform": "Linux-..."},
     "figures": [{"what": "initiative page, 4 clients", "value": 512.3, "unit": "req/s",
                  "better": "higher", "peer": "uncached", "peer_value": 80.1, "ratio": 6.4,
                  "target": 5.0, "target_of": "ratio", "met": true}],
     "details": {...}}

``target_of`` says what the target bounds: ``"ratio"`` (value / peer_value) or ``"value"``
itself; ``better`` says which way is good for both (``"lower"`` for times and time ratios), so
``met`` is computed here, the same way for every benchmark.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
SCHEMA = 1


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def machine() -> dict[str, Any]:
    """Cores, memory and load average now: call it at the start of a run."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "load_average_at_start": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def describe_machine(info: dict[str, Any]) -> str:
    load = " / ".join(f"{x:g}" for x in info.get("load_average_at_start") or []) or "?"
    return (
        f"{info.get('cores')} cores, {info.get('memory_gib')} GiB memory, "
        f"load average {load} (1/5/15 min) at start"
    )


def figure(
    what: str,
    value: float,
    unit: str,
    *,
    better: str = "higher",
    peer: str | None = None,
    peer_value: float | None = None,
    target: float | None = None,
    target_of: str = "ratio",
) -> dict[str, Any]:
    """One figure with its peer and target; ``ratio`` and ``met`` computed, never typed in."""
    if better not in ("higher", "lower") or target_of not in ("ratio", "value"):
        raise ValueError(f"better={better!r}, target_of={target_of!r}")
    ratio = value / peer_value if peer_value else None
    met: bool | None = None
    if target is not None:
        bound = ratio if target_of == "ratio" else value
        if bound is not None:
            met = bound >= target if better == "higher" else bound <= target
    return {
        "what": what,
        "value": value,
        "unit": unit,
        "better": better,
        "peer": peer,
        "peer_value": peer_value,
        "ratio": None if ratio is None else float(f"{ratio:.4g}"),
        "target": target,
        "target_of": target_of,
        "met": met,
    }


def ratio_text(ratio: float) -> str:
    """Two decimals, or two significant digits for a ratio far below 1 (0.0094×)."""
    return f"{ratio:.2f}×" if abs(ratio) >= 0.1 else f"{ratio:.2g}×"


def format_figure(f: dict[str, Any]) -> str:
    text = f"{f['what']}: {f['value']:,.1f} {f['unit']}"
    if f.get("peer") is not None and f.get("peer_value") is not None:
        text += f"; peer {f['peer']} {f['peer_value']:,.1f} {f['unit']}"
    if f.get("ratio") is not None:
        text += f"; ratio {ratio_text(f['ratio'])}"
    if f.get("target") is not None:
        op = ">=" if f["better"] == "higher" else "<="
        mark = {True: "met", False: "NOT met", None: "not measured"}[f.get("met")]
        text += f"; target {f['target_of']} {op} {f['target']:g}: {mark}"
    return text


def print_figures(figures: list[dict[str, Any]]) -> None:
    for f in figures:
        print("  " + format_figure(f))


def write_json(
    name: str,
    figures: list[dict[str, Any]],
    *,
    title: str,
    machine_info: dict[str, Any],
    details: dict[str, Any] | None = None,
    out: Path | None = None,
) -> Path:
    """Write ``bench/out/{name}.json`` in the shared shape; returns the path."""
    doc = {
        "schema": SCHEMA,
        "benchmark": name,
        "title": title,
        "command": "python " + " ".join([_relative(sys.argv[0]), *sys.argv[1:]]),
        "finished": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "machine": machine_info,
        "figures": figures,
        "details": details or {},
    }
    path = out or OUT / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _relative(arg: str) -> str:
    try:
        return str(Path(arg).resolve().relative_to(REPO))
    except ValueError:
        return arg


def stop(proc: subprocess.Popen[Any], timeout: float = 20) -> None:
    """End a server the benchmark started: terminate, and kill it if it has not ended within
    ``timeout`` seconds (a benchmark never leaves a server behind)."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
