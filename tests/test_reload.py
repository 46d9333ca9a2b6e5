"""Reloading a graph: a generation started without the graphs a load replaces (a fresh store
filled with the others) gives the same store and indexes as the hard-linked copy did, and as
loading into a store that never held them; a failed reload leaves the store as it was."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from core.config import Settings
from core.indexes import facets, search
from core.store import REBUILD_FACTOR, KiemenStore, graph_iri
from core.validation.shacl import to_rdflib
from loaders import LoadError, Source, bundled_sources, load

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402

BASE = "http://kiemen.test/"
#: Initiatives before and after the reload: about 6,400 and 7,000 triples, more than half of
#: the bundled graphs' 10,300, so that replacing them starts from a fresh store.
N_OLD, N_NEW = 100, 110
OTHER = """@prefix ex: <http://example.org/> .
ex:a ex:p "één" ; ex:q [ ex:r 1 ; ex:s [ ex:t "diep"@nl ] ] .
ex:b ex:p ex:a .
"""
FRESH = "the new generation starts without"


def _store(path: Path) -> KiemenStore:
    return KiemenStore(Settings.from_env(store_path=path, base_uri=BASE))


def _nt(path: Path, n: int) -> Path:
    generate.write_nt(n, path, BASE)
    return path


def _load(kstore: KiemenStore, sources: list[Source], **kw: Any) -> list[str]:
    said: list[str] = []
    load(kstore, sources, validate=False, progress=said.append, **kw)
    return said


def _graphs(kstore: KiemenStore) -> dict[str, set[ox.Quad]]:
    """Every graph's quads (blank nodes by their stored identifiers)."""
    store = kstore.reader()
    return {
        g.value: set(store.quads_for_pattern(None, None, None, g)) for g in store.named_graphs()
    }


def _same(a: set[ox.Quad], b: set[ox.Quad]) -> bool:
    """The same statements, blank nodes aside (two stores mint their own)."""
    return isomorphic(to_rdflib(a, rdflib.Graph()), to_rdflib(b, rdflib.Graph()))


def _about(quads: set[ox.Quad], graph: str) -> set[ox.Quad]:
    return {q for q in quads if q.subject == ox.NamedNode(graph)}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("reload-data")
    other = tmp / "other.ttl"
    other.write_text(OTHER, encoding="utf-8")
    return {
        "old": _nt(tmp / "old.nt", N_OLD),
        "new": _nt(tmp / "new.nt", N_NEW),
        "other": other,
    }


def _indexes(kstore: KiemenStore) -> tuple[dict[str, Any], dict[str, Any], Any, list[Any]]:
    """The published indexes, as far as they do not name their generation or loads."""
    directory = kstore.search_dir()
    assert directory is not None
    meta = facets.read_meta(directory)
    meta = {k: v for k, v in meta.items() if "generation" not in k}
    # Each load's activity is named for its time: the labels of those differ between stores.
    meta["labels"] = {k: v for k, v in meta["labels"].items() if "/id/load/" not in k}
    arrays = {
        p.name: np.load(p).tolist() for p in sorted((directory / facets.ARRAYS_DIR).iterdir())
    }
    text = directory / search.TEXT_DIR
    vocabulary = json.loads((text / search.VOCABULARY).read_text(encoding="utf-8"))
    index = search.TextIndex(text)
    hits = []
    for query in ("buurt", "initiatief", "groen", "gemeente"):
        found = index.search(query, "nl", limit=10_000)
        hits.append((found.total, sorted((h.iri, h.kind, h.item) for h in found.hits)))
    return meta, arrays, vocabulary, hits


def test_a_reload_gives_what_a_load_beside_the_same_graphs_gives(
    tmp_path: Path, data: dict[str, Path]
) -> None:
    new = Source(str(data["new"]), graph="synthetic")
    other = Source(str(data["other"]), graph="other")
    reloaded = _store(tmp_path / "reloaded")
    _load(reloaded, [*bundled_sources(), other, Source(str(data["old"]), graph="synthetic")])
    before = _graphs(reloaded)
    said = _load(reloaded, [new])
    assert any(FRESH in m for m in said), said  # the fresh store, not the copy
    fresh = _store(tmp_path / "fresh")
    _load(fresh, [*bundled_sources(), other])
    _load(fresh, [new])

    got, want = _graphs(reloaded), _graphs(fresh)
    synthetic, meta = graph_iri(reloaded.settings, "synthetic").value, BASE + "graph/meta"
    assert got.keys() == want.keys() == before.keys()
    for name in got.keys() - {meta}:
        assert _same(got[name], want[name]), name
    for name in got.keys() - {meta, synthetic}:  # the graphs kept, quad for quad
        assert got[name] == before[name], name
    assert any(isinstance(q.object, ox.BlankNode) for q in got[BASE + "graph/other"])
    for name in got.keys() - {synthetic}:  # their provenance records, as they were
        assert _about(got[meta], name) == _about(before[meta], name), name
    assert _about(got[meta], synthetic) != _about(before[meta], synthetic)
    assert _indexes(reloaded) == _indexes(fresh)


def test_a_small_graph_is_replaced_in_the_hard_linked_copy(
    tmp_path: Path, data: dict[str, Path]
) -> None:
    kstore = _store(tmp_path / "store")
    _load(kstore, [*bundled_sources(), Source(str(data["old"]), graph="synthetic")])
    other = Source(str(data["other"]), graph="other")
    _load(kstore, [other])
    before = _graphs(kstore)
    changed = data["other"].parent / "other-changed.ttl"
    changed.write_text(OTHER.replace('"één"', '"twee"'), encoding="utf-8")
    said = _load(kstore, [Source(str(changed), graph="other")], small=True)
    assert not any(FRESH in m for m in said), said
    got = _graphs(kstore)
    assert {"twee"} == {
        q.object.value for q in got[BASE + "graph/other"] if q.object.value in ("één", "twee")
    }
    for name in got.keys() - {BASE + "graph/other", BASE + "graph/meta"}:
        assert got[name] == before[name], name
    fresh = _store(tmp_path / "fresh")
    _load(fresh, [*bundled_sources(), Source(str(data["old"]), graph="synthetic")])
    _load(fresh, [Source(str(changed), graph="other")])
    assert _indexes(kstore) == _indexes(fresh)


def test_the_choice_rests_on_counts(tmp_path: Path) -> None:
    """Fresh exactly when the other graphs hold at most REBUILD_FACTOR times the replaced
    quads; the generation holds the same quads either way, blank nodes, empty graphs and the
    default graph included."""
    kstore = _store(tmp_path / "store")
    big, small, empty = (ox.NamedNode(BASE + f"graph/{n}") for n in ("big", "small", "empty"))
    ex = "http://example.org/"
    with kstore.writing() as gen:
        for i in range(10):
            gen.store.add(
                ox.Quad(ox.NamedNode(f"{ex}s{i}"), ox.NamedNode(ex + "p"), ox.Literal(str(i)), big)
            )
        for i in range(10 * REBUILD_FACTOR + 1):
            b = ox.BlankNode(f"b{i}")
            gen.store.add(ox.Quad(b, ox.NamedNode(ex + "p"), ox.Literal(str(i)), small))
        gen.store.add(ox.Quad(ox.NamedNode(ex + "d"), ox.NamedNode(ex + "p"), ox.Literal("d")))
        gen.store.add_graph(empty)
    parent = kstore.current_generation()
    assert parent is not None
    old = ox.Store.read_only(str(parent / "oxigraph"))
    everything = set(old)
    del old

    for replacing, left_out in (
        ([big], frozenset()),  # the others hold one quad more than REBUILD_FACTOR times
        ([small], frozenset({small.value})),
        ([big, small], frozenset({big.value, small.value})),
        ([ox.NamedNode(BASE + "graph/absent")], frozenset()),
        ([], frozenset()),
    ):
        with kstore.writing(publish=False, replacing=replacing) as gen:
            assert gen.left_out == left_out, replacing
            kept = set(gen.store)
            dropped = {q for q in everything if str(q.graph_name)[1:-1] in left_out}
            assert kept == everything - dropped, replacing
            names = {g.value for g in gen.store.named_graphs()}
            assert empty.value in names and not names & left_out


def test_a_failed_reload_leaves_the_store_as_it_was(tmp_path: Path, data: dict[str, Path]) -> None:
    kstore = _store(tmp_path / "store")
    _load(kstore, [*bundled_sources(), Source(str(data["old"]), graph="synthetic")])
    published, before = kstore.current_generation(), _graphs(kstore)
    broken = tmp_path / "broken.nt"
    broken.write_bytes(data["new"].read_bytes() + b"<http://x> <http://y> .\n")
    with pytest.raises(LoadError):
        _load(kstore, [Source(str(broken), graph="synthetic")])
    said = _load(kstore, [Source(str(data["new"]), graph="synthetic")], dry_run=True)
    assert any(FRESH in m for m in said), said  # both took the fresh store's path
    assert kstore.current_generation() == published
    assert _graphs(kstore) == before
    assert not [p for p in (tmp_path / "store").iterdir() if p.name.endswith(".tmp")]
