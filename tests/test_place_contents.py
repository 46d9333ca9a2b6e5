"""A place page lists the places within it and its actors from the index, as the query did.

The contents of every place are written with the facet index at load
(:mod:`core.indexes.contents`); ``queries/place-contents.rq`` stays their definition. On a real
store (the bundled data, synthetic initiatives and edge cases: a subclass of an actor class, a
thing of an actor class and another, names shared by two actors, places within places, a
blank-node actor) every place's contents from the index equal the query's answer, and every
place page is the same page, byte for byte, as the one made from the query on a copy of the
store whose index does not keep them (as an index of an older release).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from core.config import Settings
from core.effects import Delta
from core.indexes import contents, facets, search
from core.indexes import state as index_state
from core.store import KiemenStore
from loaders import Source, bundled_sources, load, rebuild_indexes
from portal import kinds, listing
from portal.app import create_app
from portal.resource import page_path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402

BASE = "http://kiemen.test/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _edge_cases(base: str) -> str:
    return f"""
@prefix km: <{base}def/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix a: <{base}id/actor/> .
@prefix p: <{base}id/place/> .
@prefix x: <http://example.org/def/> .

x:Cooperative rdfs:subClassOf km:Organisation .
a:coop a x:Cooperative ; skos:prefLabel "Zelfde naam"@nl ; dcterms:spatial p:synthetic-1 .
a:twin a km:Person ; skos:prefLabel "Zelfde naam"@nl ; dcterms:spatial p:synthetic-1 .
a:both a km:Organisation , km:Place ; skos:prefLabel "Beide"@nl ;
    dcterms:spatial p:synthetic-1 , p:synthetic-2 ;
    schema:containedInPlace p:synthetic-2 .
a:untyped skos:prefLabel "Geen actor"@nl ; dcterms:spatial p:synthetic-1 .
[] a km:Organisation ; dcterms:spatial p:synthetic-1 .
p:synthetic-3 schema:containedInPlace p:synthetic-1 , p:synthetic-2 .
p:synthetic-2 schema:containedInPlace p:synthetic-1 .
"""


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[KiemenStore, KiemenStore]:
    """The loaded store, and a copy whose index lacks the places' contents."""
    tmp = tmp_path_factory.mktemp("contents")
    kstore = KiemenStore(Settings.from_env(store_path=tmp / "store", base_uri=BASE))
    nt = tmp / "initiatives.nt"
    generate.write_nt(60, nt, BASE)
    edges = tmp / "edges.ttl"
    edges.write_text(_edge_cases(BASE), encoding="utf-8")
    sources = [*bundled_sources(), Source(str(nt), graph="synthetic"), Source(str(edges), "edges")]
    load(kstore, sources, validate=False)
    shutil.copytree(tmp / "store", tmp / "older", symlinks=True)
    older = KiemenStore(Settings.from_env(store_path=tmp / "older", base_uri=BASE))
    search_dir = older.search_dir()
    assert search_dir is not None
    _strip_contents(search_dir)
    return kstore, older


def _strip_contents(directory: Path) -> None:
    """The index as a release before the contents were kept with it wrote it."""
    (directory / facets.files.META_DIR / f"{contents.PART}.json").unlink()
    head = json.loads((directory / facets.JSON_FILE).read_text(encoding="utf-8"))
    for name in contents.ARRAYS:
        facets.array_path(directory, name).unlink()
        del head["arrays"][name]
    (directory / facets.JSON_FILE).write_text(json.dumps(head), encoding="utf-8")


def _places(kstore: KiemenStore) -> list[str]:
    """Every IRI that is a place, or that something lies within or is located at."""
    store = kstore.reader()
    found = {
        q.subject.value
        for q in store.quads_for_pattern(
            None, ox.NamedNode(RDF_TYPE), ox.NamedNode(BASE + "def/Place"), None
        )
    }
    for p in ("https://schema.org/containedInPlace", "http://purl.org/dc/terms/spatial"):
        found |= {
            q.object.value
            for q in store.quads_for_pattern(None, ox.NamedNode(p), None, None)
            if isinstance(q.object, ox.NamedNode)
        }
    return sorted(found)


def _query(kstore: KiemenStore, place: str) -> dict[str, list[str]]:
    """The query's answer for one place: its IRIs by relation, sorted."""
    found: dict[str, set[str]] = {r: set() for r in contents.RELATIONS}
    for row in kstore.run("place-contents", {"place": ox.NamedNode(place)}):
        for relation, var in (("contains", "contained"), ("actor", "actor")):
            if isinstance(row[var], ox.NamedNode):
                found[relation].add(row[var].value)
    return {r: sorted(v) for r, v in found.items()}


def test_every_place_has_the_contents_the_query_gives(
    stores: tuple[KiemenStore, KiemenStore],
) -> None:
    kstore, _older = stores
    idx = listing.browse_index(kstore)
    assert idx.contents is not None
    places = _places(kstore)
    assert len(places) > 40  # the bundled places, the synthetic ones, the edge cases
    with_actors = with_contained = 0
    for place in places:
        want = _query(kstore, place)
        assert idx.contents.of(place) == want, place
        with_actors += bool(want["actor"])
        with_contained += bool(want["contains"])
    assert with_actors >= 20 and with_contained >= 12
    # The edge cases are in it as intended, not only equal to the query.
    one = idx.contents.of(BASE + "id/place/synthetic-1")
    actor = BASE + "id/actor/"
    assert {actor + "coop", actor + "twin", actor + "both"} <= set(one["actor"])
    assert actor + "untyped" not in one["actor"]
    assert not any(i.startswith(BASE + "id/initiative/") for i in one["actor"])
    assert one["contains"] == [BASE + "id/place/synthetic-2", BASE + "id/place/synthetic-3"]
    assert idx.contents.of(BASE + "id/place/nowhere") == {"contains": [], "actor": []}


def _page(app: Any, settings: Settings, place: str) -> bytes:
    path = page_path(settings, place)
    assert path is not None
    answer = app.test_client().get(f"/page/{path}?lang=nl")
    assert answer.status_code == 200, place
    body: bytes = answer.data
    return body


def test_every_place_page_is_the_page_the_query_made(
    stores: tuple[KiemenStore, KiemenStore],
) -> None:
    """The same things, order, grouping and counts: the same page as from the query."""
    kstore, older = stores
    assert listing.browse_index(older).contents is None
    new_app = create_app(kstore.settings)
    old_app = create_app(older.settings)
    pages = 0
    for place in _places(kstore):
        if page_path(kstore.settings, place) is None:
            continue  # another site's place (GeoNames): no page here
        mine, theirs = _page(new_app, kstore.settings, place), _page(old_app, older.settings, place)
        assert mine == theirs, place
        pages += 1
    assert pages > 40
    # Two actors of the same name are listed in the order of their IRIs.
    with new_app.test_request_context("/"):
        page = kinds.place(kstore, BASE + "id/place/synthetic-1", "nl")
    twins = [a["iri"] for a in page["actors"] if a["label"] == "Zelfde naam"]
    assert twins == [BASE + "id/actor/coop", BASE + "id/actor/twin"]


def test_an_index_without_the_contents_is_rebuilt_by_the_next_write(
    stores: tuple[KiemenStore, KiemenStore], tmp_path: Path
) -> None:
    """Its state is not taken for an incremental update (the contents would stay missing): the
    next write rebuilds the indexes in full, and they keep the contents from then on."""
    _kstore, older = stores
    shutil.copytree(older.root, tmp_path / "store", symlinks=True)
    kstore = KiemenStore(Settings.from_env(store_path=tmp_path / "store", base_uri=BASE))
    search_dir = kstore.search_dir()
    assert search_dir is not None
    index_state.forget()
    assert index_state.load(search_dir) is None
    actor, place = BASE + "id/actor/synthetic-0", BASE + "id/place/cbs/PV25"
    quad = ox.Quad(
        ox.NamedNode(actor),
        ox.NamedNode("http://purl.org/dc/terms/spatial"),
        ox.NamedNode(place),
        ox.NamedNode(BASE + "graph/edits"),
    )
    for round_ in range(2):
        with kstore.writing() as gen:
            if round_ == 0:
                gen.store.add(quad)
                delta = Delta([quad], [])
            else:
                gen.store.remove(quad)
                delta = Delta([], [quad])
            rebuild_indexes(gen, kstore, delta=delta)
            patched = (gen.search_dir / search.TEXT_DIR / search.ITEM_MAP).exists()
        assert patched == (round_ == 1)  # rebuilt in full, then patched again
        idx = listing.browse_index(kstore)
        assert idx.contents is not None
        assert (actor in idx.contents.of(place)["actor"]) == (round_ == 0)
