"""The cheap-query hot path keeps its answers exact: what it remembers between requests
(negotiated formats, the endpoint's IRI per URL root, the text scan) never leaks one request's
answer into another's, refusals are never remembered, and the worker that answered last (the
warm one) takes the next query. Real ``kiemen serve``, real HTTP, real worker processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import free_port
from sparql_helpers import bundled_store, kiemen_server

ASK = "ASK { ?s ?p ?o }"
SELECT = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"
RELATIVE = "SELECT ?x WHERE { BIND(<relative/thing> AS ?x) }"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled_store(tmp_path_factory.mktemp("hotpath") / "store", "https://w3id.org/kiemen/")


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[str]:
    with kiemen_server(store, free_port()) as base:
        yield base


def _get(server: str, query: str, **headers: str) -> requests.Response:
    return requests.get(server + "/sparql", params={"query": query}, headers=headers, timeout=30)


@pytest.mark.parametrize("query", [ASK, SELECT])
def test_each_request_gets_the_format_it_asked_for_however_they_alternate(
    server: str, query: str
) -> None:
    asks = [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("*/*", "application/sparql-results+json"),
        ("application/xml;q=0.9, text/csv", "text/csv"),
    ]
    first: dict[str, bytes] = {}
    for round_ in range(2):
        for accept, media in asks:
            r = _get(server, query, Accept=accept)
            assert r.status_code == 200, r.text[:200]
            assert r.headers["Content-Type"].split(";")[0] == media, (accept, r.headers)
            if round_ == 0:
                first[accept] = r.content
            elif query == ASK:  # a SELECT without ORDER BY may list rows in another order
                assert r.content == first[accept]
    # a format nobody offers stays a 406 however often it is asked
    for _ in range(2):
        assert _get(server, query, Accept="image/png").status_code == 406
    # ?format= wins over Accept, and is not confused with the same Accept without it
    r = requests.get(
        server + "/sparql",
        params={"query": query, "format": "csv"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert r.headers["Content-Type"].startswith("text/csv")
    r = _get(server, query, Accept="application/sparql-results+json")
    assert r.headers["Content-Type"].startswith("application/sparql-results+json")


def test_the_base_iri_follows_each_requests_own_host(server: str) -> None:
    """The endpoint's IRI (the query's base) is remembered per URL root, never across roots."""
    seen = {}
    for host in ("one.example", "two.example", "one.example"):
        r = _get(server, RELATIVE, Accept="application/sparql-results+json", Host=host)
        assert r.status_code == 200, r.text[:200]
        value = r.json()["results"]["bindings"][0]["x"]["value"]
        assert value == f"http://{host}/relative/thing", value
        seen[host] = value
    assert seen["one.example"] != seen["two.example"]


def test_refusals_of_the_scan_are_never_remembered(server: str) -> None:
    deep = "SELECT * WHERE " + "{" * 5_000 + "}" * 5_000
    for _ in range(3):
        r = _get(server, deep, Accept="application/json")
        assert r.status_code == 400 and "nested" in r.json()["error"], r.text[:200]


def test_a_query_naming_its_dataset_keeps_it_when_asked_again(server: str) -> None:
    """FROM turns the union default graph off; the remembered scan must say so every time."""
    named = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/none> WHERE { ?s ?p ?o }"
    union = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for _ in range(2):
        for text, empty in ((named, True), (union, False)):
            r = _get(server, text, Accept="application/sparql-results+json")
            n = int(r.json()["results"]["bindings"][0]["n"]["value"])
            assert (n == 0) is empty, (text, n)


def test_the_warm_worker_answers_the_next_light_query(store: Path) -> None:
    """A light client gets the worker that answered last, not the longest idle one."""
    from core.config import Settings
    from core.sparql.engine import Job, WorkerPool

    pool = WorkerPool(Settings.from_env(store_path=store, base_uri="https://w3id.org/kiemen/"))
    try:
        pool.start()
        deadline = time.monotonic() + 60
        served = []
        while time.monotonic() < deadline and len(served) < 4:
            out = pool.run(Job(kind="query", text=ASK, results_format="json"), 30)
            assert out.status == 200, out.error
            served.append(pool._idle[-1])  # the worker just released
        assert len(served) == 4 and len(pool._idle) >= 2
        assert all(w is served[0] for w in served), "each query went to another worker"
        # a busy (or heavy) client takes from the other end and leaves the warm one alone
        out = pool.run(Job(kind="query", text=ASK, results_format="json"), 30, busy=True)
        assert out.status == 200, out.error
        assert pool._idle[-1] is not served[0] and served[0] in pool._idle
    finally:
        pool.close()
