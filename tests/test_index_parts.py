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
