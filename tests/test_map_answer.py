"""The map API's joined JSON (:mod:`portal.map_answer`) is, byte for byte, what ``jsonify``
makes of the plain answer, for random filters in both languages, with names that need escaping,
and after a write (a new generation's names, never the old generation's fragments).

The plain way (dicts per place and example, page links added, ``jsonify``) is kept here as the
reference, on a real store of generated initiatives served by the real app.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pyoxigraph as ox
import pytest
from flask import Flask, jsonify, request

from core.config import Settings
from core.effects import Delta
from core.indexes.facets import pick
from core.store import KiemenStore
from loaders import Source, bundled_sources, load, rebuild_indexes
from portal import listing, map_answer, resource
from portal.app import create_app

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402

BASE = "http://kiemen.test/"
N = 300
PREF = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
#: Names a JSON writer must escape: quotes, a backslash, markup, accents, a line separator.
ODD = 'Zoë "ter" Meulen\\<script>\u2028✓'


@pytest.fixture(scope="module")
def kstore(tmp_path_factory: pytest.TempPathFactory) -> KiemenStore:
    work = tmp_path_factory.mktemp("map-answer")
    nt = work / "initiatives.nt"
    generate.write_nt(N, nt, BASE)
    store = KiemenStore(Settings.from_env(store_path=work / "store", base_uri=BASE))
    load(store, [*bundled_sources(), Source(str(nt), graph="synthetic")], validate=False)
    return store


@pytest.fixture(scope="module")
def app(kstore: KiemenStore) -> Flask:
    return create_app(kstore.settings, page_cache_mb=0)


def plain_answer(app: Flask, kstore: KiemenStore, query: str, lang: str) -> bytes:
    """The answer as the view made it before the joined JSON: dicts, then ``jsonify``."""
    with app.test_request_context("/api/map?" + query):
        result = listing.listing(kstore, request.args, lang, path="/api/map", with_facets=False)
        index = listing.browse_index(kstore)
        facet = index.facets["spatial"]
        counts = facet.count_in(result.mask)
        points = []
        for v in np.flatnonzero(counts):
            iri = facet.values[int(v)]
            place = index.places.get(iri)
            if not place or place.get("lat") is None:
                continue
            members = facet.items_of(int(v))
            if result.mask is not None:
                members = members[result.mask[members]]
            examples = [
                {
                    "iri": index.items[int(i)],
                    "label": pick(index.info[int(i)].get("label"), lang),
                    "page_url": link(kstore.settings, index.items[int(i)]),
                }
                for i in members[:5]
            ]
            points.append(
                {
                    "place": iri,
                    "label": index.label(iri, lang),
                    "lat": place["lat"],
                    "long": place["long"],
                    "count": int(counts[v]),
                    "initiatives": examples,
                    "page_url": link(kstore.settings, iri),
                }
            )
        points.sort(key=lambda p: -p["count"])
        body = {
            "ok": True,
            "rows": points,
            "count": result.total,
            "truncated": False,
            "next": None,
            "next_url": None,
            "sparql_url": result.sparql_url,
        }
        return jsonify(body).get_data()


def link(settings: Settings, iri: str) -> str | None:
    path = resource.page_path(settings, iri)
    return "/page/" + path if path else None


def random_query(kstore: KiemenStore, rng: random.Random) -> tuple[str, str]:
    """Up to three facet values (tokens), sometimes a text, in a random language."""
    index = listing.browse_index(kstore)
    pairs: list[tuple[str, str]] = []
    for key in rng.sample(["form", "theme", "province", "actor", "spatial", "period"], 3):
        if rng.random() < 0.4:
            tokens = index.facets[key].tokens
            pairs += [(key, t) for t in rng.sample(tokens, min(len(tokens), rng.randrange(1, 3)))]
    if rng.random() < 0.2:
        pairs.append(("q", rng.choice(["buurt", "energie", "samen", "zorg"])))
    lang = rng.choice(["nl", "en"])
    pairs.append(("_lang", lang))
    return urlencode(pairs), lang


def test_the_joined_answer_is_the_plain_answer(app: Flask, kstore: KiemenStore) -> None:
    client = app.test_client()
    rng = random.Random(18)
    examples = 0
    for _ in range(60):
        query, lang = random_query(kstore, rng)
        got = client.get("/api/map?" + query)
        assert got.status_code == 200, query
        assert got.mimetype == "application/json"
        assert got.get_data() == plain_answer(app, kstore, query, lang), query
        examples += sum(len(p["initiatives"]) for p in got.get_json()["rows"])
    assert examples > 500  # most answers showed examples, not only empty places


def test_other_json_settings_take_the_plain_way(kstore: KiemenStore) -> None:
    """With the provider indenting (debug mode), the answer is the same value, indented."""
    app = create_app(kstore.settings, page_cache_mb=0)
    app.json.compact = False  # type: ignore[attr-defined]
    got = app.test_client().get("/api/map?_lang=en")
    assert got.get_data().startswith(b'{\n  "count"')
    assert got.get_data() == plain_answer(app, kstore, "_lang=en", "en")


def test_after_a_write_the_answer_names_what_the_new_generation_names(
    app: Flask, kstore: KiemenStore
) -> None:
    """Renamed places and initiatives (with names that need escaping) appear at once: the
    fragments belong to the old generation's index and are never used for the new one."""
    client = app.test_client()
    before = client.get("/api/map").get_json()["rows"]
    first = before[0]
    place, initiative = first["place"], first["initiatives"][0]["iri"]
    old_tag = client.get("/api/map").headers["ETag"]
    with kstore.writing() as gen:
        store = gen.store
        removed = [
            q
            for s in (place, initiative)
            for q in store.quads_for_pattern(ox.NamedNode(s), PREF, None)
            if isinstance(q.object, ox.Literal) and q.object.language == "nl"
        ]
        added = [
            ox.Quad(ox.NamedNode(s), PREF, ox.Literal(f"{ODD} {k}", language="nl"), q.graph_name)
            for k, (s, q) in enumerate(zip((place, initiative), removed, strict=True))
        ]
        for q in removed:
            store.remove(q)
        store.extend(added)
        rebuild_indexes(gen, kstore, delta=Delta(added, removed))
    answer = client.get("/api/map")
    assert answer.headers["ETag"] != old_tag
    rows: list[dict[str, Any]] = answer.get_json()["rows"]
    assert rows[0]["label"] == f"{ODD} 0"
    assert rows[0]["initiatives"][0]["label"] == f"{ODD} 1"
    assert b"\\u2028" in answer.get_data() and b"\\u00eb" in answer.get_data()
    assert answer.get_data() == plain_answer(app, kstore, "", "nl")


def test_things_without_a_page_have_a_null_page_url(app: Flask, kstore: KiemenStore) -> None:
    """Under other namespaces no place or initiative has a page here: every link is null."""
    index = listing.browse_index(kstore)
    elsewhere = dataclasses.replace(kstore.settings, base_uri="http://elsewhere.test/")
    chosen = index.map_selection(None)
    text = map_answer.body(index, chosen, "en", elsewhere, total=index.size, sparql_url="/q")
    points = index.map_points(None, "en")
    for p in points:
        p["page_url"] = None
        for i in p["initiatives"]:
            i["page_url"] = None
    with app.app_context():
        want = jsonify(
            {
                "ok": True,
                "rows": points,
                "count": index.size,
                "truncated": False,
                "next": None,
                "next_url": None,
                "sparql_url": "/q",
            }
        ).get_data(as_text=True)
    assert points and text == want
