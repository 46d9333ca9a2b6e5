"""An incremental index update gives what a full rebuild gives, after random writes.

Each write below goes through the index hook API (``loaders.rebuild_indexes(..., delta=...)``)
on a real store; after it publishes, the published indexes are compared with a full rebuild of
the same store by the reference path (the stored ``index-*`` queries): the facet index (names,
facets, sort orders, the map's positions, involvements: every file and array) must be equal,
and the text index must give the same hits, totals, kinds, corrections and vocabulary.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest
import requests
from sparql_helpers import kiemen_server, make_token

from core.config import Settings
from core.effects import Delta
from core.indexes import facets, files, incremental, search
from core.indexes import state as index_state
from core.store import KiemenStore
from loaders import INDEX_HOOKS, Source, bundled_sources, load, rebuild_indexes

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402

BASE = "http://kiemen.test/"
N = 60
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
EDITS = ox.NamedNode(BASE + "graph/edits")
PREF = ox.NamedNode(SKOS + "prefLabel")


@pytest.fixture(scope="module")
def kstore(tmp_path_factory: pytest.TempPathFactory) -> KiemenStore:
    return _loaded(tmp_path_factory.mktemp("incremental"))


def _loaded(tmp: Path) -> KiemenStore:
    kstore = KiemenStore(Settings.from_env(store_path=tmp / "store", base_uri=BASE))
    nt = tmp / "initiatives.nt"
    generate.write_nt(N, nt, BASE)
    load(kstore, [*bundled_sources(), Source(str(nt), graph="synthetic")], validate=False)
    return kstore


def _iri(kind: str, n: int) -> ox.NamedNode:
    return ox.NamedNode(f"{BASE}id/{kind}/synthetic-{n}")


def _quads(store: ox.Store, s: Any = None, p: Any = None, o: Any = None) -> list[ox.Quad]:
    return list(store.quads_for_pattern(s, p, o, None))


def _new_initiative(rng: random.Random, n: int) -> list[ox.Quad]:
    w = generate.Writer(BASE)
    doc = f"{BASE}id/document/synthetic"
    text = "".join(generate.initiative(w, rng, n, doc, max(1, N // 10), N // 2))
    return [
        ox.Quad(t.subject, t.predicate, t.object, EDITS)
        for t in ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES)
    ]


def _relabel(store: ox.Store, node: ox.NamedNode, text: str) -> tuple[list[Any], list[Any]]:
    old = [q for q in _quads(store, node, PREF) if getattr(q.object, "language", "") == "nl"]
    return old, [ox.Quad(node, PREF, ox.Literal(text, language="nl"), EDITS)]


#: Writes that move what the places' contents hold, made in these rounds of each run
#: (``round_ % 100``) whatever is drawn.
CONTENTS_ROUNDS = {2: "move actor", 6: "actor no more", 10: "place in a place", 13: "move actor"}


def _mutation(rng: random.Random, store: ox.Store, round_: int) -> tuple[str, list[Any], list[Any]]:
    """One random write: (what, quads to remove, quads to add)."""
    kind = CONTENTS_ROUNDS.get(round_ % 100) or rng.choice(
        [
            "relabel initiative",
            "new initiative",
            "delete initiative",
            "relabel place",
            "relabel actor",
            "new start date",
            "new involvement",
            "drop involvement",
            "move place",
            "move actor",
            "actor no more",
            "place in a place",
            "nothing indexed",
        ]
    )
    i = rng.randrange(N)
    if kind == "relabel initiative":
        return (kind, *_relabel(store, _iri("initiative", i), f"Hernoemd zonnepark {round_}"))
    if kind == "new initiative":
        return kind, [], _new_initiative(rng, 1000 + round_)
    if kind == "delete initiative":
        return kind, _quads(store, _iri("initiative", i)), []
    if kind == "relabel place":
        place = _iri("place", rng.randrange(N // 10))
        return (kind, *_relabel(store, place, f"Nieuwdorp {round_}"))
    if kind == "relabel actor":
        return (kind, *_relabel(store, _iri("actor", rng.randrange(N // 2)), f"Stichting {round_}"))
    if kind == "new start date":
        node = _iri("initiative", i)
        start = ox.NamedNode(SCHEMA + "startDate")
        date = ox.Literal(f"{1990 + round_}-03", datatype=ox.NamedNode(XSD + "gYearMonth"))
        return kind, _quads(store, node, start), [ox.Quad(node, start, date, EDITS)]
    if kind == "new involvement":
        inv = ox.NamedNode(f"{BASE}id/involvement/edit-{round_}")
        km = BASE + "def/"
        return (
            kind,
            [],
            [
                ox.Quad(
                    inv, ox.NamedNode(generate.RDF_TYPE), ox.NamedNode(km + "Involvement"), EDITS
                ),
                ox.Quad(inv, ox.NamedNode(km + "initiative"), _iri("initiative", i), EDITS),
                ox.Quad(
                    inv, ox.NamedNode(km + "actor"), _iri("actor", rng.randrange(N // 2)), EDITS
                ),
                ox.Quad(inv, ox.NamedNode(km + "hasRole"), ox.NamedNode(km + "role/funder"), EDITS),
            ],
        )
    if kind == "drop involvement":
        inv = ox.NamedNode(f"{BASE}id/involvement/synthetic-{i}-{rng.randrange(3)}")
        return kind, _quads(store, inv), []
    if kind == "move place":
        place = _iri("place", rng.randrange(N // 10))
        within = ox.NamedNode(SCHEMA + "containedInPlace")
        province = ox.NamedNode(f"{BASE}id/place/cbs/PV2{rng.randrange(10)}")
        return kind, _quads(store, place, within), [ox.Quad(place, within, province, EDITS)]
    if kind == "move actor":  # another place's actors: both places' contents change
        actor = _iri("actor", rng.randrange(N // 2))
        spatial = ox.NamedNode(DCT + "spatial")
        place = _iri("place", rng.randrange(N // 10))
        return kind, _quads(store, actor, spatial), [ox.Quad(actor, spatial, place, EDITS)]
    if kind == "actor no more":  # still at its place, but no longer of an actor class
        actor = _iri("actor", rng.randrange(N // 2))
        return kind, _quads(store, actor, ox.NamedNode(generate.RDF_TYPE)), []
    if kind == "place in a place":  # one place within another: the outer one contains it
        within = ox.NamedNode(SCHEMA + "containedInPlace")
        inner, outer = rng.sample(range(N // 10), 2)
        return kind, [], [ox.Quad(_iri("place", inner), within, _iri("place", outer), EDITS)]
    node = _iri("initiative", i)
    return (
        kind,
        [],
        [ox.Quad(node, ox.NamedNode("http://example.org/note"), ox.Literal("x"), EDITS)],
    )


def _write(
    kstore: KiemenStore, remove: list[Any], add: list[Any], delta: bool = True, later: Any = ()
) -> bool:
    """Apply a write with its exact delta (and ``later`` quads after the index hooks, as a
    catalogue hook does); True when the indexes were updated incrementally."""

    def catalogue(gen: Any, _kstore: KiemenStore) -> None:
        gen.store.extend(later)

    with kstore.writing() as gen:
        store = gen.store
        removed = [q for q in dict.fromkeys(remove) if q in store]
        for q in removed:
            store.remove(q)
        added = [q for q in dict.fromkeys(add) if q not in store]
        store.extend(added)
        INDEX_HOOKS.append(catalogue)
        try:
            rebuild_indexes(gen, kstore, delta=Delta(added, removed) if delta else None)
        finally:
            INDEX_HOOKS.remove(catalogue)
        return (gen.search_dir / search.TEXT_DIR / search.ITEM_MAP).exists()


def _hits(index: search.TextIndex, query: str, kind: str | None) -> Any:
    found = index.search(query, "nl", kind=kind, limit=10_000)
    return (
        found.total,
        found.kinds,
        found.corrected,
        sorted((h.iri, h.kind, h.item, h.label) for h in found.hits),
        sorted(index.matching_items(query, 10_000)),
    )


def _same_as_full_rebuild(kstore: KiemenStore, tmp: Path, queries: list[str]) -> None:
    published = kstore.search_dir()
    assert published is not None
    disk = kstore.reader()
    data, docs = incremental.indexes.collect(SimpleNamespace(store=disk), kstore)  # type: ignore[arg-type]
    expected = tmp / "reference"
    facets.build(data, expected, generation=published.parent.name)
    search.build(docs, expected / search.TEXT_DIR)
    got = facets.read_meta(published)
    want = facets.read_meta(expected)
    for key in want:
        assert got[key] == want[key], key
    a, b = _arrays(published), _arrays(expected)
    assert sorted(a) == sorted(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    vocabulary = search.VOCABULARY
    assert json.loads((published / search.TEXT_DIR / vocabulary).read_text()) == json.loads(
        (expected / search.TEXT_DIR / vocabulary).read_text()
    )
    inc = search.TextIndex(published / search.TEXT_DIR)
    full = search.TextIndex(expected / search.TEXT_DIR)
    for query in queries:
        for kind in (None, "initiative", "place", "actor"):
            assert _hits(inc, query, kind) == _hits(full, query, kind), (query, kind)


def _arrays(directory: Path) -> dict[str, np.ndarray]:
    """Every array of the facet index in ``directory``, by name (one ``.npy`` file each)."""
    return {
        p.name.removesuffix(".npy"): np.load(p) for p in (directory / facets.ARRAYS_DIR).iterdir()
    }


@pytest.mark.parametrize("recent_max", [None, 3])
def test_random_writes_update_the_indexes_as_a_full_rebuild_would(
    kstore: KiemenStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recent_max: int | None
) -> None:
    """``recent_max``: the recent parts of the tables by key as they are (a few rows each,
    never written whole again here), or written whole whenever they name more than three keys
    (then parts by key are rewritten, linked, and the recent part left out, in turn)."""
    if recent_max is not None:
        monkeypatch.setattr(files, "recent_max", lambda _rows: recent_max)
    patched_lists = []
    lists = facets._patched_lists

    def spy(*args: Any) -> Any:
        found = lists(*args)
        patched_lists.append(found is not None)
        return found

    monkeypatch.setattr(facets, "_patched_lists", spy)
    # other changes in each run (the store is the module's: the same ones would change nothing)
    first = 0 if recent_max is None else 100
    rng = random.Random(18 + first)
    queries = [
        "zonnepark",
        "Hernoemd",
        "Nieuwdorp",
        "Stichting",
        "Gemeente 3",
        "buurt",
        "Organisatie 7",
    ]
    incremental_rounds = []
    for round_ in range(first, first + 18):
        what, remove, add = _mutation(rng, kstore.reader(), round_)
        if round_ % 3 == 0:
            index_state.forget()  # as in a new process: the parent's state read from its files
        used = _write(kstore, remove, add)
        incremental_rounds.append((what, used))
        labels = [q.object.value for q in add if q.predicate == PREF]
        _same_as_full_rebuild(kstore, tmp_path / str(round_), queries + labels[:3])
    # The test is only worth something if most writes took the incremental path.
    assert sum(used for _w, used in incremental_rounds) >= 13, incremental_rounds
    # and most of those that changed initiatives carried the list rows and orders over
    assert sum(patched_lists) >= max(3, len(patched_lists) - 1), (patched_lists, incremental_rounds)


def test_a_write_without_a_delta_or_parent_state_rebuilds_in_full(
    kstore: KiemenStore, tmp_path: Path
) -> None:
    rng = random.Random(7)
    assert not _write(kstore, [], _new_initiative(rng, 5000), delta=False)
    published = kstore.search_dir()
    assert published is not None
    (published / index_state.STATE_FILE).unlink()  # as a generation made by an older release
    assert not _write(kstore, [], _new_initiative(rng, 5001))
    _same_as_full_rebuild(kstore, tmp_path / "after", ["zonnepark"])
    assert _write(kstore, [], _new_initiative(rng, 5002))  # the full rebuild kept its state
    _same_as_full_rebuild(kstore, tmp_path / "again", ["zonnepark"])


def test_names_a_later_hook_wrote_into_the_meta_graph_are_not_missed(
    kstore: KiemenStore, tmp_path: Path
) -> None:
    """A hook after the indexes (the publishers' catalogue records) writes into the meta graph:
    the next write's delta does not show it, so that write rebuilds, and the one after it is
    incremental again."""
    meta = ox.NamedNode(BASE + "graph/meta")
    concept = ox.NamedNode("http://purl.org/adms/publishertype/LocalAuthority")
    later = [
        ox.Quad(concept, ox.NamedNode(generate.RDF_TYPE), ox.NamedNode(SKOS + "Concept"), meta),
        ox.Quad(concept, PREF, ox.Literal("Gemeentelijke overheid", language="nl"), meta),
    ]
    rng = random.Random(9)
    assert _write(kstore, [], _new_initiative(rng, 6000), later=later)
    assert not _write(kstore, [], _new_initiative(rng, 6001))
    _same_as_full_rebuild(kstore, tmp_path / "rebuilt", ["Gemeentelijke", "zonnepark"])
    assert _write(kstore, [], _new_initiative(rng, 6002))
    _same_as_full_rebuild(kstore, tmp_path / "again", ["Gemeentelijke", "zonnepark"])


def _post_update(server: str, token: str, text: str) -> None:
    r = requests.post(
        server + "/sparql",
        data=text.encode(),
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"},
        timeout=600,
    )
    assert r.status_code == 204, r.text


def _patched(kstore: KiemenStore) -> bool:
    """Whether the published indexes were patched (the full build writes no item map)."""
    published = kstore.search_dir()
    assert published is not None
    return (published / search.TEXT_DIR / search.ITEM_MAP).exists()


def test_http_writes_with_their_provenance_update_the_indexes_as_a_full_rebuild_would(
    tmp_path: Path,
) -> None:
    """Random SPARQL updates (ground data, and one the engine runs) and Graph Store PUTs over
    HTTP, each validated and recording its provenance in the meta graph: every one is patched,
    not rebuilt, and the published indexes equal a full rebuild of the same store after each.
    (A store of its own: the writes above put initiatives that break the shapes into theirs.)"""
    kstore = _loaded(tmp_path)
    rng = random.Random(2018)
    store = kstore.root
    graph = EDITS.value
    writes: list[tuple[str, bool]] = []
    with kiemen_server(store) as server:
        token = make_token(store, BASE, "edits")
        for round_ in range(8):
            i = rng.randrange(N)
            node = _iri("initiative", i)
            name = f"Omgedoopt buurtproject {round_}"
            kind = ["alt name", "place name", "drop alt names", "new initiatives"][round_ % 4]
            if kind in ("alt name", "place name"):
                if kind == "place name":
                    node = _iri("place", rng.randrange(N // 10))
                text = (
                    f'INSERT DATA {{ GRAPH <{graph}> {{ {node} <{SKOS}altLabel> "{name}"@nl }} }}'
                )
                _post_update(server, token, text)
            elif kind == "drop alt names":  # not ground data: the engine runs it
                text = (
                    f"DELETE {{ GRAPH <{graph}> {{ ?s <{SKOS}altLabel> ?o }} }} "
                    f"WHERE {{ GRAPH <{graph}> {{ ?s <{SKOS}altLabel> ?o }} }}"
                )
                _post_update(server, token, text)
            else:  # replaces the graph: earlier edits go
                body = "".join(
                    f"{q.subject} {q.predicate} {q.object} .\n"
                    for q in _new_initiative(rng, 7000 + 10 * round_)  # with its section
                )
                r = requests.put(
                    server + "/store",
                    params={"graph": graph},
                    data=body.encode(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/n-triples",
                    },
                    timeout=600,
                )
                assert r.status_code in (201, 204), r.text
            writes.append((kind, _patched(kstore)))
            _same_as_full_rebuild(kstore, tmp_path / f"http-{round_}", ["buurtproject", name])
    assert all(patched for _kind, patched in writes), writes


def test_a_memory_mapped_index_answers_as_one_read_into_memory(kstore: KiemenStore) -> None:
    published = kstore.search_dir()
    assert published is not None
    mapped = facets.open_index(published)
    assert isinstance(mapped.facets["form"].fwd_values.base, np.memmap)  # a view of the file
    assert not mapped.facets["form"].fwd_values.flags.writeable  # never written through
    meta = facets.read_meta(published)
    loaded = facets.from_parts(meta, {k: np.array(v) for k, v in _arrays(published).items()})
    assert not isinstance(loaded.facets["form"].fwd_values.base, np.memmap)
    rng = random.Random(4)
    for _ in range(20):
        chosen: dict[str, list[int]] = {}
        for key in rng.sample(["form", "theme", "province", "actor", "period"], rng.randrange(3)):
            n = len(mapped.facets[key].values)
            chosen[key] = sorted(rng.sample(range(n), min(n, 1 + rng.randrange(2))))
        got, want = mapped.counts(chosen), loaded.counts(chosen)
        assert got.keys() == want.keys()
        for key in got:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)
        mask = mapped.mask(chosen)
        for sort in facets.SORTS:
            assert mapped.page(mask, mapped.order(sort, "nl"), 20, 3) == loaded.page(
                mask, loaded.order(sort, "nl"), 20, 3
            )
    item = rng.randrange(mapped.size)
    assert mapped.related(item) == loaded.related(item)
    assert mapped.network(None, [], "nl") == loaded.network(None, [], "nl")


def test_a_damaged_array_file_is_refused_and_never_passed_on(
    kstore: KiemenStore, tmp_path: Path
) -> None:
    """A missing or mismatched array file: a clear error, never a wrong answer; the next write
    does not link it into its generation (the state read from disk: rebuilt in full; the state
    kept in memory: patched, the damaged part computed anew)."""
    rng = random.Random(11)
    for forget in (True, False):
        _write(kstore, [], _new_initiative(rng, 8000 + 10 * forget))
        published = kstore.search_dir()
        assert published is not None
        path = facets.array_path(published, "theme.post_items")
        good = np.load(path)
        path.unlink()
        np.save(path, good[:-1])  # one row short (a new file: the parent's link is not touched)
        with pytest.raises(facets.IndexMissing, match=r"theme\.post_items"):
            facets.open_index(published)
        path.unlink()
        with pytest.raises(facets.IndexMissing, match=r"theme\.post_items"):
            facets.open_index(published)
        if forget:
            index_state.forget()
            assert index_state.load(published) is None
        # a relabelled initiative: the themes stay as they were, so theirs would be linked
        node = _iri("initiative", rng.randrange(N))
        assert _write(kstore, *_relabel(kstore.reader(), node, "Hersteld")) is not forget
        _same_as_full_rebuild(kstore, tmp_path / f"rebuilt-{forget}", ["Hersteld"])


def _files(directory: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of an index folder (not the text index), by path: its inode and its bytes."""
    return {
        str(p.relative_to(directory)): (p.stat().st_ino, p.read_bytes())
        for p in sorted(directory.rglob("*"))
        if p.is_file() and search.TEXT_DIR not in p.relative_to(directory).parts
    }


def test_unchanged_parts_are_linked_and_never_written_through(
    kstore: KiemenStore, tmp_path: Path
) -> None:
    """A write that changes one initiative's name links the parts it did not change from the
    parent generation (same inode); later writes to the child never change the parent's files."""
    rng = random.Random(21)
    _write(kstore, [], _new_initiative(rng, 9000))
    with kstore.pinned() as parent_gen:  # kept while later generations are published
        parent = parent_gen / "search"
        before = _files(parent)
        node = _iri("initiative", rng.randrange(N))
        assert _write(kstore, *_relabel(kstore.reader(), node, "Eerste naam"))
        with kstore.pinned() as child_gen:
            child = child_gen / "search"
            assert child_gen != parent_gen
            mine = _files(child)
            linked = {k for k in mine if k in before and mine[k][0] == before[k][0]}
            arrays = {k for k in mine if k.startswith(facets.ARRAYS_DIR + "/")}
            # the facets, positions and involvements are linked; the sort orders are new
            assert len(linked & arrays) >= len(arrays) - len(facets.ORDER_ARRAYS), sorted(
                arrays - linked
            )
            assert "meta/items.json" not in linked and "meta/rest.json" in linked
            # the renamed one's row in the recent part; the 16 parts by key as they were
            shards = {k for k in mine if k.startswith("state/initiatives.")}
            assert shards - linked == {"state/initiatives.recent.json"}, sorted(shards - linked)
            assert len(shards & linked) == files.SHARDS
            assert {k for k in mine if k.startswith("state/things.")} <= linked
            for round_ in range(4):  # every kind of change on top of the child
                _what, remove, add = _mutation(rng, kstore.reader(), 100 + round_)
                _write(kstore, remove, add)
                _write(kstore, [], _new_initiative(rng, 9100 + round_))
            assert _files(parent) == before
            assert _files(child) == mine
    _same_as_full_rebuild(kstore, tmp_path / "after", ["Eerste"])


def test_a_new_initiative_with_known_values_links_the_facets_parts(
    kstore: KiemenStore, tmp_path: Path
) -> None:
    """A write that adds an initiative changes every facet's arrays (one item more) but hardly
    ever a facet's values: a facet's part (values and tokens) whose values are the parent's is
    linked, not encoded again; the index is still the full rebuild's."""
    rng = random.Random(22)
    _write(kstore, [], _new_initiative(rng, 9200))
    node = _iri("initiative", rng.randrange(N))
    copy = ox.NamedNode(f"{BASE}id/initiative/copy-of-one")
    twin = [ox.Quad(copy, q.predicate, q.object, EDITS) for q in _quads(kstore.reader(), node)]
    with kstore.pinned() as parent_gen:
        before = _files(parent_gen / "search")
        assert _write(kstore, [], twin)
        with kstore.pinned() as child_gen:
            mine = _files(child_gen / "search")
    parts = [
        f"meta/facet.{f.key}.json" for f in facets.FACETS if f"meta/facet.{f.key}.json" in mine
    ]
    same = [k for k in parts if json.loads(mine[k][1]) == json.loads(before[k][1])]
    assert len(same) >= 3, same
    assert all(mine[k][0] == before[k][0] for k in same), same  # linked: the same file
    assert mine["meta/items.json"][0] != before["meta/items.json"][0]
    _same_as_full_rebuild(kstore, tmp_path / "after", [])


def test_the_state_read_ahead_is_the_one_on_disk_and_follows_other_writers(
    kstore: KiemenStore, tmp_path: Path
) -> None:
    """The write worker reads the published index state while it waits (incremental.warm):
    what it keeps is what a write would read from the files, and after another process
    published it keeps that generation's state, never the one it had."""
    rng = random.Random(31)
    assert _write(kstore, [], _new_initiative(rng, 9000))
    index_state.forget()  # published by another process
    for round_ in range(2):
        assert incremental.warm(kstore)
        published = kstore.search_dir()
        assert published is not None
        token = json.loads((published / index_state.STATE_FILE).read_text())["token"]
        assert list(index_state._KEPT) == [token]
        kept = index_state.load(published)  # what the next write takes
        assert kept is not None and not index_state._KEPT
        assert index_state.load(published) == kept  # the same as read from the files
        assert _iri("initiative", 9000 + round_).value in kept.data.initiatives
        # another process publishes the next generation while this one keeps that state
        assert _write(kstore, [], _new_initiative(rng, 9001 + round_))
        index_state._KEPT.clear()
        index_state._KEPT[token] = kept
    # a write after the read-ahead takes the kept state and is what a full rebuild gives
    assert incremental.warm(kstore)
    assert _write(kstore, [], _new_initiative(rng, 9003))
    _same_as_full_rebuild(kstore, tmp_path / "warm", ["zonnepark"])


def test_a_state_that_cannot_be_read_is_not_read_again_while_waiting(
    kstore: KiemenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The idle write worker looks every second: a state it could not read (damaged, another
    format) is not read again each time, which would keep a core busy for nothing."""
    published = kstore.search_dir()
    assert published is not None
    head = published / index_state.STATE_FILE
    kept = head.read_text(encoding="utf-8")
    reads: list[Path] = []
    real = index_state.load

    def counted(directory: Path) -> Any:
        reads.append(directory)
        return real(directory)

    monkeypatch.setattr(index_state, "load", counted)
    try:
        head.write_text(
            json.dumps({**json.loads(kept), "format": -1, "token": "other"}), encoding="utf-8"
        )
        index_state.forget()
        assert not incremental.warm(kstore) and not incremental.warm(kstore)
        assert len(reads) == 1
    finally:
        head.write_text(kept, encoding="utf-8")
    assert incremental.warm(kstore) and len(reads) == 2  # the readable state, read once
