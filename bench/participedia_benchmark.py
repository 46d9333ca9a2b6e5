"""`kiemen load` of a full Participedia export (issue #15: under 30 s on the 2-core machine).

Writes a full export in Participedia's real format (bench/participedia_export.py: 2,500 cases,
1,500 methods, 850 organisations by default, every language, keys and labels, brace lists),
loads the bundled data into a fresh store, then times ``kiemen load FOLDER`` as a separate
process: reading, mapping, streaming SHACL validation, provenance, indexes and the atomic
publish. Prints the figure, the machine and the summary lines the loader prints, and writes
them as JSON to ``bench/out/participedia-<time>.json``.

    .venv/bin/python bench/participedia_benchmark.py
    .venv/bin/python bench/participedia_benchmark.py --cases 500 --methods 300 --orgs 170
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from participedia_export import write_full_export  # noqa: E402

BASE = "http://kiemen.bench/"
LIMIT_S = 30.0


def kiemen(args: list[str], store: Path) -> dict[str, Any]:
    """Wall and CPU seconds, peak RSS, output and timed progress lines of one ``kiemen`` run.

    CPU seconds (user + system) say what the load costs even when other work shares the
    machine; wall seconds are what a user waits.
    """
    env = dict(os.environ, KIEMEN_STORE=str(store), KIEMEN_BASE_URI=BASE)
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        lines = [(time.perf_counter() - started, line.rstrip()) for line in proc.stderr]
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        stdout = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        tail = "\n".join(text for _t, text in lines[-20:])
        raise SystemExit(f"kiemen {' '.join(args)} failed:\n{tail}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": usage.ru_maxrss // 1024,
        "stdout": stdout.strip().splitlines(),
        "progress": [f"{t:6.1f}s {text}" for t, text in lines],
    }


def machine() -> dict[str, object]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_1m_at_start": round(load[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2500)
    ap.add_argument("--methods", type=int, default=1500)
    ap.add_argument("--orgs", type=int, default=850)
    opts = ap.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory(prefix="kiemen-pp-bench-") as tmp:
        folder = Path(tmp) / "export"
        rows = write_full_export(folder, cases=opts.cases, methods=opts.methods, orgs=opts.orgs)
        size = sum(f.stat().st_size for f in folder.iterdir())
        store = Path(tmp) / "store"
        bundled = kiemen(["load"], store)
        run = kiemen(["load", str(folder)], store)
    wall = float(run["wall_s"])
    summary = [line.split("s ", 1)[1] for line in run["progress"] if "Participedia:" in line]
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {**info, "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
        "rows": rows,
        "export_bytes": size,
        "bundled_load": {k: bundled[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")},
        "participedia_load": run,
        "limit_s": LIMIT_S,
        "within_limit": wall < LIMIT_S,
        "summary": summary,
    }
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"participedia-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"machine: {info['cpus']} CPUs, {info['platform']}, Python {info['python']}, "
        f"load average {info['load_average_1m_at_start']} at start"
    )
    print(f"export: {rows} rows, {size / 1e6:.1f} MB")
    print(*run["progress"], sep="\n")
    print(*run["stdout"], sep="\n")
    verdict = "within" if wall < LIMIT_S else "OVER"
    print(
        f"kiemen load of the full export: {wall:.1f} s wall, {run['cpu_s']} s CPU, "
        f"peak {run['peak_rss_mb']} MB ({verdict} the {LIMIT_S:.0f} s limit); "
        f"load average {result['machine']['load_average_1m_at_end']} at the end"
    )


if __name__ == "__main__":
    main()
