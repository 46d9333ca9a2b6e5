"""``/sparql`` answered by an external SPARQL 1.1 endpoint (the Oxigraph server, filled with
``kiemen push``): the same answers, formats and limits as the embedded store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from deploy_helpers import kiemen_serve, oxigraph_server

from core.config import CANONICAL_BASE, Settings
from core.store import KiemenStore
from portal.push import Target, push

KM = CANONICAL_BASE + "def/"
SELECT = f"""PREFIX km: <{KM}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?i ?label (COUNT(?f) AS ?forms) WHERE {{
  ?i a km:Initiative ; skos:prefLabel ?label .
  OPTIONAL {{ ?i km:inferredForm ?f }}
  FILTER(LANG(?label) = "nl")
}} GROUP BY ?i ?label ORDER BY ?i"""
ASK = f"ASK {{ ?i a <{KM}Initiative> }}"
CONSTRUCT = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT {{ ?i a <{KM}Initiative> ; skos:prefLabel ?l }}
WHERE {{ ?i a <{KM}Initiative> ; skos:prefLabel ?l }}"""
#: More rows than the row limit (10,000) on the bundled data.
EVERYTHING = (
    "SELECT * WHERE { ?s ?p ?o . VALUES ?x { 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 } }"
)
RESULTS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPHS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@pytest.fixture(scope="module")
def external(loaded_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """kiemen serve whose /sparql is the Oxigraph server holding a push of the same store."""
    where = tmp_path_factory.mktemp("external")
    with oxigraph_server(where / "oxigraph", "--union-default-graph") as server:
        push(KiemenStore(Settings(store_path=loaded_store_path)), Target(f"{server}/store"))
        with kiemen_serve(
            loaded_store_path,
            KIEMEN_SPARQL_ENDPOINT=f"{server}/query",
            KIEMEN_QUERY_TIMEOUT="3",
        ) as portal:
            yield portal


def ask(server: str, query: str, accept: str) -> requests.Response:
    return requests.post(
        f"{server}/sparql", data={"query": query}, headers={"Accept": accept}, timeout=120
    )


def rows(body: bytes, key: str) -> list[str]:
    if key == "csv":
        return sorted(body.decode().splitlines())
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.from_extension(key))
    if isinstance(parsed, ox.QueryBoolean):
        return [str(bool(parsed))]
    names = [v.value for v in parsed.variables]
    return sorted("|".join(str(s[n]) for n in names) for s in parsed)


@pytest.mark.slow
@pytest.mark.parametrize("key", list(RESULTS))
def test_select_and_ask_answer_the_same(live_server: str, external: str, key: str) -> None:
    for query in (SELECT, ASK):
        here = ask(live_server, query, RESULTS[key])
        there = ask(external, query, RESULTS[key])
        assert there.status_code == here.status_code == 200
        assert there.headers["Content-Type"] == here.headers["Content-Type"]
        assert rows(there.content, key) == rows(here.content, key)
        assert len(rows(here.content, key)) > 1 or query == ASK


@pytest.mark.slow
@pytest.mark.parametrize("key", list(GRAPHS))
def test_construct_answers_the_same(live_server: str, external: str, key: str) -> None:
    media = {
        "ttl": "text/turtle",
        "nt": "application/n-triples",
        "rdf": "application/rdf+xml",
        "jsonld": "application/ld+json",
    }[key]
    here = ask(live_server, CONSTRUCT, media)
    there = ask(external, CONSTRUCT, media)
    assert there.status_code == here.status_code == 200
    assert there.headers["Content-Type"] == here.headers["Content-Type"]
    ours = {str(t) for t in ox.parse(here.content, format=GRAPHS[key])}
    theirs = {str(t) for t in ox.parse(there.content, format=GRAPHS[key])}
    assert theirs == ours and len(ours) > 10


@pytest.mark.slow
def test_the_row_limit_and_its_mark_are_the_same(live_server: str, external: str) -> None:
    here = ask(live_server, EVERYTHING, RESULTS["json"])
    there = ask(external, EVERYTHING, RESULTS["json"])
    assert here.headers.get("Kiemen-Truncated") == "true; rows=10000"
    assert there.headers.get("Kiemen-Truncated") == here.headers["Kiemen-Truncated"]
    assert there.json()["truncated"] is True
    assert len(there.json()["results"]["bindings"]) == 10000


@pytest.mark.slow
def test_errors_and_the_time_limit(external: str) -> None:
    bad = ask(external, "SELEC * WHERE {}", RESULTS["json"])
    assert bad.status_code == 400 and "syntax" in bad.json()["error"]
    refused = ask(external, SELECT, "image/png")
    assert refused.status_code == 406
    # an external store applies its own SERVICE policy (no text filter here can be trusted to
    # find SERVICE): whatever it answers, Kiemen passes on an error, never a result
    service = ask(external, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "*/*")
    assert service.status_code in (400, 403, 502), service.text
    started = time.monotonic()
    slow = ask(
        external,
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        RESULTS["json"],
    )
    took = time.monotonic() - started
    assert slow.status_code == 503 and "time limit of 3 s" in slow.json()["error"]
    assert took < 10


def test_virtuoso_blank_node_labels_are_read_across_chunks() -> None:
    """Virtuoso writes blank nodes as ``nodeID://b1``; the reader fixes the label wherever a
    read cuts the text, and never touches a literal that merely looks like one."""
    import io

    from portal import external_sparql

    body = (
        b'{"head":{"vars":["s","o"]},"results":{"bindings":[{"s":{"type": "bnode", "value": '
        b'"nodeID://b10000"},"o":{"type":"literal","value":"nodeID://kept"}}]}}'
    )

    class Raw:
        decode_content = True

        def __init__(self) -> None:
            self.left = body

        def read(self, n: int) -> bytes:
            chunk, self.left = self.left[:7], self.left[7:]
            return chunk

    class Response:
        raw = Raw()

    reader = external_sparql._Capped(Response(), time.monotonic() + 60, 60)  # type: ignore[arg-type]
    parsed = list(
        ox.parse_query_results(io.BufferedReader(reader), format=ox.QueryResultsFormat.JSON)
    )
    assert str(parsed[0]["s"]) == "_:b10000"
    assert parsed[0]["o"] == ox.Literal("nodeID://kept")
