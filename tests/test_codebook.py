"""The codebook is generated from the ontology graph and served at the ontology's URI."""

from __future__ import annotations

import rdflib
import requests

from portal.codebook import build


def test_codebook_lists_every_class_property_and_scheme(kstore) -> None:  # type: ignore[no-untyped-def]
    book = build(kstore)
    curies = {c["curie"] for c in book["classes"]}
    assert {"km:Initiative", "km:Actor", "km:Involvement", "km:Place", "km:Fact"} <= curies
    assert {"km:statedForm", "km:hasRole"} <= {p["curie"] for p in book["properties"]}
    schemes = {s["curie"] for s in book["schemes"]}
    assert {"km:form", "km:government-role", "km:actor-type"} <= schemes
    for term in book["classes"] + book["properties"]:
        assert term["labelNl"] and term["labelEn"], term["curie"]
        assert term["definitionNl"] and term["definitionEn"], term["curie"]


def test_codebook_html_in_both_languages(client) -> None:  # type: ignore[no-untyped-def]
    nl = client.get("/def/?lang=nl").get_data(as_text=True)
    en = client.get("/def/?lang=en").get_data(as_text=True)
    assert "Codeboek" in nl and "Klassen" in nl and "km:Initiative" in nl
    assert "Codebook" in en and "Classes" in en and "faciliteren" in nl.lower()


def test_ontology_uri_serves_data_to_programs(live_server: str) -> None:
    response = requests.get(live_server + "/def/", headers={"Accept": "text/turtle"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    owl_classes = set(graph.subjects(rdflib.RDF.type, rdflib.OWL.Class))
    assert rdflib.URIRef("https://w3id.org/kiemen/def/Initiative") in owl_classes
