"""Whole datasets in: quad files keep their graphs, ``--graph`` puts everything in one, and
Kiemen's own N-Quads dump restores the store it came from (graphs, provenance, indexes)."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from conftest import REPO, kiemen_cmd, kiemen_env
from rdflib.compare import isomorphic

from core.config import Settings
from core.store import KiemenStore
from loaders import LoadError, Source, load

TRIG = """@prefix ex: <http://example.org/> .
ex:people { ex:ann ex:knows ex:bob . ex:bob ex:name "Bob" . }
ex:places { ex:utrecht ex:label "Utrecht"@nl . }
<https://w3id.org/kiemen/graph/shared/notes> { ex:ann ex:note "kept as Kiemen's own graph" . }
"""
PROV = "http://www.w3.org/ns/prov#"


def graphs(kstore: KiemenStore) -> dict[str, int]:
    store = kstore.reader()
    return {
        g.value: sum(1 for _ in store.quads_for_pattern(None, None, None, g))
        for g in store.named_graphs()
        if isinstance(g, ox.NamedNode)
    }


def run(args: list[str], store: Path, base: str = "http://kiemen.test/") -> Any:
    return subprocess.run(
        [*kiemen_cmd(), *args],
        env=kiemen_env(store, base),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_trig_with_three_named_graphs_gives_three_graphs(
    empty_settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "people.trig"
    data.write_text(TRIG)
    kstore = KiemenStore(empty_settings)
    report = load(kstore, [Source(str(data))])
    found = graphs(kstore)
    meta = "http://kiemen.test/graph/meta"
    assert set(found) - {meta} == {
        "http://example.org/people",
        "http://example.org/places",
        "http://kiemen.test/graph/shared/notes",  # the canonical base moved onto ours
    }
    assert found["http://example.org/people"] == 2
    assert found["http://example.org/places"] == 1
    assert {g.graph for g in report.graphs} == set(found) - {meta}
    # Provenance per graph: each named graph has its own record naming the file.
    store = kstore.reader()
    for g in set(found) - {meta}:
        sources = list(
            store.quads_for_pattern(
                ox.NamedNode(g),
                ox.NamedNode("http://purl.org/dc/terms/source"),
                None,
                ox.NamedNode(meta),
            )
        )
        assert [q.object.value for q in sources] == [str(data)], g


def test_quads_in_the_default_graph_go_to_the_sources_own_graph(
    empty_settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "Mixed Data.nq"
    data.write_text(
        '<http://example.org/a> <http://example.org/p> "in default" .\n'
        '<http://example.org/a> <http://example.org/p> "named" <http://example.org/g> .\n'
    )
    kstore = KiemenStore(empty_settings)
    load(kstore, [Source(str(data))])
    found = graphs(kstore)
    assert found["http://kiemen.test/graph/files/mixed-data"] == 1
    assert found["http://example.org/g"] == 1


def test_a_quad_file_replaces_exactly_the_graphs_it_names(
    empty_settings: Settings, tmp_path: Path
) -> None:
    kstore = KiemenStore(empty_settings)
    first = tmp_path / "first.trig"
    first.write_text(TRIG)
    load(kstore, [Source(str(first))])
    second = tmp_path / "second.nq"
    second.write_text(
        '<http://example.org/x> <http://example.org/p> "new" <http://example.org/places> .\n'
    )
    load(kstore, [Source(str(second))])
    store = kstore.reader()
    places = [
        q.object.value
        for q in store.quads_for_pattern(
            None, None, None, ox.NamedNode("http://example.org/places")
        )
    ]
    assert places == ["new"], "the graph the file names is replaced whole"
    assert graphs(kstore)["http://example.org/people"] == 2, "other graphs untouched"


def test_a_broken_quad_file_leaves_the_store_as_it_was(
    empty_settings: Settings, tmp_path: Path
) -> None:
    kstore = KiemenStore(empty_settings)
    good = tmp_path / "good.trig"
    good.write_text(TRIG)
    load(kstore, [Source(str(good))])
    before = graphs(kstore)
    bad = tmp_path / "bad.trig"
    bad.write_text(
        "@prefix ex: <http://example.org/> .\n"
        'ex:people { ex:zed ex:name "Zed" . }\n'
        'ex:places { ex:broken ex:label "open }\n'
    )
    with pytest.raises(LoadError) as caught:
        load(kstore, [Source(str(bad))])
    assert caught.value.problems[0].line == 3
    assert graphs(kstore) == before


def test_only_a_kiemen_dump_may_write_the_meta_graph(
    empty_settings: Settings, tmp_path: Path
) -> None:
    kstore = KiemenStore(empty_settings)
    good = tmp_path / "good.trig"
    good.write_text(TRIG)
    load(kstore, [Source(str(good))])
    before = graphs(kstore)
    forged = tmp_path / "forged.nq"
    forged.write_text(
        '<http://example.org/a> <http://example.org/p> "x" <http://kiemen.test/graph/meta> .\n'
    )
    with pytest.raises(LoadError) as caught:
        load(kstore, [Source(str(forged))])
    assert caught.value.problems[0].rule == "graph name"
    assert graphs(kstore) == before


def test_graph_option_puts_everything_in_one_graph(tmp_path: Path) -> None:
    data = tmp_path / "people.trig"
    data.write_text(TRIG)
    store = tmp_path / "s"
    absolute = run(["load", str(data), "--graph", "http://example.org/one"], store)
    assert absolute.returncode == 0, absolute.stderr
    assert "into <http://example.org/one>" in absolute.stdout
    bare = run(["load", str(data), "--graph", "two"], store)
    assert bare.returncode == 0, bare.stderr
    kstore = KiemenStore(Settings(store_path=store, base_uri="http://kiemen.test/"))
    found = graphs(kstore)
    assert found["http://example.org/one"] == 4
    assert found["http://kiemen.test/graph/two"] == 4
    assert "http://example.org/people" not in found
    refused = run(["load", str(data), "--graph", "not a name"], store)
    assert refused.returncode == 2
    assert "--graph" in refused.stderr


# ------------------------------------------------------------------------------------------
# restore from Kiemen's own dump


def _graph(store: ox.Store, g: ox.NamedNode, drop: set[str] | None = None) -> rdflib.Graph:
    out = rdflib.Graph()
    lines = [
        f"{q.subject} {q.predicate} {q.object} .\n"
        for q in store.quads_for_pattern(None, None, None, g)
        if not drop or not ({str(q.subject.value), str(q.object.value)} & drop)
    ]
    out.parse(data="".join(lines), format="nt")
    return out


def _restore_records(store: ox.Store, meta: ox.NamedNode) -> set[str]:
    """The restore activity, its software agent, its dump entity and that one's checksum."""
    acts = {
        q.object.value
        for q in store.quads_for_pattern(None, ox.NamedNode(PROV + "wasInfluencedBy"), None, meta)
    }
    nodes = set(acts)
    for a in acts:
        for q in store.quads_for_pattern(
            ox.NamedNode(a), ox.NamedNode(PROV + "wasAssociatedWith"), None, meta
        ):
            nodes.add(q.object.value)
        for q in store.quads_for_pattern(ox.NamedNode(a), ox.NamedNode(PROV + "used"), None, meta):
            nodes.add(q.object.value)
            for c in store.quads_for_pattern(q.object, None, None, meta):
                if isinstance(c.object, ox.BlankNode):
                    nodes.add(c.object.value)
    return nodes


def compare_stores(original: KiemenStore, restored: KiemenStore, dump_sha: str) -> None:
    """Every graph isomorphic (meta: apart from the one restore record), indexes the same."""
    from core.indexes import facets, search

    a, b = original.reader(), restored.reader()
    names = set(a.named_graphs())
    assert names and set(b.named_graphs()) == names
    meta = ox.NamedNode(original.settings.graph_ns + "meta")
    records = _restore_records(b, meta)
    assert len(records) == 4, "one activity, its agent, its dump, the dump's checksum"
    for g in names:
        assert isinstance(g, ox.NamedNode)
        drop = records if g == meta else None
        assert isomorphic(_graph(a, g), _graph(b, g, drop)), g.value
    sums = [
        q.object.value
        for q in b.quads_for_pattern(
            None, ox.NamedNode("http://spdx.org/rdf/terms#checksumValue"), None, meta
        )
    ]
    assert dump_sha in sums, "the restore names the dump's SHA-256"
    every = set(b.quads_for_pattern(None, ox.NamedNode(PROV + "wasInfluencedBy"), None, meta))
    assert {q.subject for q in every} == names, "every graph is marked as restored"
    # The indexes were built for the restored data: the same facet counts and search hits.
    ia = facets.for_directory(original.search_dir() or Path())
    ib = facets.for_directory(restored.search_dir() or Path())
    assert ia.size == ib.size > 0
    assert set(ia.facets) == set(ib.facets)
    for key, facet in ia.facets.items():
        other = ib.facets[key]
        assert dict(zip(facet.values, facet.counts.tolist(), strict=True)) == dict(
            zip(other.values, other.counts.tolist(), strict=True)
        ), key
    ta = search.for_directory((original.search_dir() or Path()) / search.TEXT_DIR)
    tb = search.for_directory((restored.search_dir() or Path()) / search.TEXT_DIR)
    for words in ("buurt", "energie", "zorg"):
        ha, hb = ta.search(words, "nl", limit=50), tb.search(words, "nl", limit=50)
        assert ha.total == hb.total and [h.iri for h in ha.hits] == [h.iri for h in hb.hits]


def _dump_file(exported: dict[str, Any]) -> tuple[Path, str]:
    manifest = exported["manifest"]
    release = next(r for r in manifest["releases"] if r["release"] == manifest["latest"])
    nq = next(f for f in release["files"] if f["key"] == "nquads")
    return exported["folder"] / nq["file"], nq["sha256"]


def test_dump_restores_the_store_it_came_from(
    kstore: KiemenStore, exported: dict[str, Any], base_uri: str, tmp_path: Path
) -> None:
    dump, sha = _dump_file(exported)
    target = tmp_path / "restored"
    done = run(["load", str(dump)], target, base_uri)
    assert done.returncode == 0, done.stderr
    assert "restoring Kiemen's dump" in done.stderr
    restored = KiemenStore(Settings.from_env(store_path=target, base_uri=base_uri))
    compare_stores(kstore, restored, sha)


def test_dump_under_an_older_base_restores_onto_ours(
    kstore: KiemenStore, exported: dict[str, Any], base_uri: str, tmp_path: Path
) -> None:
    """A dump made before the canonical base (IRIs at another host and port) still restores:
    its IRIs move onto the store's base, and the restore record says so."""
    dump, _sha = _dump_file(exported)
    old = tmp_path / "old-release.nq.gz"
    text = gzip.decompress(dump.read_bytes()).decode()
    # the IRIs of an older release (N-Quads writes every IRI in <…>; literals keep their text)
    old_text = text.replace("<" + base_uri, "<http://127.0.0.1:5000/")
    old.write_bytes(gzip.compress(old_text.encode()))
    target = tmp_path / "restored"
    done = run(["load", str(old)], target, base_uri)
    assert done.returncode == 0, done.stderr
    restored = KiemenStore(Settings.from_env(store_path=target, base_uri=base_uri))
    compare_stores(kstore, restored, __import__("hashlib").sha256(old.read_bytes()).hexdigest())
    assert restored.reader().query(
        "ASK { GRAPH ?g { ?a <http://www.w3.org/2000/01/rdf-schema#comment> ?c "
        'FILTER(CONTAINS(?c, "http://127.0.0.1:5000/")) } }'
    )


def test_dump_from_a_newer_release_is_refused(
    exported: dict[str, Any], base_uri: str, tmp_path: Path
) -> None:
    dump, _sha = _dump_file(exported)
    text = gzip.decompress(dump.read_bytes()).decode()
    newer = tmp_path / "newer.nq.gz"
    marker = '<http://usefulinc.com/ns/doap#revision> "'
    assert marker in text
    text = text.replace(marker, marker + "99.")
    newer.write_bytes(gzip.compress(text.encode()))
    target = tmp_path / "restored"
    done = run(["load", str(newer)], target, base_uri)
    assert done.returncode == 1
    assert "newer than this Kiemen" in done.stderr
    assert "(rule: dump release)" in done.stderr
    assert not (target / "current").exists() or not graphs(
        KiemenStore(Settings.from_env(store_path=target, base_uri=base_uri))
    )


def test_restore_into_a_store_with_other_graphs_keeps_their_records(
    exported: dict[str, Any], base_uri: str, tmp_path: Path
) -> None:
    """The dump's meta graph replaces the store's, but a graph the dump does not hold keeps
    its own provenance record."""
    kstore = KiemenStore(Settings.from_env(store_path=tmp_path / "s", base_uri=base_uri))
    data = tmp_path / "people.trig"
    data.write_text(TRIG)
    load(kstore, [Source(str(data))])
    dump, _sha = _dump_file(exported)
    load(kstore, [Source(str(dump))])
    store = kstore.reader()
    meta = ox.NamedNode(base_uri + "graph/meta")
    people = ox.NamedNode("http://example.org/people")
    assert graphs(kstore)["http://example.org/people"] == 2
    sources = [
        q.object.value
        for q in store.quads_for_pattern(
            people, ox.NamedNode("http://purl.org/dc/terms/source"), None, meta
        )
    ]
    assert sources == [str(data)]
    activity = next(
        store.quads_for_pattern(people, ox.NamedNode(PROV + "wasGeneratedBy"), None, meta)
    ).object
    assert list(store.quads_for_pattern(activity, ox.NamedNode(PROV + "endedAtTime"), None, meta))
