"""Incoming links counted per relation: a resource that links through the same relation in
several graphs counts once (the page counts per graph, then adds the other graphs' resources
that the biggest graph does not have)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.store import KiemenStore
from loaders import Source, load
from portal.resource import describe

EX = "http://example.org/"
TRIG = """
@prefix ex: <http://example.org/> .
<http://kiemen.test/graph/a> {
  ex:s1 ex:links ex:o . ex:s2 ex:links ex:o . ex:s3 ex:links ex:o . ex:s1 ex:other ex:o .
}
<http://kiemen.test/graph/b> { ex:s1 ex:links ex:o . ex:s4 ex:links ex:o . }
<http://kiemen.test/graph/c> {
  ex:s2 ex:links ex:o . ex:s5 ex:links ex:o . ex:s4 ex:links ex:o . ex:s6 ex:only ex:o .
}
"""


def test_a_link_stated_in_several_graphs_counts_once(empty_settings: Any, tmp_path: Path) -> None:
    data = tmp_path / "links.trig"
    data.write_text(TRIG, encoding="utf-8")
    kstore = KiemenStore(empty_settings)
    load(kstore, [Source(str(data))], validate=False)
    # 8 statements through ex:links in three graphs, from 5 resources; one each through the
    # others, ex:only from a graph that has no other link to it.
    counts = {g.iri: g.count for g in describe(kstore, EX + "o", "en").incoming}
    assert counts == {EX + "links": 5, EX + "other": 1, EX + "only": 1}
    reference = {
        r["p"]: int(r["count"]) for r in kstore.rows("resource-incoming-counts", {"iri": EX + "o"})
    }
    assert counts == reference
