"""The in-memory capture the index build reads gives the same index input as the store itself."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.paths import Path as RdfPath
from rdflib.plugins.sparql import prepareQuery

from loaders import indexes
from queries import get_query


def _predicates(node: Any, found: set[str]) -> None:
    """Every IRI used as a predicate (or inside a property path) in a SPARQL algebra tree."""
    if isinstance(node, URIRef):
        found.add(str(node))
    elif isinstance(node, RdfPath):
        for part in vars(node).values():
            for item in part if isinstance(part, list | tuple) else [part]:
                _predicates(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "triples":
                for _s, p, _o in value:
                    _predicates(p, found)
            elif key == "res" and isinstance(value, list):  # VALUES ?p { ... } rows
                for row in value:
                    for term in row.values():
                        if isinstance(term, URIRef):
                            found.add(str(term))
            else:
                _predicates(value, found)
    elif isinstance(node, list | tuple):
        for item in node:
            _predicates(item, found)


def test_capture_covers_every_predicate_the_index_queries_read() -> None:
    """A predicate added to an index query but not to INDEX_PREDICATES would be missed."""
    base = "https://w3id.org/kiemen/"
    known = indexes.index_predicates(base)
    for name in indexes.COLLECT_QUERIES:
        found: set[str] = set()
        _predicates(prepareQuery(get_query(name).text).algebra, found)
        assert found, name
        # VALUES rows may hold classes and concepts too: only IRIs used as predicates count.
        missing = {p for p in found if p not in known and not _is_class_or_concept(p)}
        assert not missing, f"{name} reads {sorted(missing)}"


def _is_class_or_concept(iri: str) -> bool:
    local = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return local[:1].isupper() or ("/def/" in iri and iri.count("/") > 5)


def _normal(data: Any) -> dict[str, Any]:
    fields = dict(vars(data))
    fields["involvements"] = sorted(fields["involvements"])
    return fields


def test_index_input_from_capture_equals_index_input_from_store(kstore: Any) -> None:
    disk = kstore.reader()
    gen = SimpleNamespace(store=disk)
    from_disk, docs_disk = indexes.collect(gen, kstore)  # type: ignore[arg-type]
    cap = indexes.Capture(kstore)
    mem = cap.complete(disk)
    assert len(mem) < len(disk)
    from_mem, docs_mem = indexes.collect(gen, kstore, mem)  # type: ignore[arg-type]
    assert from_disk.initiatives
    assert _normal(from_mem) == _normal(from_disk)
    assert docs_mem == docs_disk


def test_capture_replaces_a_streamed_graph_and_copies_the_rest(kstore: Any) -> None:
    disk = kstore.reader()
    graphs = [g for g in disk.named_graphs() if isinstance(g, ox.NamedNode)]
    assert graphs
    cap = indexes.Capture(kstore)
    streamed = graphs[0]

    class Session:
        def capture(self, predicates: frozenset[str], sink: Any) -> None:
            sink(
                [q for q in disk.quads_for_pattern(None, None, None, streamed)
                 if q.predicate.value in predicates]
            )

    cap.replacing(streamed, Session())
    assert streamed.value in cap.streamed
    mem = cap.complete(disk)
    for g in graphs:
        want = {
            q for q in disk.quads_for_pattern(None, None, None, g)
            if q.predicate.value in cap.predicates
        }
        assert set(mem.quads_for_pattern(None, None, None, g)) == want
    # Replaced twice in one load: the second stream is not captured, the graph is copied.
    cap.replacing(streamed, Session())
    assert streamed.value not in cap.streamed
