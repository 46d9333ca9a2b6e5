"""`kiemen load` against raw pyoxigraph ``bulk_load`` of the same triples, in one run.

For each size the synthetic initiatives of bench/generate.py are written as N-Triples, then
loaded twice in separate processes: once with pyoxigraph's ``Store.bulk_load`` into an empty
on-disk store (the peer: no validation, no provenance, no indexes, not atomic), once with
``kiemen load FILE --graph bench`` into a store that already holds the bundled data (streaming
SHACL validation of every focus node, provenance, the index hooks, atomic publish). It prints
triples per second for both, the ratio, each process's peak memory, and where `kiemen load`
spends its time (from the progress lines it prints). Figures (targets of issue 18 item 3: ratio
≥ 0.8, peak memory within +300 MB of raw's) go to ``bench/out/load_benchmark.json`` in the
shared shape of ``bench/common.py``.

    .venv/bin/python bench/load_benchmark.py                 # ~250k, ~500k and ~1M triples
    .venv/bin/python bench/load_benchmark.py --sizes 16000   # one size (16,000 initiatives)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import generate  # noqa: E402

from bench.common import describe_machine, figure, machine, print_figures, write_json  # noqa: E402

#: Issue 18, item 3: `kiemen load` at this share of raw's rate or more, and its peak memory
#: at most this many MB above raw's.
TARGET_RATIO = 0.8
TARGET_EXTRA_MB = 300

BASE = "http://kiemen.bench/"
RAW = """
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[2])
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES,
                to_graph=ox.NamedNode("http://kiemen.bench/graph/bench"))
store.flush()
"""


def run(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, int, list[tuple[float, str]]]:
    """Wall seconds, peak RSS (MB) and timestamped stderr lines of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: list[tuple[float, str]] = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append((time.perf_counter() - started, line.rstrip()))
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = "\n".join(text for _t, text in lines[-15:])
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{tail}")
    return wall, usage.ru_maxrss // 1024, lines


def phases(lines: list[tuple[float, str]], wall: float) -> str:
    """Seconds between the progress lines `kiemen load` prints.

    The checker streams the file while the bulk loader writes it, then builds the indexes ahead
    while the bulk loader finishes and the main thread links places out (its line comes at its
    end); counting the graph, waiting for the indexes ahead, settling the checks and the index
    hooks come after. Progress lines repeat a phase's first words: one mark a phase.
    """
    names = {
        "loading ": "stream+check",
        "indexing ahead": "index ahead | bulk load, links out",
        "links out: ": "count, wait for index ahead",
        "settling ": "settle",
        "building index: ": "hook",
    }
    marks: list[tuple[float, str]] = []
    for t, text in lines:
        for prefix, label in names.items():
            name = f"{label} {text.removeprefix(prefix)}" if label == "hook" else label
            if text.startswith(prefix) and (not marks or marks[-1][1] != name):
                marks.append((t, name))
    out = []
    for i, (t, name) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else wall
        out.append(f"{name} {end - t:.1f}s")
    return ", ".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[4000, 8000, 16000],
        help="numbers of initiatives (about 62 triples each)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    info = machine()
    print(f"machine: {describe_machine(info)}", flush=True)
    found: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="kiemen-bench-"))
    python = sys.executable
    kiemen = [python, "-m", "cli"]
    env = dict(os.environ, KIEMEN_BASE_URI=BASE, KIEMEN_STORE=str(work / "bundled"))
    wall, _rss, _l = run([*kiemen, "load"], env)
    print(f"bundled data loaded in {wall:.1f}s (not timed below)")
    print(
        f"{'initiatives':>11} {'triples':>9} | {'raw bulk_load':>14} {'peak MB':>8} | "
        f"{'kiemen load':>12} {'peak MB':>8} | {'ratio':>6} | kiemen phases"
    )
    try:
        for n in args.sizes:
            nt = work / f"initiatives-{n}.nt"
            triples = generate.write_nt(n, nt, BASE)
            raw_dir = work / f"raw-{n}"
            raw_wall, raw_rss, _ = run([python, "-c", RAW, str(nt), str(raw_dir)])
            shutil.rmtree(raw_dir, ignore_errors=True)
            store = work / f"store-{n}"
            shutil.copytree(work / "bundled", store, symlinks=True)
            env_n = dict(env, KIEMEN_STORE=str(store))
            k_wall, k_rss, lines = run([*kiemen, "load", str(nt), "--graph", "bench"], env_n)
            shutil.rmtree(store, ignore_errors=True)
            raw_tps, k_tps = triples / raw_wall, triples / k_wall
            print(
                f"{n:>11} {triples:>9} | {raw_tps:>10.0f} t/s {raw_rss:>8} | "
                f"{k_tps:>8.0f} t/s {k_rss:>8} | {k_tps / raw_tps:>6.2f} | "
                f"{phases(lines, k_wall)}",
                flush=True,
            )
            nt.unlink()
            found.append(
                figure(
                    f"kiemen load, {triples:,} triples",
                    round(k_tps),
                    "triples/s",
                    peer="raw pyoxigraph bulk_load",
                    peer_value=round(raw_tps),
                    target=TARGET_RATIO,
                )
            )
            found.append(
                figure(
                    f"kiemen load peak memory above raw's, {triples:,} triples",
                    k_rss - raw_rss,
                    "MB",
                    better="lower",
                    target=TARGET_EXTRA_MB,
                    target_of="value",
                )
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print_figures(found)
    write_json(
        "load_benchmark",
        found,
        title="kiemen load against raw bulk_load of the same triples",
        machine_info=info,
    )


if __name__ == "__main__":
    main()
