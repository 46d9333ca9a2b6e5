"""The index a load builds from its stream equals the index the stored ``index-*`` queries give.

A load never reads its data back for the indexes: :class:`core.indexes.build.Collector` keeps a
narrow record of each streamed subject and answers the index queries in Python, mostly on the
checking thread while the bulk loader is still writing. The queries stay the definition; these
tests hold the collector to them, on the bundled data and on edge cases (blank nodes, the same
statement in two graphs, a thing of two kinds, year and month dates, places within places).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest
from rdflib import URIRef
from rdflib.paths import Path as RdfPath
from rdflib.plugins.sparql import prepareQuery

from core.indexes import build as indexes
from core.indexes import facets, files, search
from core.indexes import state as index_state
from core.store import KiemenStore
from loaders import Source, bundled_sources, load
from queries import get_query

REPO = Path(__file__).resolve().parents[1]


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


def _arrays(directory: Path) -> dict[str, np.ndarray]:
    """Every array of the facet index in ``directory``, by name (one ``.npy`` file each)."""
    return {
        p.name.removesuffix(".npy"): np.load(p) for p in (directory / facets.ARRAYS_DIR).iterdir()
    }


def test_collector_keeps_every_predicate_the_index_queries_read() -> None:
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


def test_collector_reading_the_store_equals_the_queries(kstore: Any) -> None:
    disk = kstore.reader()
    reference, ref_docs = indexes.collect(SimpleNamespace(store=disk), kstore)  # type: ignore[arg-type]
    data, docs = indexes.Collector(kstore).complete(disk)
    assert reference.initiatives and reference.kinds and reference.supports
    assert vars(data) == vars(reference)
    assert docs == ref_docs


# -- a real load, streamed --------------------------------------------------------------------
def _edge_cases(base: str) -> str:
    """Valid data that exercises what set semantics, blank nodes and paths can get wrong."""
    return f"""
@prefix km: <{base}def/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix wgs: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix i: <{base}id/initiative/> .
@prefix a: <{base}id/actor/> .
@prefix p: <{base}id/place/> .
@prefix s: <{base}id/section/> .

# Said in the first file as well: the same statements in two graphs.
i:synthetic-1 skos:altLabel "Tweede naam"@nl , "Second name"@en , "Tweede naam"@nl .

i:edge-year a km:Initiative ;
    skos:prefLabel "Randgeval jaar"@nl , "Edge case year"@en ;
    dcterms:description "Een initiatief met alleen een beginjaar."@nl ,
        "An initiative with only a start year."@en ;
    schema:startDate "2019"^^xsd:gYear ;
    km:statedForm <{base}def/form/crowdfunding> ;
    dcterms:spatial p:edge-village ;
    prov:wasDerivedFrom s:synthetic-0 .

i:edge-month a km:Initiative ;
    skos:prefLabel "Randgeval maand"@nl , "Edge case month"@en ;
    dcterms:description "Een initiatief met een beginmaand."@nl ,
        "An initiative with a start month."@en ;
    schema:startDate "2021-04"^^xsd:gYearMonth ;
    km:inferredForm <{base}def/form/co-creation> ;
    dcterms:spatial p:edge-village ;
    prov:wasDerivedFrom s:synthetic-1 .

p:edge-village a km:Place ;
    skos:prefLabel "Randdorp"@nl , "Edge village"@en ;
    km:placeType <{base}def/place-type/city> ;
    wgs:lat "52.1"^^xsd:decimal ; wgs:long "5.2"^^xsd:decimal ;
    km:countryCode "NL" ;
    schema:containedInPlace <{base}id/place/cbs/PV25> .

a:edge-both a km:Organisation , km:Actor ;
    skos:prefLabel "Randorganisatie"@nl , "Edge organisation"@en ;
    skos:altLabel "RO"@nl ;
    km:actorType <{base}def/actor-type/foundation> ;
    prov:wasDerivedFrom s:synthetic-0 .

[] a km:Involvement ;
    km:initiative i:edge-year ;
    km:actor a:edge-both ;
    km:hasRole <{base}def/role/initiator> , <{base}def/government-role/facilitating> ;
    km:roleStated true ;
    prov:wasDerivedFrom s:synthetic-0 .
"""


@pytest.fixture(scope="module")
def streamed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Bundled data, then two files in one load (both stream), with the docs the load indexed."""
    from core.config import Settings

    sys.path.insert(0, str(REPO / "bench"))
    import generate

    base = "http://kiemen.test/"
    tmp = tmp_path_factory.mktemp("streamed")
    kstore = KiemenStore(Settings.from_env(store_path=tmp / "store", base_uri=base))
    load(kstore, bundled_sources())
    first = tmp / "initiatives.nt"
    generate.write_nt(40, first, base)
    second = tmp / "edge-cases.ttl"
    second.write_text(_edge_cases(base), encoding="utf-8")
    seen: list[list[search.SearchDoc]] = []
    threads: list[str] = []
    original = search.build

    def recording(docs: Any, target: Path) -> int:
        docs = list(docs)
        seen.append(docs)
        threads.append(threading.current_thread().name)
        return original(docs, target)

    mp = pytest.MonkeyPatch()
    mp.setattr(indexes.search, "build", recording)
    try:
        report = load(kstore, [Source(str(first), graph="one"), Source(str(second), graph="two")])
    finally:
        mp.undo()
    assert not [p for p in report.problems if p.severity == "error"]
    # Built once, ahead, on the checking thread while the bulk loader wrote the last file; the
    # provenance written after validation did not send the load down the reference path.
    assert threads == ["kiemen-check"]
    return {"kstore": kstore, "docs": seen[-1], "tmp": tmp}


def test_streamed_load_indexes_what_the_queries_give(streamed: dict[str, Any]) -> None:
    kstore: KiemenStore = streamed["kstore"]
    disk = kstore.reader()
    reference, ref_docs = indexes.collect(SimpleNamespace(store=disk), kstore)  # type: ignore[arg-type]
    assert streamed["docs"] == ref_docs
    published = kstore.search_dir()
    assert published is not None
    expected = streamed["tmp"] / "reference-index"
    facets.build(reference, expected, generation=published.parent.name)
    got = facets.read_meta(published)
    want = facets.read_meta(expected)
    assert got == want
    a, b = _arrays(published), _arrays(expected)
    assert sorted(a) == sorted(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_edge_cases_reach_the_index(streamed: dict[str, Any]) -> None:
    """The reference agreeing is not enough: the edge cases must be in it, as intended."""
    kstore: KiemenStore = streamed["kstore"]
    base = kstore.settings.base_uri
    idx = facets.open_index(kstore.search_dir())  # type: ignore[arg-type]
    year, month = base + "id/initiative/edge-year", base + "id/initiative/edge-month"
    info = {iri: idx.info[n] for n, iri in enumerate(idx.items)}
    assert info[year]["start"] == "2019"
    assert info[month]["start"] == "2021-04"
    periods = idx.facets["period"].values
    assert "2019" in periods and "2021" in periods
    # The village lies in Gelderland: both are places of the initiative, Gelderland a province.
    place = idx.facets["place"]
    assert base + "id/place/cbs/PV25" in place.values
    assert base + "id/place/cbs/PV25" in idx.facets["province"].values
    # The blank-node involvement counts: actor, role and government role.
    assert base + "id/actor/edge-both" in idx.facets["actor"].values
    assert base + "def/government-role/facilitating" in idx.facets["govrole"].values
    docs = {d.iri: d for d in streamed["docs"]}
    assert docs[base + "id/actor/edge-both"].kind == "actor"
    assert docs[base + "id/actor/edge-both"].related == ["RO"]
    first = docs[base + "id/initiative/synthetic-1"]
    assert first.related[:2] == ["Second name", "Tweede naam"]
    # Provenance of this load is named too (added after validation, outside the prepared work).
    meta = [iri for iri in idx.labels if iri.startswith(base + "graph/")]
    assert base + "graph/two" in meta


def test_meta_graph_that_holds_more_than_provenance_is_refused(kstore: Any) -> None:
    """Then the load falls back to the queries instead of guessing what changed."""
    col = indexes.Collector(kstore)
    km = kstore.settings.base_uri + "def/"
    names = col._meta_names(
        {kstore.settings.base_uri + "graph/x": [indexes.DCT + "title", ox.Literal("x")]}
    )
    assert names == {kstore.settings.base_uri + "graph/x": {"": "x"}}
    assert col._meta_names({"urn:x": [indexes.RDF_TYPE, km + "Initiative"]}) is None
    assert col._meta_names({"urn:x": [km + "statedForm", km + "form/crowdfunding"]}) is None


def test_a_failure_while_indexing_ahead_falls_back_to_the_queries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building ahead is an optimisation: when it fails, the index hook builds the slow way."""
    from core.config import Settings

    kstore = KiemenStore(Settings.from_env(store_path=tmp_path / "s", base_uri="http://k.test/"))
    load(kstore, bundled_sources())
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        '<http://k.test/id/place/x> <http://www.w3.org/2004/02/skos/core#prefLabel> "X"@nl .\n',
        encoding="utf-8",
    )
    said: list[str] = []
    original = facets.build

    def failing_once(data: Any, target: Path, generation: str) -> None:
        if target.name == indexes.prepared_dir(SimpleNamespace(path=tmp_path)).name:  # type: ignore[arg-type]
            raise OSError("no space left (simulated)")
        original(data, target, generation)

    monkeypatch.setattr(indexes.facets, "build", failing_once)
    load(kstore, [Source(str(extra), graph="extra")], progress=said.append)
    assert any("building the indexes ahead failed" in s for s in said)
    disk = kstore.reader()
    reference, _docs = indexes.collect(SimpleNamespace(store=disk), kstore)  # type: ignore[arg-type]
    idx = facets.open_index(kstore.search_dir())  # type: ignore[arg-type]
    assert idx.labels.get("http://k.test/id/place/x") == {"nl": "X"}
    assert idx.items == sorted(reference.initiatives)


def test_streamed_load_keeps_the_state_a_full_build_gives(streamed: dict[str, Any]) -> None:
    """The state the next write starts from: the one the queries give, provenance names and
    counts by kind included (added to it after the build ahead, not saved whole again)."""
    kstore: KiemenStore = streamed["kstore"]
    published = kstore.search_dir()
    assert published is not None
    reference, ref_docs = indexes.collect(SimpleNamespace(store=kstore.reader()), kstore)  # type: ignore[arg-type]
    want = index_state.from_build(reference, ref_docs, None)
    index_state.forget()
    got = index_state.load(published)
    assert got is not None
    assert got.data.labels == want.data.labels
    assert got.data.kinds == want.data.kinds
    assert got.data.initiatives == want.data.initiatives
    assert got.things == want.things and got.keys == want.keys

    meta = [iri for iri in got.data.labels if iri.startswith(kstore.settings.base_uri + "graph/")]
    assert kstore.settings.base_uri + "graph/two" in meta
    assert got.meta is not None


def test_amending_a_state_writes_only_the_parts_it_changes(tmp_path: Path) -> None:
    labels = {f"urn:x:{n}": {"nl": f"x{n}"} for n in range(200)}
    data = facets.IndexInput(
        base="urn:x:",
        initiatives={},
        facet_pairs={},
        labels=dict(labels),
        places={},
        form_scores={},
        involvements=[],
        kinds={"Actor": 3},
    )
    facets.build(data, tmp_path, generation="g")
    index_state.save(index_state.IndexState(data, {}), tmp_path)
    parts = tmp_path / index_state.STATE_DIR
    before = {p.name: p.stat().st_ino for p in parts.iterdir()}
    added = {"urn:y:new": {"en": "New"}}
    assert index_state.amend(tmp_path, added, {"Actor": 1, "Place": 2}, (7, "abc"))
    after = {p.name: p.stat().st_ino for p in parts.iterdir()}
    rewritten = sorted(name for name in after if after[name] != before.get(name))
    assert rewritten == ["kinds.json", f"labels.{files.RECENT}.json"]
    index_state.forget()
    got = index_state.load(tmp_path)
    assert got is not None
    assert got.data.labels == {**labels, **added}
    assert got.data.kinds == {"Actor": 4, "Place": 2}
    assert got.meta == (7, "abc")
    (parts / f"labels.{files.RECENT}.json").write_text("{", encoding="utf-8")  # damaged
    assert not index_state.amend(tmp_path, added, {}, None)
    assert index_state.load(tmp_path) is None  # no half-amended state is left to be read
