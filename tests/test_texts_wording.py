"""Texts that moved out of Python dictionaries read as before, where people and harvesters see them.

The DCAT catalogue, VoID, the reconciliation manifest, citations and node titles word their
texts from the gettext catalogues (``catalogue.*``, ``void.*``, ``reconcile.*``, ``cite.*``,
``titles.*``); the labels of other vocabularies' terms come from
``data/reference/vocabulary-labels.ttl``. Each expected string below is the wording the
dictionaries held, checked in the published output in both languages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from core.config import CANONICAL_BASE as K
from core.messages import msg, render
from core.vocab import DCAT, DCT, FOAF, RDF_TYPE, RDFS, SKOS, VOID
from portal.builtin_labels import builtin_labels, labels_file, read_labels

EU = "http://publications.europa.eu/resource/authority/"
Client = Any


def graph(client: Client, url: str) -> list[ox.Triple]:
    response = client.get(url, headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))


def texts(triples: list[ox.Triple], s: str, p: str) -> dict[str, set[str]]:
    """The literals of ``s p`` by language."""
    out: dict[str, set[str]] = {}
    for t in triples:
        if t.subject == ox.NamedNode(s) and t.predicate == ox.NamedNode(p):
            assert isinstance(t.object, ox.Literal)
            out.setdefault(t.object.language or "", set()).add(t.object.value)
    return out


def typed(triples: list[ox.Triple], cls: str) -> str:
    """The one subject of class ``cls`` (documents are under the address the portal is served
    at, things under the canonical base)."""
    [found] = {
        t.subject.value for t in triples if t.predicate.value == RDF_TYPE and t.object.value == cls
    }
    return found


def both(nl: str, en: str) -> dict[str, set[str]]:
    return {"nl": {nl}, "en": {en}}


# -------------------------------------------------------------------------------------------------
# DCAT and VoID state each text in Dutch and English, whoever asks


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_catalogue_keeps_its_wording(client: Client, lang: str) -> None:
    g = graph(client, f"/catalog?lang={lang}")
    catalog, main, service = (
        typed(g, DCAT + "Catalog"),
        K + "id/dataset/kiemen",
        K + "id/service/sparql",
    )
    assert texts(g, catalog, DCT + "title") == both("Catalogus van Kiemen", "Kiemen catalogue")
    assert texts(g, catalog, DCT + "description") == both(
        "Datasets en diensten van Kiemen, de kennisgraaf van sociale innovatie.",
        "Datasets and services of Kiemen, the knowledge graph of social innovation.",
    )
    assert texts(g, main, DCT + "title") == both(
        "Kiemen: kennisgraaf van sociale innovatie", "Kiemen: knowledge graph of social innovation"
    )
    description = texts(g, main, DCT + "description")
    assert description["nl"] == {
        "Initiatieven van sociale innovatie, de actoren erachter, hun samenwerkingsvormen en de "
        "rollen die instituties spelen, ontleend aan Nederlandse bronnen, met de bron van elk "
        "gegeven. Als linked data, SPARQL, N-Quads, Turtle en CSV."
    }
    assert description["en"] == {
        "Social-innovation initiatives, the actors behind them, their forms of collaboration and "
        "the roles institutions play, drawn from Dutch sources, with the source of every "
        "statement. As linked data, SPARQL, N-Quads, Turtle and CSV."
    }
    keywords = {
        "nl": {"sociale innovatie", "burgerinitiatief", "participatie", "overheidsparticipatie"},
        "en": {
            "social innovation",
            "civic initiative",
            "participation",
            "government participation",
        },
    }
    assert texts(g, main, DCAT + "keyword") == keywords
    assert texts(g, service, DCAT + "keyword") == keywords
    assert texts(g, service, DCT + "title") == both(
        "SPARQL-endpoint van Kiemen", "Kiemen SPARQL endpoint"
    )
    assert texts(g, K + "id/agent/kiemen", FOAF + "name") == both(
        "Kiemen-project", "Kiemen project"
    )
    assert texts(g, EU + "data-theme/SOCI", SKOS + "prefLabel") == both(
        "Bevolking en samenleving", "Population and society"
    )
    assert texts(g, EU + "country/NLD", RDFS + "label") == both("Nederland", "Netherlands")
    assert texts(g, EU + "access-right/PUBLIC", RDFS + "label") == both("publiek", "public")
    assert texts(g, K + "id/distribution/kiemen-sparql", DCT + "title") == both(
        "SPARQL-endpoint (alle grafen)", "SPARQL endpoint (all graphs)"
    )
    assert texts(g, K + "id/distribution/kiemen-sparql", DCT + "description") == both(
        "Toegang via het SPARQL-endpoint; de licentie geldt ook voor zoekresultaten.",
        "Access through the SPARQL endpoint; the licence also covers query results.",
    )
    # a named graph's entry (its record has a title of its own): its IRI and size in words
    curated = K + "graph/curated"
    [nl] = texts(g, curated, DCT + "description")["nl"]
    [en] = texts(g, curated, DCT + "description")["en"]
    assert nl.startswith(f"Benoemde graaf <{curated}> van Kiemen, ") and nl.endswith(" tripels.")
    assert en.startswith(f"Named graph <{curated}> of Kiemen, ") and en.endswith(" triples.")
    assert nl.split(", ")[1].split()[0] == en.split(", ")[1].split()[0]
    assert texts(g, K + "id/distribution/graph-curated-sparql", DCT + "title") == both(
        "SPARQL-endpoint (graaf curated)", "SPARQL endpoint (graph curated)"
    )


def test_void_keeps_its_wording(client: Client) -> None:
    g = graph(client, "/.well-known/void")
    assert texts(g, typed(g, VOID + "DatasetDescription"), DCT + "title") == both(
        "Beschrijving van de Kiemen-dataset", "Description of the Kiemen dataset"
    )
    assert texts(g, K + "id/dataset/kiemen", DCT + "title") == both(
        "Kiemen: kennisgraaf van sociale innovatie", "Kiemen: knowledge graph of social innovation"
    )
    web = K + "id/dataset/kiemen/target/web"
    assert texts(g, web, DCT + "title") == both(
        "Websites van initiatieven, organisaties en kanalen",
        "Websites of initiatives, organisations and channels",
    )
    linksets = {
        t.subject.value: t.object.value
        for t in g
        if t.predicate == ox.NamedNode(RDF_TYPE) and t.object.value.endswith("#Linkset")
    }
    assert K + "id/dataset/kiemen/linkset/web-homepage" in linksets
    assert texts(g, K + "id/dataset/kiemen/linkset/web-homepage", DCT + "title") == both(
        "Kiemen → Websites van initiatieven, organisaties en kanalen (homepage)",
        "Kiemen → Websites of initiatives, organisations and channels (homepage)",
    )


# -------------------------------------------------------------------------------------------------
# the reconciliation service and citations speak the visitor's language


def test_the_reconciliation_manifest_keeps_its_wording(client: Client) -> None:
    nl = json.loads(client.get("/reconcile?lang=nl").data)
    en = json.loads(client.get("/reconcile?lang=en").data)
    assert nl["name"] == "Kiemen (sociale innovatie)"
    assert en["name"] == "Kiemen (social innovation)"
    assert [t["name"] for t in nl["defaultTypes"]] == ["Initiatief", "Actor", "Plaats", "Begrip"]
    assert [t["name"] for t in en["defaultTypes"]] == ["Initiative", "Actor", "Place", "Concept"]
    types = json.loads(client.get("/reconcile/suggest/type?prefix=plaa&lang=nl").data)
    assert types["result"] == [
        {
            "id": "Place",
            "name": "Plaats",
            "description": "Een gemeente, provincie, land of andere plaats",
        }
    ]
    # a suggestion matches a property's name in either language
    props = json.loads(client.get("/reconcile/suggest/property?prefix=collab&lang=nl").data)
    assert {"id": "form", "name": "Samenwerkingsvorm"} in [
        {"id": p["id"], "name": p["name"]} for p in props["result"]
    ]
    props = json.loads(client.get("/reconcile/suggest/property?prefix=cbs&lang=en").data)
    assert props["result"][0]["description"] == (
        "Statistics Netherlands code of a municipality (GM0484)"
    )


def test_citations_keep_their_wording(client: Client) -> None:
    assert "Kiemen: kennisgraaf van sociale innovatie" in client.get(
        "/cite/dataset.bib?lang=nl"
    ).get_data(as_text=True)
    assert "Kiemen: a knowledge graph of social innovation" in client.get(
        "/cite/dataset.bib?lang=en"
    ).get_data(as_text=True)
    nl = client.get("/cite/initiative/amsterdam-opent.ris?lang=nl").get_data(as_text=True)
    en = client.get("/cite/initiative/amsterdam-opent.ris?lang=en").get_data(as_text=True)
    assert "Bron: Sociale media: nieuwe wegen naar sociale innovatie" in nl
    assert "Source: Sociale media: nieuwe wegen naar sociale innovatie" in en


# -------------------------------------------------------------------------------------------------
# pages: node titles, passages and the labels of other vocabularies' terms


def test_node_titles_and_term_labels_read_as_before(client: Client) -> None:
    page = "/page/uncertainty/amsterdam-opent-1"
    nl = client.get(page + "?lang=nl").get_data(as_text=True)
    en = client.get(page + "?lang=en").get_data(as_text=True)
    # "soort" / "type" is rdf:type's label from the bundled labels of other vocabularies
    assert "<title>Onzekerheid: Amsterdam Opent — soort (of: Apps for Amsterdam Contest)" in nl
    assert "<title>Uncertainty: Amsterdam Opent — type (or: Apps for Amsterdam Contest)" in en
    concept = "/page/def/form/civic-initiative"
    nl = client.get(concept + "?lang=nl").get_data(as_text=True)
    en = client.get(concept + "?lang=en").get_data(as_text=True)
    assert f'href="{SKOS}prefLabel">voorkeursnaam</a>' in nl
    assert f'href="{SKOS}prefLabel">preferred label</a>' in en
    section = "/page/section/booklet-arnhem-aan-zee"
    assert "regels 1842" in client.get(section + "?lang=nl").get_data(as_text=True)
    assert "lines 1842" in client.get(section + "?lang=en").get_data(as_text=True)


def test_texts_on_paths_the_bundled_data_do_not_reach() -> None:
    # Worded from the same catalogue entries as the outputs above.
    assert render(msg("titles.uncertainty", about="X — soort"), "nl") == "Onzekerheid: X — soort"
    assert render(msg("titles.uncertainty", about="X — type"), "en") == "Uncertainty: X — type"
    assert render(msg("titles.channel"), "nl") == "kanaal"
    assert render(msg("titles.channel"), "en") == "channel"
    g = "http://example.org/g"
    assert render(msg("catalogue.graph.title", graph=g), "nl") == f"Graaf {g}"
    assert render(msg("catalogue.graph.title", graph=g), "en") == f"Graph {g}"
    described = msg("catalogue.graph.description", graph=g)
    assert render(described, "nl") == f"Benoemde graaf <{g}> van Kiemen."
    assert render(described, "en") == f"Named graph <{g}> of Kiemen."


def test_the_sparql_service_description_keeps_its_title(client: Client) -> None:
    g = graph(client, "/sparql")
    titles = {
        (t.object.value, t.object.language)
        for t in g
        if t.predicate == ox.NamedNode(DCT + "title") and isinstance(t.object, ox.Literal)
    }
    assert {("Kiemen SPARQL-eindpunt", "nl"), ("Kiemen SPARQL endpoint", "en")} <= titles


# -------------------------------------------------------------------------------------------------
# the labels file


def test_the_bundled_labels_name_every_term_in_both_languages() -> None:
    labels = builtin_labels()
    assert len(labels) == 63
    assert labels[RDF_TYPE] == {"nl": "soort", "en": "type"}
    assert labels[DCT + "license"] == {"nl": "licentie", "en": "licence"}
    assert labels[SKOS + "closeMatch"] == {"nl": "komt ongeveer overeen met", "en": "close match"}
    assert all(
        list(by_lang) == ["nl", "en"] and all(by_lang.values()) for by_lang in labels.values()
    )
    assert labels_file().name == "vocabulary-labels.ttl"


@pytest.mark.parametrize(
    ("turtle", "fault"),
    [
        ('<http://x/a> <http://www.w3.org/2000/01/rdf-schema#label> "a"@nl .', "lacks a label"),
        (
            '<http://x/a> <http://www.w3.org/2000/01/rdf-schema#label> "a"@nl, "b"@nl, "c"@en .',
            "second label",
        ),
        ('<http://x/a> <http://www.w3.org/2000/01/rdf-schema#comment> "a"@nl .', "other than"),
        ('<http://x/a> <http://www.w3.org/2000/01/rdf-schema#label> "a"@de .', "unexpected"),
    ],
)
def test_a_faulty_labels_file_is_an_error_naming_the_term(
    tmp_path: Path, turtle: str, fault: str
) -> None:
    path = tmp_path / "labels.ttl"
    path.write_text(turtle, encoding="utf-8")
    with pytest.raises(ValueError, match=fault) as caught:
        read_labels(path)
    assert "http://x/a" in str(caught.value) and str(path) in str(caught.value)
