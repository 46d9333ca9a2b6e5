"""The README's performance table, made from the benchmarks' own JSON and nothing else.

    .venv/bin/python bench/report.py           # print the table
    .venv/bin/python bench/report.py --write   # put it into README.md (make bench-report)
    .venv/bin/python bench/report.py --check   # exit 1 when README.md differs (a test runs it)

Reads every ``bench/out/*.json`` in the shared shape (``bench/common.py``, ``"schema": 1``) and
writes one block per benchmark: what ran (command, date, machine) and each figure with its peer,
ratio, target and whether it was met. The block sits between two markers in README.md; the
committed JSON files are the only source, so the table cannot drift from what was measured.
A benchmark script without a JSON file yet is named as not run, never filled in by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import ratio_text  # noqa: E402

OUT = REPO / "bench" / "out"
README = REPO / "README.md"
BEGIN = "<!-- bench-report: begin (made by `make bench-report` from bench/out/*.json) -->"
END = "<!-- bench-report: end -->"
#: Shown first, in this order; any other benchmark follows by name.
ORDER = (
    "page_http_benchmark",
    "portal_benchmark",
    "sparql_benchmark",
    "write_benchmark",
    "load_benchmark",
    "participedia_benchmark",
    "replicas_benchmark",
)


def load(out: Path = OUT) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(out.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("schema") == 1 and doc.get("figures") is not None:
            docs.append(doc)
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(docs, key=lambda d: (rank.get(d["benchmark"], len(ORDER)), d["benchmark"]))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def _machine(m: dict[str, Any]) -> str:
    load = " / ".join(f"{x:g}" for x in m.get("load_average_at_start") or []) or "?"
    return f"{m.get('cores')} cores, {m.get('memory_gib')} GiB, load average {load} at start"


def _row(f: dict[str, Any]) -> str:
    unit = f.get("unit", "")
    value = f"{_number(f['value'])} {unit}".strip()
    peer = ""
    if f.get("peer_value") is not None:
        peer = f"{_number(f['peer_value'])} {unit} ({f.get('peer') or 'peer'})"
    ratio = "" if f.get("ratio") is None else ratio_text(f["ratio"])
    target = ""
    if f.get("target") is not None:
        op = "≥" if f.get("better") == "higher" else "≤"
        what = "ratio" if f.get("target_of") == "ratio" else unit
        target = f"{op} {f['target']:g}" + ("×" if what == "ratio" else f" {unit}")
    met = {True: "**met**", False: "not met", None: ""}[f.get("met")]
    cells = (f["what"], value, peer, ratio, target, met)
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def render(docs: list[dict[str, Any]], scripts: list[str]) -> str:
    lines = [BEGIN, ""]
    for doc in docs:
        when = str(doc.get("finished", ""))[:10]
        lines += [
            f"**{doc.get('title') or doc['benchmark']}**: `{doc.get('command', '')}`, {when}, "
            f"{_machine(doc.get('machine') or {})}.",
            "",
            "| figure | value | peer in the same run | ratio | target | |",
            "|---|---:|---:|---:|---:|---|",
            *(_row(f) for f in doc["figures"]),
            "",
        ]
    ran = {doc["benchmark"] for doc in docs}
    missing = [s for s in scripts if Path(s).stem not in ran]
    if missing:
        names = ", ".join(f"`{s}`" for s in missing)
        lines += [f"Not yet run in this form (no JSON in `bench/out/`): {names}.", ""]
    lines.append(END)
    return "\n".join(lines)


def scripts(repo: Path = REPO) -> list[str]:
    """The benchmark scripts: every ``bench/*_benchmark.py``."""
    return [f"bench/{p.name}" for p in sorted((repo / "bench").glob("*_benchmark.py"))]


def replace_block(text: str, block: str) -> str:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError("README.md has no bench-report markers")
    return text[:start] + block + text[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="update README.md")
    group.add_argument("--check", action="store_true", help="exit 1 if README.md differs")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the JSON files")
    args = parser.parse_args(argv)
    block = render(load(args.out), scripts())
    if not (args.write or args.check):
        print(block)
        return 0
    text = args.readme.read_text(encoding="utf-8")
    wanted = replace_block(text, block)
    if args.check:
        if wanted != text:
            print(
                f"{args.readme} differs from what bench/report.py makes of {args.out}: "
                "run `make bench-report`",
                file=sys.stderr,
            )
            return 1
        return 0
    if wanted != text:
        args.readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
