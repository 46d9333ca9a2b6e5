"""The page of each kind of thing: what an initiative is, who takes part in which role, forms
stated and inferred, the passages behind each statement, related initiatives; an actor's roles
over time; concepts, places, documents and references."""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox


def page(client: Any, kstore: Any, iri: str, lang: str = "en", **args: str) -> str:
    path = iri[len(kstore.settings.base_uri) :]
    path = path[len("id/") :] if path.startswith("id/") else path
    response = client.get(f"/page/{path}", query_string={"lang": lang, **args})
    assert response.status_code == 200, iri
    return response.get_data(as_text=True)


def text(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def first(kstore: Any, sparql_name: str, column: str, **params: Any) -> str:
    rows = kstore.rows(sparql_name, params)
    assert rows, sparql_name
    return str(rows[0][column])


def test_initiative_page_shows_roles_forms_sources_and_related(client, kstore) -> None:  # type: ignore[no-untyped-def]
    inv = kstore.rows("initiative-involvements", {})
    stated_forms = {r["initiative"] for r in kstore.rows("initiative-forms", {}) if r["stated"]}
    iri = next(r["initiative"] for r in inv if r["initiative"] in stated_forms)
    html = page(client, kstore, iri)
    words = text(html)
    for heading in (
        "Forms of collaboration",
        "Stated in the source",
        "Inferred by the curators",
        "Who takes part, in which role",
        "Sources and passages",
        "Related initiatives",
        "Cite this",
        "Links to this resource",
    ):
        assert heading in words, heading
    actors = {r["actor"] for r in inv if r["initiative"] == iri}
    for actor in actors:
        assert actor[len(kstore.settings.id_ns) :] in html
    sources = kstore.rows("initiative-sources", {"initiative": iri})
    for s in sources:
        if s["lineStart"]:
            assert f"lines {s['lineStart']}–{s['lineEnd']}" in words
    assert 'href="#source-1"' in html and 'id="source-1"' in html
    assert "/browse/sparql/initiative-related?" in html
    assert "/cite/initiative/" in html and ".bib" in html


def test_initiative_page_in_dutch(client, kstore) -> None:  # type: ignore[no-untyped-def]
    iri = first(kstore, "browse-initiatives", "initiative")
    words = text(page(client, kstore, iri, lang="nl"))
    assert "Samenwerkingsvormen" in words and "Bronnen en passages" in words


def test_facts_carry_dates_and_sources(client, kstore) -> None:  # type: ignore[no-untyped-def]
    facts = kstore.rows("initiative-facts", {})
    fact = next(f for f in facts if f["section"])
    words = text(page(client, kstore, fact["initiative"]))
    assert "Facts" in words and str(fact["date"]) in words


def test_a_municipality_facilitated_initiatives_with_their_source(client, kstore) -> None:  # type: ignore[no-untyped-def]
    rows = kstore.rows("initiatives-by-government-role", {})
    assert rows, "the data has a facilitating government"
    row = rows[0]
    html = page(client, kstore, row["actor"], role="facilitating")
    words = text(html)
    assert "Initiatives and roles over time: facilitating" in words
    assert row["initiative"][len(kstore.settings.id_ns) :] in html
    if row["lineStart"]:
        assert f"lines {row['lineStart']}–{row['lineEnd']}" in words
    assert "/browse/sparql/actor-involvements?" in html


def test_concept_page_lists_definition_hierarchy_and_use(client, kstore) -> None:  # type: ignore[no-untyped-def]
    form = first(kstore, "stats-by-form", "form")
    words = text(page(client, kstore, form))
    assert "Broader" in words and "Narrower" in words and "Initiatives using this concept" in words
    assert "Place on the two axes" in words
    with_narrower = kstore.rows("concept-narrower", {})[0]
    html = page(client, kstore, with_narrower["concept"])
    assert with_narrower["narrower"][len(kstore.settings.base_uri) :] in html


def test_place_document_and_reference_pages(client, kstore) -> None:  # type: ignore[no-untyped-def]
    place = first(kstore, "index-places", "place")
    assert "kiemen-map" in page(client, kstore, place)  # the one map of the portal (map.js)
    document = first(kstore, "stats-by-source", "document")
    words = text(page(client, kstore, document))
    assert "What this document supports" in words and "Sections and boxes" in words
    # A reference something cites (not merely the first one in the store's row order).
    store = kstore.reader()
    refs = sorted(
        {r["thing"] for r in kstore.rows("index-search-things", {}) if r["kind"] == "reference"}
    )
    cited = [r for r in refs if next(store.quads_for_pattern(None, None, ox.NamedNode(r)), None)]
    assert cited, "the curated data cites no reference"
    words = text(page(client, kstore, cited[0]))
    assert "Referenced by" in words or "Supports" in words
