"""The fast paths of the map, the network and the text list answer as the plain ways do.

Each shortcut (bulk numpy steps instead of a Python step per row or per hit) is compared with
the plain way it replaced, kept here as the reference, on a real store of generated initiatives
with random selections: same points, edges, nodes, matches, order and counts.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.config import Settings
from core.indexes import facets, search
from core.indexes.facets import BrowseIndex, pick
from core.store import KiemenStore
from loaders import Source, bundled_sources, load
from portal import listing, resource
from portal.app import create_app

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402

BASE = "http://kiemen.test/"
N = 400


@pytest.fixture(scope="module")
def kstore(tmp_path_factory: pytest.TempPathFactory) -> KiemenStore:
    work = tmp_path_factory.mktemp("shortcuts")
    nt = work / "initiatives.nt"
    generate.write_nt(N, nt, BASE)
    store = KiemenStore(Settings.from_env(store_path=work / "store", base_uri=BASE))
    load(store, [*bundled_sources(), Source(str(nt), graph="synthetic")], validate=False)
    return store


@pytest.fixture(scope="module")
def index(kstore: KiemenStore) -> BrowseIndex:
    published = kstore.search_dir()
    assert published is not None
    return facets.open_index(published)


def random_mask(index: BrowseIndex, rng: random.Random) -> np.ndarray | None:
    """None (everything), a facet value's items, or a random share of the items."""
    way = rng.randrange(3)
    if way == 0:
        return None
    if way == 1:
        key = rng.choice(["form", "theme", "province", "actor"])
        return index.facet_mask(key, [rng.randrange(len(index.facets[key].values))])
    return np.array([rng.random() < rng.random() for _ in range(index.size)], dtype=bool)


# -- the plain ways ---------------------------------------------------------------------------


def plain_map_points(
    index: BrowseIndex, mask: np.ndarray | None, lang: str, per_place: int = 5
) -> list[dict[str, Any]]:
    facet = index.facets["spatial"]
    counts = facet.count_in(mask)
    points = []
    for v in np.flatnonzero(counts):
        iri = facet.values[int(v)]
        place = index.places.get(iri)
        if not place or place.get("lat") is None:
            continue
        members = facet.items_of(int(v))
        if mask is not None:
            members = members[mask[members]]
        examples = [
            {"iri": index.items[int(i)], "label": pick(index.info[int(i)].get("label"), lang)}
            for i in members[:per_place]
        ]
        points.append(
            {
                "place": iri,
                "label": index.label(iri, lang),
                "lat": place["lat"],
                "long": place["long"],
                "count": int(counts[v]),
                "initiatives": examples,
            }
        )
    points.sort(key=lambda p: -p["count"])
    return points


def plain_network(
    index: BrowseIndex,
    mask: np.ndarray | None,
    roles: Sequence[int],
    lang: str,
    max_initiatives: int = 150,
) -> dict[str, Any]:
    keep = np.ones(len(index.inv_item), dtype=bool)
    if mask is not None:
        keep &= mask[index.inv_item]
    if roles:
        keep &= np.isin(index.inv_role, np.asarray(roles, dtype=index.inv_role.dtype))
    rows = np.flatnonzero(keep)
    initiatives_all = np.unique(index.inv_item[rows])
    total = len(initiatives_all)
    if total > max_initiatives:
        degree = np.bincount(index.inv_item[rows], minlength=index.size)
        chosen = initiatives_all[
            np.argsort(-degree[initiatives_all], kind="stable")[:max_initiatives]
        ]
        rows = rows[np.isin(index.inv_item[rows], chosen)]
    edges: dict[tuple[int, int], dict[str, Any]] = {}
    for r in rows:
        key = (int(index.inv_item[r]), int(index.inv_actor[r]))
        edge = edges.setdefault(key, {"roles": [], "stated": False})
        role_iri = index.facets["role"].values[int(index.inv_role[r])]
        if role_iri not in edge["roles"]:
            edge["roles"].append(role_iri)
        edge["stated"] = edge["stated"] or bool(index.inv_stated[r])
    nodes: dict[str, dict[str, Any]] = {}
    out_edges = []
    for (item, actor), edge in edges.items():
        ini, act = index.items[item], index.facets["actor"].values[actor]
        nodes.setdefault(
            ini,
            {"id": ini, "label": pick(index.info[item].get("label"), lang), "kind": "initiative"},
        )
        nodes.setdefault(act, {"id": act, "label": index.label(act, lang), "kind": "actor"})
        out_edges.append(
            {
                "source": act,
                "target": ini,
                "roles": edge["roles"],
                "label": ", ".join(index.label(r, lang) for r in edge["roles"]),
                "stated": edge["stated"],
            }
        )
    degree_count: dict[str, int] = defaultdict(int)
    for e in out_edges:
        degree_count[e["source"]] += 1
        degree_count[e["target"]] += 1
    for node in nodes.values():
        node["degree"] = degree_count[node["id"]]
    return {
        "nodes": sorted(nodes.values(), key=lambda n: (n["kind"], n["label"])),
        "edges": out_edges,
        "initiatives": total,
        "truncated": total > max_initiatives,
    }


# -- the comparisons --------------------------------------------------------------------------


def test_map_points_as_the_plain_way(index: BrowseIndex) -> None:
    rng = random.Random(18)
    assert index.size > N
    for _ in range(40):
        mask = random_mask(index, rng)
        lang = rng.choice(["nl", "en"])
        per_place = rng.choice([0, 1, 5])
        assert index.map_points(mask, lang, per_place) == plain_map_points(
            index, mask, lang, per_place
        )


def test_network_as_the_plain_way(index: BrowseIndex) -> None:
    rng = random.Random(4)
    truncated = 0
    for _ in range(60):
        mask = random_mask(index, rng)
        n_roles = len(index.facets["role"].values)
        roles = sorted(rng.sample(range(n_roles), rng.randrange(min(3, n_roles + 1))))
        lang = rng.choice(["nl", "en"])
        most = rng.choice([3, 20, 150])
        found = index.network(mask, roles, lang, most)
        assert found == plain_network(index, mask, roles, lang, most)
        truncated += bool(found["truncated"])
    assert truncated >= 10  # the best-connected cut was compared too


def plain_matching_items(texts: search.TextIndex, text: str, limit: int) -> list[int]:
    """Each hit's item from its stored document, one by one, best first."""
    query = texts.query(text, "initiative")
    if query is None:
        return []
    searcher = texts.index.searcher()
    out = []
    for _score, address in searcher.search(query, limit=limit, count=False).hits:
        item = texts.item_of(searcher.doc(address).get_first("item"))
        if item is not None:
            out.append(item)
    return out


def test_text_matches_as_the_plain_way(kstore: KiemenStore) -> None:
    published = kstore.search_dir()
    assert published is not None
    texts = search.TextIndex(published / search.TEXT_DIR)
    words, counts = texts.vocabulary
    common = [w for w, n in zip(words, counts, strict=True) if n > 20]
    rng = random.Random(7)
    capped = 0
    for _ in range(40):
        picked = rng.sample(common, rng.randrange(1, 3))
        text = rng.choice([" ".join, " OR ".join, lambda ws: f'"{" ".join(ws)}"'])(picked)
        if rng.random() < 0.2:
            text = text[:-1] + text[-2:]  # a typo: corrected or searched fuzzily
        limit = rng.choice([5, 50, 10_000])
        found = texts.matching_items(text, limit)
        assert found.tolist() == plain_matching_items(texts, text, limit), text
        capped += len(found) == limit
    assert capped >= 5  # the cut at the limit was compared too


def test_map_and_network_answers_link_pages_as_page_path(kstore: KiemenStore) -> None:
    """The API answers resolve page links with the namespaces read once (``page_paths``);
    every link is the one :func:`portal.resource.page_path` gives."""
    settings = kstore.settings
    client = create_app(settings).test_client()

    def link(iri: str) -> str | None:
        path = resource.page_path(settings, iri)
        return "/page/" + path if path else None

    points = client.get("/api/map").get_json()["rows"]
    examples = [i for p in points for i in p["initiatives"]]
    assert points and examples
    assert [p["page_url"] for p in points] == [link(p["place"]) for p in points]
    assert [i["page_url"] for i in examples] == [link(i["iri"]) for i in examples]
    nodes = client.get("/api/network").get_json()["nodes"]
    assert nodes
    assert [n["page_url"] for n in nodes] == [link(n["id"]) for n in nodes]


def plain_match_set(texts: search.TextIndex, text: str) -> list[int]:
    """Every hit's item from its stored document, one by one, ascending."""
    query = texts.query(text, "initiative")
    if query is None:
        return []
    searcher = texts.index.searcher()
    out = set()
    for _score, address in searcher.search(query, limit=searcher.num_docs, count=False).hits:
        item = texts.item_of(searcher.doc(address).get_first("item"))
        if item is not None:
            out.add(item)
    return sorted(out)


def random_query(texts: search.TextIndex, rng: random.Random) -> str:
    """One to two words (any, or one that most initiatives hold), joined, ORed or a phrase,
    sometimes with a typo or an exclusion."""
    words, counts = texts.vocabulary
    common = [w for w, n in zip(words, counts, strict=True) if n > 20]
    broad = [w for w, n in zip(words, counts, strict=True) if n > N * 0.6]
    picked = [rng.choice(broad if rng.random() < 0.4 else common)]
    if rng.random() < 0.5:
        picked.append(rng.choice(common))
    text = rng.choice([" ".join, " OR ".join, lambda ws: f'"{" ".join(ws)}"'])(picked)
    if rng.random() < 0.2:
        text = text[:-1] + text[-2:]  # a typo: corrected or searched fuzzily
    if rng.random() < 0.2:
        text += " -" + rng.choice(common)
    return text


@pytest.mark.parametrize(
    ("chunk", "skew"), [(search.MATCH_CHUNK, 0), (50, 0), (10_000, -2), (10_000, 3)]
)
def test_every_match_as_the_plain_way(
    kstore: KiemenStore, monkeypatch: pytest.MonkeyPatch, chunk: int, skew: int
) -> None:
    """The match set (matches or their complement, in ranges of keys) is every hit, also when
    the count it goes by is wrong (``skew``: then it searches range by range)."""
    monkeypatch.setattr(search, "MATCH_CHUNK", chunk)
    published = kstore.search_dir()
    assert published is not None
    texts = search.TextIndex(published / search.TEXT_DIR)
    head = texts.head
    monkeypatch.setattr(texts, "head", lambda text: (head(text)[0], head(text)[1] + skew))
    every, _top = texts.initiatives()
    rng = random.Random(11)
    most = 0
    for _ in range(40):
        text = random_query(texts, rng)
        found = texts.match_set(text)
        assert found.tolist() == plain_match_set(texts, text), text
        assert texts.match_bits(text) is texts.match_bits(text)  # kept
        mask = texts.match_mask(text, len(every) + 3)
        assert np.flatnonzero(mask).tolist() == found.tolist()
        most += 2 * len(found) > int(every.sum())
    assert most >= 5  # the complement was taken too


def test_relevance_order_pages_as_the_whole_ranking(
    kstore: KiemenStore, index: BrowseIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page in relevance order, from as few hits as hold it, is the page of the whole ranking:
    the best ``most`` matches by score, then the other matches in item order."""
    published = kstore.search_dir()
    assert published is not None
    texts = search.TextIndex(published / search.TEXT_DIR)
    monkeypatch.setattr(listing, "RANKED_FIRST", 4)  # so that pages ask for more, often
    rng = random.Random(12)
    deep = tail = 0
    for _ in range(60):
        text, matches = "", []
        while len(matches) < 20:  # a query with something to page through
            text = random_query(texts, rng)
            matches = plain_match_set(texts, text)
        base = np.zeros(index.size, dtype=bool)
        base[matches] = True
        narrow = random_mask(index, rng)
        mask = base if narrow is None else base & narrow
        most = rng.choice([3, 40, listing.MAX_RANKED])
        top = min(int(base.sum()), most)
        ranked = plain_matching_items(texts, text, top) if top else []
        rest = [i for i in range(index.size) if i not in set(ranked)]
        whole = np.array(ranked + rest, dtype=np.int64)
        size = rng.choice([1, 5, 20])
        offset = rng.choice([0, size, rng.randrange(int(mask.sum()) + 1), 1000])
        got = listing.relevance_order(texts, text, mask, offset, size, most=most)
        want = index.page(mask, whole, size, offset=offset)
        assert index.page(mask, got, size, offset=offset) == want, text
        after = want[2]
        if after is not None:
            got = listing.relevance_order(texts, text, mask, 0, size, after=after, most=most)
            again = index.page(mask, got, size, after=after)
            assert again == index.page(mask, whole, size, after=after), text
        position = {item: n for n, item in enumerate(ranked)}
        deep += any(position.get(i, -1) >= listing.RANKED_FIRST for i in want[0])
        tail += any(i not in position for i in want[0])
    assert deep >= 3 and tail >= 3  # pages deep in the ranking, and past it
