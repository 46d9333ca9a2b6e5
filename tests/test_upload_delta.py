"""Uploads written as their difference (:mod:`loaders.graph_delta`) publish what the whole-graph
load published: the same uploads through the publishing use cases into two copies of a real
store, one the new way and one the old (``loaders.load`` of the whole data graph, checked again
by the publish), give the same data graph, the same reports and versions, and indexes equal to
a full rebuild; the check's dry run is reused by the publish only on the same generation."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import TEST_BASE
from test_incremental_indexes import _same_as_full_rebuild

import loaders
from core.config import Settings
from core.problems import Problem
from core.store import KiemenStore, graph_iri
from core.write import pipeline
from loaders import graph_delta
from loaders.base import LoadError, Source
from portal import features
from publishing import records, usecases, versions
from publishing.checks import publisher_source
from publishing.diff import ADD, REPLACE, records_of
from publishing.publishers import Auth, Registry
from publishing.template import TABLES, UploadFile
from publishing.template_files import csv_bytes, example_rows

CODE = "GM0344"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
XSD_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
Rows = dict[str, list[dict[str, str]]]


@pytest.fixture()
def wired() -> Iterator[None]:
    before = pipeline.wired_hooks()
    pipeline.use_index_hooks(features.INDEX_HOOKS)  # the catalogue records, as the server
    try:
        yield
    finally:
        pipeline.use_index_hooks(before)


def _copy(bundled: Path, target: Path) -> tuple[KiemenStore, Auth]:
    shutil.copytree(bundled, target, symlinks=True)
    kstore = KiemenStore(Settings.from_env(store_path=target, base_uri=TEST_BASE))
    registry = Registry(kstore.settings)
    registry.add(CODE, contact_name="T", contact_email="t@example.nl", licence="cc0-1.0")
    secret, _info = registry.issue_token(CODE)
    return kstore, registry.authenticate(secret, CODE)


def _old_way(
    kstore: KiemenStore,
    source: Source,
    *,
    old: Any = None,
    based_on: Any = None,
    also: Iterable[str] = (),
    dry_run: bool = False,
    before_publish: Callable[[str], None] | None = None,
    checked: Any = None,
) -> graph_delta.Outcome:
    """How uploads were written before: a load of the whole graph, validated whole, each time."""
    report = loaders.load(
        kstore, [source], dry_run=dry_run, before_publish=before_publish, small=True
    )
    return graph_delta.Outcome(report.problems, report.generation)


def _files(rows: Rows) -> usecases.Files:
    return usecases.Files(
        [UploadFile(f"{t}.csv", csv_bytes(t, rows[t])) for t in TABLES if t in rows]
    )


def _graph(kstore: KiemenStore) -> set[ox.Quad]:
    """The publisher's data graph, blank nodes named canonically (links out's statements)."""
    graph = graph_iri(kstore.settings, f"publishers/{CODE}/data")
    data = ox.Dataset(kstore.reader().quads_for_pattern(None, None, None, graph))
    data.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(data)


def _uploads() -> list[tuple[Rows, usecases.Options]]:
    """An upload, a name changed and an initiative added, a replace without one initiative and
    its roles, an upload with a bad row (refused), then its valid rows only."""
    rows = example_rows()
    second = copy.deepcopy(rows)
    second["initiatives"][0]["name_nl"] += " (nieuw)"
    extra = dict(second["initiatives"][1], id="UTR-2024-101", name_nl="Buurtbieb Zuilen")
    second["initiatives"].append(extra)
    third = copy.deepcopy(second)
    gone = third["initiatives"].pop(1)["id"]
    third["roles"] = [r for r in third["roles"] if r["initiative_id"] != gone]
    bad = copy.deepcopy(third)
    bad["initiatives"].append(dict(extra, id="UTR-2024-102", start_date="gisteren"))
    return [
        (rows, usecases.Options(mode=ADD)),
        (second, usecases.Options(mode=ADD)),
        (third, usecases.Options(mode=REPLACE, confirm=True)),
        (bad, usecases.Options(mode=ADD)),
        (bad, usecases.Options(mode=ADD, valid_only=True)),
    ]


def _summary(report: usecases.Report) -> tuple[Any, ...]:
    return (
        report.published,
        report.version,
        report.records,
        report.triples,
        report.added,
        report.removed,
        sorted((i.severity, i.table, i.row, i.column, i.rule, i.focus) for i in report.issues),
        report.diff.as_json() if report.diff is not None else None,
        report.left_out,
    )


def test_uploads_as_their_difference_publish_what_a_whole_graph_load_did(
    bundled_copy: Path, tmp_path: Path, wired: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, new_auth = _copy(bundled_copy, tmp_path / "new")
    old, old_auth = _copy(bundled_copy, tmp_path / "old")
    reused: list[bool] = []
    real = graph_delta.replace_graph

    def watched(*args: Any, **kwargs: Any) -> graph_delta.Outcome:
        outcome = real(*args, **kwargs)
        if not kwargs.get("dry_run"):
            reused.append(outcome.reused)
        return outcome

    for n, (rows, options) in enumerate(_uploads()):
        monkeypatch.setattr(graph_delta, "replace_graph", watched)
        got = usecases.publish(new, new_auth, _files(rows), options)
        monkeypatch.setattr(graph_delta, "replace_graph", _old_way)
        want = usecases.publish(old, old_auth, _files(rows), options)
        assert _summary(got) == _summary(want), n
        assert got.published == (n != 3), [i.text for i in got.issues]
        assert _graph(new) == _graph(old), n
        assert [
            (v["number"], v["triples"], v["added"], v["removed"], v["records"])
            for v in versions.versions(new.settings, CODE)
        ] == [
            (v["number"], v["triples"], v["added"], v["removed"], v["records"])
            for v in versions.versions(old.settings, CODE)
        ]
        _same_as_full_rebuild(new, tmp_path / f"rebuilt-{n}", ["Kweekbak", "Zuilen", "nieuw"])
    # every publish reused the check's verdict (the bad row never became a record: the
    # valid rows are all the records the check validated, on the same generation)
    assert reused == [True, True, True, True], reused


def _graph_triples(kstore: KiemenStore, auth: Auth) -> set[ox.Triple]:
    graph = ox.NamedNode(auth.publisher.data_graph(kstore.settings))
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in kstore.reader().quads_for_pattern(None, None, None, graph)
    }


def test_a_dry_runs_verdict_holds_only_on_its_generation_and_content(
    bundled_copy: Path, tmp_path: Path
) -> None:
    kstore, auth = _copy(bundled_copy, tmp_path / "store")
    assert usecases.publish(kstore, auth, _files(example_rows())).published
    current = kstore.generation_id()
    assert current is not None
    graph = auth.publisher.data_graph(kstore.settings)
    triples = sorted(_graph_triples(kstore, auth), key=str)
    source = publisher_source(auth.publisher, kstore.settings, triples, "again")
    # a verdict that says "error": taken as it is, it refuses the write
    error = (Problem("test", "made up", rule="test", focus=graph, severity="error"),)
    for stale in (
        graph_delta.Checked("gen-0", graph, frozenset(triples), error),  # another generation
        graph_delta.Checked(current, graph, frozenset(triples[1:]), error),  # other content
    ):
        assert not graph_delta.replace_graph(kstore, source, checked=stale, dry_run=True).reused
    same = graph_delta.Checked(current, graph, frozenset(triples), error)
    with pytest.raises(LoadError):
        graph_delta.replace_graph(kstore, source, checked=same, dry_run=True)
    # a write of the graph's own content leaves it as it was
    assert graph_delta.replace_graph(kstore, source).generation is not None
    assert _graph_triples(kstore, auth) == set(triples)


def test_the_next_upload_takes_the_graph_its_publish_wrote_not_a_read_of_the_store(
    bundled_copy: Path, tmp_path: Path, wired: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A publish knows the data graph's content in the generation it made (the upload's
    triples and the links out's statements), so the next upload on that generation takes it
    instead of reading the whole graph back; that content is the store's, exactly. Another
    writer's generation (here a write of the graph outside the publish) is read again."""
    kstore, auth = _copy(bundled_copy, tmp_path / "store")
    graph = auth.publisher.data_graph(kstore.settings)
    reads: list[str] = []
    real = records.current_triples

    def counted(store: KiemenStore, name: str) -> set[ox.Triple]:
        reads.append(name)
        return real(store, name)

    monkeypatch.setattr(records, "current_triples", counted)
    beyond: list[int] = []  # statements a publish wrote beside the upload's (links out)
    write = graph_delta.replace_graph

    def watched(store: KiemenStore, source: Any, **kwargs: Any) -> graph_delta.Outcome:
        outcome = write(store, source, **kwargs)
        if outcome.content is not None:
            beyond.append(len(outcome.content - set(source.options["triples"])))
        return outcome

    monkeypatch.setattr(graph_delta, "replace_graph", watched)
    for n, (rows, options) in enumerate(_uploads()):
        report = usecases.publish(kstore, auth, _files(rows), options)
        assert report.published == (n != 3), n
        reads.clear()
        taken, generation = records.current_state(kstore, graph)
        assert generation == kstore.generation_id()
        assert reads == [], n  # taken from the publish, not read
        assert taken == _graph_triples(kstore, auth), n
        # and so are its records, made from the old ones in proportion to the change
        known = records.current_records(kstore, graph, generation)
        assert known is not None, n
        want = records_of(taken, kstore.settings, auth.publisher.id_ns(kstore.settings))
        assert (dict(known), known.untyped, known.loose) == (
            dict(want),
            want.untyped,
            want.loose,
        ), n
    assert len(beyond) == 4, beyond
    # a write with a place of the publisher's own: the links out's statements are content too
    km, place = kstore.settings.def_ns, ox.NamedNode("https://example.org/p/haiti")
    extra = [
        ox.Triple(place, ox.NamedNode(RDF_TYPE), ox.NamedNode(km + "Place")),
        *(
            ox.Triple(place, ox.NamedNode(SKOS + "prefLabel"), ox.Literal("Haïti", language=lang))
            for lang in ("nl", "en")
        ),
        ox.Triple(place, ox.NamedNode(km + "countryCode"), ox.Literal("HT")),
        ox.Triple(place, ox.NamedNode(WGS + "lat"), ox.Literal("18.9", datatype=XSD_DECIMAL)),
        ox.Triple(place, ox.NamedNode(WGS + "long"), ox.Literal("-72.7", datatype=XSD_DECIMAL)),
    ]
    wanted = sorted(_graph_triples(kstore, auth), key=str) + extra
    source = publisher_source(auth.publisher, kstore.settings, wanted, "x")
    outcome = graph_delta.replace_graph(kstore, source)
    assert outcome.content == _graph_triples(kstore, auth)
    assert beyond[-1] and outcome.content - set(wanted), beyond  # GeoNames links were written
    # a generation this process did not publish through a publish: read from the store
    reads.clear()
    taken, _generation = records.current_state(kstore, graph)
    assert reads == [graph] and taken == _graph_triples(kstore, auth)
    assert records.current_records(kstore, graph, _generation) is None  # nor its records
