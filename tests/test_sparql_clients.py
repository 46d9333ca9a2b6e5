"""Real SPARQL clients against a running server: SPARQLWrapper (JSON, XML, CSV, CONSTRUCT, ASK,
an authenticated update) and rdflib's SPARQLStore / SPARQLUpdateStore."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib
from conftest import free_port
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from sparql_helpers import bundled_store, kiemen_server, make_token
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

KM = "https://w3id.org/kiemen/def/"
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    port = free_port()
    store = bundled_store(tmp_path_factory.mktemp("clients") / "store", f"http://127.0.0.1:{port}/")
    with kiemen_server(store, port) as base:
        yield base, store


def wrapper(base: str) -> SPARQLWrapper:
    return SPARQLWrapper(base + "/sparql")


def test_sparqlwrapper_select_json_xml_csv(served: tuple[str, Path]) -> None:
    base, _ = served
    query = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?c ?label WHERE { ?c skos:prefLabel ?label FILTER(lang(?label) = 'nl') } "
        "ORDER BY ?c LIMIT 5"
    )
    sw = wrapper(base)
    sw.setQuery(query)
    sw.setReturnFormat(JSON)
    rows: Any = sw.query().convert()["results"]["bindings"]  # type: ignore[index, call-overload]
    assert len(rows) == 5 and all(r["label"]["xml:lang"] == "nl" for r in rows)
    sw.setReturnFormat(XML)
    doc = sw.query().convert()
    assert len(doc.getElementsByTagName("result")) == 5  # type: ignore[union-attr]
    sw.setReturnFormat(CSV)
    text = sw.query().convert()
    assert text.decode().splitlines()[0] == "c,label"  # type: ignore[union-attr]
    sw.setMethod(POST)
    sw.setReturnFormat(JSON)
    assert len(sw.query().convert()["results"]["bindings"]) == 5  # type: ignore[index, call-overload]


def test_sparqlwrapper_construct_and_ask(served: tuple[str, Path]) -> None:
    base, _ = served
    sw = wrapper(base)
    sw.setQuery("CONSTRUCT { ?s ?p ?o } WHERE { ?s a owl:Class ; ?p ?o } LIMIT 30")
    sw.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=sw.query().convert(), format="turtle")  # type: ignore[arg-type]
    assert len(graph) == 30
    sw.setQuery("ASK { ?s a owl:Class }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True  # type: ignore[index, call-overload]


def test_sparqlwrapper_update_with_a_token(served: tuple[str, Path]) -> None:
    base, store = served
    token = make_token(store, base + "/", "client-notes")
    sw = SPARQLWrapper(base + "/sparql", updateEndpoint=base + "/sparql")
    sw.setMethod(POST)
    sw.addCustomHttpHeader("Authorization", f"Bearer {token}")
    sw.setQuery(
        f"INSERT DATA {{ GRAPH <{base}/graph/client-notes> {{ <http://example.org/n> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "note" } }'
    )
    result = sw.query()
    assert result.response.status == 204
    check = wrapper(base)
    check.setQuery(f'ASK {{ GRAPH <{base}/graph/client-notes> {{ ?s ?p "note" }} }}')
    check.setReturnFormat(JSON)
    assert check.query().convert()["boolean"] is True  # type: ignore[index, call-overload]


def test_rdflib_sparqlstore(served: tuple[str, Path]) -> None:
    base, _ = served
    graph = rdflib.Graph(store=SPARQLStore(base + "/sparql", returnFormat="json"))
    rows = list(
        graph.query("SELECT ?c ?l WHERE { ?c skos:prefLabel ?l } LIMIT 7", initNs={"skos": SKOS})
    )
    assert len(rows) == 7
    assert all(isinstance(r[1], rdflib.Literal) for r in rows)  # type: ignore[index]
    ask = graph.query("ASK { ?s ?p ?o }")
    assert ask.askAnswer is True
    triples = list(graph.triples((None, rdflib.RDF.type, rdflib.OWL.Class)))
    assert triples, "the union default graph holds the ontology's classes"


def test_rdflib_sparqlupdatestore(served: tuple[str, Path]) -> None:
    base, store = served
    token = make_token(store, base + "/", "rdflib-notes")
    update_store = SPARQLUpdateStore(
        base + "/sparql",
        base + "/sparql",
        headers={"Authorization": f"Bearer {token}"},
        autocommit=True,
    )
    graph_iri = rdflib.URIRef(base + "/graph/rdflib-notes")
    graph = rdflib.Graph(store=update_store, identifier=graph_iri)
    graph.add((rdflib.URIRef("http://example.org/x"), rdflib.RDFS.label, rdflib.Literal("x")))
    reader = rdflib.Graph(store=SPARQLStore(base + "/sparql"), identifier=graph_iri)
    assert (rdflib.URIRef("http://example.org/x"), rdflib.RDFS.label, rdflib.Literal("x")) in reader
