"""The README's performance table is made from the benchmarks' JSON (issue #18 item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO

sys.path.insert(0, str(REPO))

from bench.common import figure, write_json
from bench.report import BEGIN, END, load, render


def report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bench/report.py", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_readme_table_is_what_the_committed_json_makes() -> None:
    done = report("--check")
    assert done.returncode == 0, done.stderr
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1


def test_a_hand_edited_figure_is_caught(tmp_path: Path) -> None:
    out = tmp_path / "out"
    f = figure("pages", 512.0, "req/s", peer="uncached", peer_value=64.0, target=5)
    write_json(
        "page_http_benchmark",
        [f],
        title="Pages",
        machine_info={"cores": 2},
        out=out / "page_http_benchmark.json",
    )
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{BEGIN}\n{END}\n", encoding="utf-8")
    assert report("--write", "--readme", str(readme), "--out", str(out)).returncode == 0
    made = readme.read_text(encoding="utf-8")
    assert "| pages | 512 req/s | 64 req/s (uncached) | 8.00× | ≥ 5× | **met** |" in made
    assert report("--check", "--readme", str(readme), "--out", str(out)).returncode == 0
    readme.write_text(made.replace("512 req/s", "612 req/s"), encoding="utf-8")
    refused = report("--check", "--readme", str(readme), "--out", str(out))
    assert refused.returncode == 1 and "make bench-report" in refused.stderr


def test_met_is_computed_the_same_way_for_every_benchmark(tmp_path: Path) -> None:
    assert figure("rate", 4.0, "req/s", peer_value=1.0, target=5)["met"] is False
    assert figure("rate", 5.0, "req/s", peer_value=1.0, target=5)["met"] is True
    slow = figure("p95", 51.0, "ms", better="lower", target=50, target_of="value")
    fast = figure("p95", 49.0, "ms", better="lower", target=50, target_of="value")
    assert (slow["met"], fast["met"]) == (False, True)
    assert figure("no target", 1.0, "s")["met"] is None
    # files in another shape (older benchmark output) are left out, not half-read
    (tmp_path / "old.json").write_text(json.dumps({"qps": 3}), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    write_json("x_benchmark", [slow], title="X", machine_info={}, out=tmp_path / "x_benchmark.json")
    docs = load(tmp_path)
    assert [d["benchmark"] for d in docs] == ["x_benchmark"]
    block = render(docs, ["bench/x_benchmark.py", "bench/y_benchmark.py"])
    assert "| p95 | 51 ms |  |  | ≤ 50 ms | not met |" in block
    assert "`bench/y_benchmark.py`" in block and "`bench/x_benchmark.py`" not in block
