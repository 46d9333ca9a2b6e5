"""Full-text search: a tantivy index built at load, Dutch and English stemming, typo tolerance,
highlighted snippets, and kept in step with the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.indexes import search
from core.indexes.search import fuzzy_snippet
from portal import listing


def hits(client: Any, q: str, **extra: str) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in {"q": q, **extra}.items())
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def labels(data: dict[str, Any]) -> list[str]:
    return [r["label"] for r in data["rows"]]


def test_dutch_stemming_finds_other_word_forms(client) -> None:  # type: ignore[no-untyped-def]
    data = hits(client, "bewoner", _lang="nl", kind="initiative")
    assert data["count"] >= 2
    assert any("<mark>bewoners</mark>" in r["snippet_html"].lower() for r in data["rows"])


def test_english_stemming(client) -> None:  # type: ignore[no-untyped-def]
    data = hits(client, "neighbourhoods", _lang="en")
    assert data["count"] >= 1
    assert any("<mark>neighbourhood" in r["snippet_html"].lower() for r in data["rows"])


def test_unstemmed_field_finds_names_the_stemmer_mangles(client) -> None:  # type: ignore[no-untyped-def]
    data = hits(client, "Gelderland")
    kinds = {r["kind"] for r in data["rows"]}
    assert "place" in kinds and "initiative" in kinds


def test_typos_are_tolerated(client) -> None:  # type: ignore[no-untyped-def]
    exact = hits(client, "Oldebroek", kind="initiative")
    typo = hits(client, "Oldebrok", kind="initiative")
    assert exact["count"] >= 1
    assert set(labels(exact)) <= set(labels(typo))
    assert any("<mark>" in r["snippet_html"] for r in typo["rows"])


def test_actors_and_places_lead_to_initiatives(client, kstore) -> None:  # type: ignore[no-untyped-def]
    # An initiative is found by the name of an actor that takes part in it.
    rows = kstore.rows("actor-involvements", {})
    actor, initiative = rows[0]["actor"], rows[0]["initiative"]
    name = kstore.rows("index-labels", {})
    names = [r["label"] for r in name if r["thing"] == actor]
    assert names
    word = max(names[0].split(), key=len)
    data = hits(client, word, kind="initiative", _size="100")
    assert initiative in {r["iri"] for r in data["rows"]}


def test_phrases_and_unsafe_input(client) -> None:  # type: ignore[no-untyped-def]
    assert hits(client, '"sociale media"')["count"] >= 1
    for nasty in ("foo(", "a:b", "<script>", '"', "*"):
        response = client.get("/api/search", query_string={"q": nasty})
        assert response.status_code in (200, 400)
        assert response.get_json()["ok"] in (True, False)
    assert client.get("/api/search?q=").status_code == 400


def test_snippets_are_escaped_html() -> None:
    text = "De <b>bewoners</b> & hun wijk"
    snippet = fuzzy_snippet(text, ["bewonrs"])
    assert "&lt;b&gt;" in snippet and "&amp;" in snippet and "<mark>" in snippet


def test_search_page_groups_by_kind_and_links_to_the_browser(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/search?q=gelderland&lang=en").get_data(as_text=True)
    assert "results for" in html and "<mark>" in html
    assert "/browse?q=gelderland" in html and "kind=place" in html
    only = client.get("/search?q=gelderland&kind=place&lang=en").get_data(as_text=True)
    assert only.count('class="result"') < html.count('class="result"')


def test_browse_with_text_narrows_facets(client) -> None:  # type: ignore[no-untyped-def]
    everything = client.get("/api/initiatives?_size=1").get_json()
    narrowed = client.get("/api/initiatives?_size=500&q=gelderland").get_json()
    assert 0 < narrowed["count"] < everything["count"]
    assert narrowed["sort"] == "relevance"
    total = sum(r["count"] for r in narrowed["facet_results"]["document"]["results"])
    assert total >= narrowed["count"]


def test_index_is_rebuilt_with_every_load(empty_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from core.store import KiemenStore
    from loaders import load
    from loaders.base import Source
    from portal import listing

    kstore = KiemenStore(empty_settings)
    base = empty_settings.base_uri
    km = base + "def/"
    data = tmp_path / "one.nt"

    def write(name: str) -> None:
        x = f"<{base}id/initiative/x>"
        rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
        label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
        data.write_text(f'{x} {rdf_type} <{km}Initiative> .\n{x} {label} "{name}"@nl .\n')

    write("Zwaluwnesten")
    load(kstore, [Source(str(data), graph="test")], validate=False)
    first = kstore.generation_id()
    found = listing.text_index(kstore).search("zwaluwnest", "nl")
    assert [h.label for h in found.hits] == ["Zwaluwnesten"]
    assert listing.browse_index(kstore).size == 1
    write("Egelpaden")
    load(kstore, [Source(str(data), graph="test")], validate=False)
    assert kstore.generation_id() != first
    assert listing.text_index(kstore).search("zwaluwnest", "nl").total == 0
    assert listing.text_index(kstore).search("egelpad", "nl").hits[0].label == "Egelpaden"
    assert (kstore.current_generation() / "search" / search.TEXT_DIR).is_dir()


def test_matching_items_are_mapped_as_each_hit_is_and_kept_read_only(kstore) -> None:  # type: ignore[no-untyped-def]
    """The array of matches holds what mapping each hit alone gives, in the same order; the
    next asker of the same words gets the kept array, which nobody can change."""
    texts = listing.text_index(kstore)
    for word in ("buurt", "energie", "moestuin", "zorg"):
        query = texts.query(word, "initiative")
        assert query is not None
        searcher = texts.index.searcher()
        found = searcher.search(query, limit=10_000, count=False)
        stored = searcher.fast_field_values("item", [a for _s, a in found.hits])
        one_by_one = [i for v in stored if (i := texts.item_of(v)) is not None]
        got = texts.matching_items(word, 10_000)
        assert got.tolist() == one_by_one
        assert texts.matching_items(word, 10_000) is got
        assert not got.flags.writeable
    assert any(len(texts.matching_items(w, 10_000)) for w in ("buurt", "energie", "zorg"))
