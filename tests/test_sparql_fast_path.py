"""The WSGI fast path for plain queries (portal/sparql_fast.py) answers exactly what the Flask
view answers, headers included, and keeps every limit: the length cap, the per-client limit (for
kept answers too), the worker deadline and the row cap. The answer cache never answers a new
generation from an old one. Real app, real waitress server on 127.0.0.1, real worker processes;
each limit test checks that the fast path (not Flask) gave the answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from conftest import free_port
from sparql_helpers import bundled_store, seen, send_query
from waitress import create_server

from core.config import Settings
from core.store import KiemenStore, graph_iri
from portal.app import create_app
from portal.sparql_fast import FastPath
from portal.sparql_service import Service

BASE = "https://w3id.org/kiemen/"
TIMEOUT = 3.0
MAX_ROWS = 5
MAX_QUERY = 2000
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MANY = "SELECT ?s WHERE { ?s ?p ?o }"
CHEAP = "ASK { ?s ?p ?o }"
PROBE = "SELECT ?o WHERE { <urn:kiemen:test:probe> <urn:kiemen:test:value> ?o }"


@dataclass
class Live:
    url: str
    fast: FastPath
    service: Service
    kstore: KiemenStore

    def answered(self) -> int:
        return self.fast.answered


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = bundled_store(tmp_path_factory.mktemp("fastpath") / "store", BASE)
    settings = Settings.from_env(
        store_path=path,
        base_uri=BASE,
        query_timeout=TIMEOUT,
        max_rows=MAX_ROWS,
        max_query_bytes=MAX_QUERY,
        max_concurrent_per_client=2,
    )
    app = create_app(settings)
    port = free_port()
    server: Any = create_server(app, host="127.0.0.1", port=port, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while True:  # the workers start in the background: the first queries may meet cold ones
        r = requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": CHEAP}, timeout=60)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    try:
        yield Live(
            f"http://127.0.0.1:{port}",
            app.extensions["kiemen_sparql_fast"],
            app.extensions["kiemen_sparql"],
            KiemenStore(settings),
        )
    finally:
        server.close()
        app.extensions["kiemen_sparql"].pool.close()


REQUESTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("GET", CHEAP, {"Accept": "application/sparql-results+json"}, None),
    ("GET", MANY, {"Accept": "application/sparql-results+xml"}, None),
    ("GET", "SELECT * WHERE { ?s ?p }", {"Accept": "application/sparql-results+json"}, None),
    ("GET", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3", {"Accept": "text/turtle"}, None),
    ("GET", CHEAP, {}, None),
    ("POST", MANY, {"Accept": "text/csv"}, "application/sparql-query"),
    ("POST", CHEAP, {"Accept": "text/tab-separated-values"}, "form"),
    ("POST", "   ", {"Accept": "application/sparql-results+json"}, "application/sparql-query"),
]


def _send(live: Live, method: str, text: str, headers: dict[str, str], body: Any) -> Any:
    return send_query(live.url, method, text, headers, body)


@pytest.mark.parametrize("request_", REQUESTS, ids=range(len(REQUESTS)))
def test_fast_path_answers_what_flask_answers(live: Live, request_: Any) -> None:
    live.fast.enabled = False
    try:
        slow = _send(live, *request_)  # Flask: also teaches the fast path the Accept and root
        slow_again = _send(live, *request_)  # a kept answer, through Flask
    finally:
        live.fast.enabled = True
    before = live.answered()
    fast = _send(live, *request_)
    assert live.answered() == before + 1, "the fast path did not answer"
    if request_[1] == MANY:  # row order without ORDER BY is the engine's: compare as sets
        assert sorted(fast.content.splitlines()) == sorted(slow.content.splitlines())
        assert seen(fast)[:2] == seen(slow)[:2] == seen(slow_again)[:2]
    else:
        assert seen(fast) == seen(slow) == seen(slow_again)
    assert "Content-Security-Policy" in fast.headers and "Vary" in fast.headers


def _warm(live: Live, accept: str = "application/sparql-results+json") -> None:
    """One request through Flask, so the fast path knows this Accept header and URL root."""
    live.fast.enabled = False
    try:
        requests.get(live.url + "/sparql", params={"query": CHEAP}, headers={"Accept": accept})
    finally:
        live.fast.enabled = True


def test_fast_path_keeps_the_row_cap(live: Live) -> None:
    _warm(live, "text/csv")
    before = live.answered()
    r = requests.get(
        live.url + "/sparql", params={"query": MANY}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert live.answered() == before + 1
    assert r.status_code == 200
    assert r.headers["Kiemen-Truncated"] == f"true; rows={MAX_ROWS}"
    assert len(r.text.strip().splitlines()) == 1 + MAX_ROWS


def test_fast_path_keeps_the_length_cap(live: Live) -> None:
    _warm(live)
    before = live.answered()
    long = CHEAP + " #" + "x" * MAX_QUERY
    r = requests.post(
        live.url + "/sparql",
        data=long.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
        timeout=30,
    )
    r2 = requests.get(
        live.url + "/sparql",
        params={"query": long},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert live.answered() == before + 2
    assert r.status_code == r2.status_code == 413
    assert "KIEMEN_MAX_QUERY_BYTES" in r2.json()["error"]


def test_fast_path_keeps_the_deadline(live: Live) -> None:
    _warm(live)
    before = live.answered()
    r = requests.get(
        live.url + "/sparql",
        params={"query": RUNAWAY},
        headers={"Accept": "application/sparql-results+json"},
        timeout=TIMEOUT + 20,
    )
    assert live.answered() == before + 1
    assert r.status_code == 503
    assert "time limit" in r.json()["error"]


def test_fast_path_keeps_the_per_client_limit_for_kept_answers_too(live: Live) -> None:
    _warm(live)
    url, headers = live.url + "/sparql", {"Accept": "application/sparql-results+json"}
    first = requests.get(url, params={"query": CHEAP}, headers=headers, timeout=30)
    assert first.status_code == 200  # now kept: the next one is answered from memory
    before = live.answered()
    limiter = live.service.limiter
    with limiter.slot("127.0.0.1"), limiter.slot("127.0.0.1"):  # two queries in flight
        refused = requests.get(url, params={"query": CHEAP}, headers=headers, timeout=30)
    assert live.answered() == before + 1
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    again = requests.get(url, params={"query": CHEAP}, headers=headers, timeout=30)
    assert again.status_code == 200 and again.content == first.content


def test_kept_answers_never_outlive_their_generation(live: Live) -> None:
    _warm(live)
    url, headers = live.url + "/sparql", {"Accept": "application/sparql-results+json"}

    def values() -> list[str]:
        r = requests.get(url, params={"query": PROBE}, headers=headers, timeout=30)
        assert r.status_code == 200
        return [b["o"]["value"] for b in r.json()["results"]["bindings"]]

    settings = live.kstore.settings
    for n in range(3):
        assert values() == ([str(n - 1)] if n else [])
        assert values() == ([str(n - 1)] if n else [])  # a kept answer, same generation
        with live.kstore.writing() as gen:
            gen.store.remove_graph(graph_iri(settings, "probe"))
            gen.store.add(
                ox.Quad(
                    ox.NamedNode("urn:kiemen:test:probe"),
                    ox.NamedNode("urn:kiemen:test:value"),
                    ox.Literal(str(n)),
                    graph_iri(settings, "probe"),
                )
            )
    assert live.service.answers.hits > 0


def test_other_requests_go_to_flask(live: Live) -> None:
    _warm(live)
    before = live.answered()
    url = live.url + "/sparql"
    requests.get(url, params={"query": CHEAP, "format": "json"}, timeout=30)
    requests.get(url, params={"query": CHEAP}, headers={"Accept": "text/html"}, timeout=30)
    requests.post(url, data={"update": "INSERT DATA {}"}, timeout=30)
    requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)
    assert live.answered() == before


@pytest.mark.parametrize(
    "query",
    [
        "SELECT (STRUUID() AS ?x) WHERE {}",
        "SELECT (str(now ()) AS ?x) WHERE {}",
        "SELECT (STR(uuid ( )) AS ?x) WHERE {}",
        "SELECT (STR(rand()) AS ?x) WHERE {}",
    ],
)
def test_answers_that_change_per_evaluation_are_never_kept(live: Live, query: str) -> None:
    _warm(live)
    url, headers = live.url + "/sparql", {"Accept": "application/sparql-results+json"}
    seen = set()
    for _ in range(3):
        r = requests.get(url, params={"query": query}, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        seen.add(r.json()["results"]["bindings"][0]["x"]["value"])
        time.sleep(0.01)
    assert len(seen) == 3
