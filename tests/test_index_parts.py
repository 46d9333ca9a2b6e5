"""The facet index's JSON parts are written in pieces, as the same text as one ``json.dumps``.

Why: :func:`core.indexes.files.write_json` writes a long list a chunk at a time so that a big
load never holds the whole part as one string (see bench/README.md); readers must not see a
difference.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from core.indexes import files

ROWS = [
    {"label": {"nl": f"Ñaam {n} “quoted”", "en": f"name {n}"}, "start": None, "n": n / 3}
    for n in range(1003)
]
BODIES: list[Any] = [
    {"items": [f"https://e.org/{n}" for n in range(1003)], "info": ROWS},
    {"items": [], "info": ROWS[:10], "k": {"a": [1, 2]}},
    {"one": ["x"], "exact": list(range(100))},
    [1, 2, 3],
    {1: "not a str key"},
    "text",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("chunk", [1, 7, 100, files.CHUNK])
def test_pieces_make_the_text_of_one_dumps(body: Any, chunk: int) -> None:
    out = io.StringIO()
    files.write_json(out, body, chunk=chunk)
    assert out.getvalue() == json.dumps(body, ensure_ascii=False)


def test_a_saved_part_reads_back(tmp_path: Path) -> None:
    writer = files.Writer(tmp_path, None)
    writer.save_part("items", BODIES[0])
    text = files.part_path(tmp_path, "items").read_text(encoding="utf-8")
    assert json.loads(text) == BODIES[0]


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []])
def test_a_part_of_rows_reads_as_json_and_back_as_each_rows_text(
    tmp_path: Path, rows: list[Any]
) -> None:
    """The list rows written one a line read as the part written whole, and the next write
    takes each row's text as ``json.dumps`` gives it (rows with quotes, commas, newlines)."""
    rows = [*rows[:-1], {"label": {"nl": 'a "b",\nc'}, "start": "2001"}] if rows else []
    head = {"items": [f"https://e.org/{n}" for n in range(len(rows))]}
    parent, child = tmp_path / "parent", tmp_path / "child"
    files.Writer(parent, None).save_rows(
        "items", head, "info", [json.dumps(r, ensure_ascii=False) for r in rows]
    )
    text = files.part_path(parent, "items").read_text(encoding="utf-8")
    assert json.loads(text) == {**head, "info": rows}
    got_head, texts = files.Writer(child, parent).parent_rows("items", "info")
    assert got_head == head
    assert [json.loads(t) for t in texts] == rows
    assert texts == [json.dumps(r, ensure_ascii=False) for r in rows]


def test_a_part_written_whole_gives_its_rows_too_and_a_broken_one_is_refused(
    tmp_path: Path,
) -> None:
    parent = tmp_path / "parent"
    writer = files.Writer(parent, None)
    writer.save_part("items", BODIES[0])  # as a full build writes it
    writer.save_part("other", {"items": ["x"], "info": "no list"})
    head, texts = files.Writer(tmp_path / "child", parent).parent_rows("items", "info")
    assert head == {"items": BODIES[0]["items"]}
    assert [json.loads(t) for t in texts] == ROWS
    with pytest.raises(files.Damaged):
        files.Writer(tmp_path / "child2", parent).parent_rows("other", "info")
    with pytest.raises(files.Damaged):
        files.Writer(tmp_path / "child3", parent).parent_rows("missing", "info")
