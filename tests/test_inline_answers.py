"""Kept SPARQL answers given in waitress's I/O thread (cli/inline.py) are byte for byte what the
request threads give, keep the per-client limit and the generation, and everything that is not
a kept answer (a new text, an evicted answer, a large one, pipelined requests) still reaches
the request threads whole. Real app, real waitress server on 127.0.0.1, real worker processes;
each test checks which way its requests went, so none passes by not taking the path it guards."""

from __future__ import annotations

import socket
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

from cli import inline
from core.config import Settings
from core.store import KiemenStore, graph_iri
from portal import sparql_fast
from portal.app import create_app
from portal.sparql_fast import FastPath
from portal.sparql_service import Service

BASE = "https://w3id.org/kiemen/"
CHEAP = "ASK { ?s ?p ?o }"
MANY = "SELECT ?s WHERE { ?s ?p ?o }"
PROBE = "SELECT ?o WHERE { <urn:kiemen:test:probe> <urn:kiemen:test:value> ?o }"
JSON = {"Accept": "application/sparql-results+json"}


@dataclass
class Live:
    url: str
    port: int
    server: Any
    fast: FastPath
    service: Service
    kstore: KiemenStore

    def inline(self) -> tuple[int, int]:
        """(answers given in the I/O thread, offers declined there)."""
        return self.server.answered_inline, self.server.declined_inline


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = bundled_store(tmp_path_factory.mktemp("inline") / "store", BASE)
    settings = Settings.from_env(
        store_path=path, base_uri=BASE, max_rows=20, max_concurrent_per_client=2
    )
    app = create_app(settings)
    port = free_port()
    server: Any = inline.create_inline_server(
        app, host="127.0.0.1", port=port, threads=4, clear_untrusted_proxy_headers=False
    )
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
            port,
            server,
            app.extensions["kiemen_sparql_fast"],
            app.extensions["kiemen_sparql"],
            KiemenStore(settings),
        )
    finally:
        server.close()
        app.extensions["kiemen_sparql"].pool.close()


def _send(live: Live, method: str, text: str, headers: dict[str, str], body: str) -> Any:
    return send_query(live.url, method, text, headers, body)


@pytest.mark.parametrize(
    ("method", "headers", "body"),
    [
        ("GET", JSON, ""),
        ("GET", {"Accept": "application/sparql-results+xml"}, ""),
        ("POST", {"Accept": "text/csv"}, "application/sparql-query"),
        ("POST", {"Accept": "text/tab-separated-values"}, "form"),
        ("GET", {"Accept": "text/turtle"}, ""),
    ],
)
def test_a_kept_answer_is_given_in_the_io_thread_as_a_request_thread_gives_it(
    live: Live, method: str, headers: dict[str, str], body: str
) -> None:
    text = MANY if "turtle" not in headers["Accept"] else "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3"
    text += f" # {method} {headers['Accept']} {body}"  # new to this server
    _send(live, method, CHEAP + " # Flask sees this Accept first", headers, body)
    before = live.inline()
    first = _send(live, method, text, headers, body)  # a worker's answer, kept
    assert live.inline() == before
    second = _send(live, method, text, headers, body)
    assert live.inline() == (before[0] + 1, before[1])
    assert first.status_code == 200
    assert seen(second) == seen(first)


def test_new_texts_are_never_offered(live: Live) -> None:
    before, kept = live.inline(), live.fast.kept_inline
    for n in range(5):
        r = _send(live, "POST", f"{CHEAP} # new {n}", JSON, "application/sparql-query")
        assert r.status_code == 200 and r.json()["boolean"] is True
    assert live.inline() == before and live.fast.kept_inline == kept


@pytest.mark.parametrize("text", ["SELECT (RAND() AS ?r) WHERE {}", MANY + " # big"])
def test_answers_that_are_never_given_there_are_never_offered(
    live: Live, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setattr(sparql_fast, "MAX_INLINE_BYTES", 200)  # the second text's answer is over
    before = live.inline()
    for _ in range(3):
        assert _send(live, "GET", text, JSON, "").status_code == 200
    assert live.inline() == before


def test_a_declined_offer_leaves_the_body_whole_for_the_request_thread(live: Live) -> None:
    text = MANY + " # evicted"
    first = _send(live, "POST", text, JSON, "application/sparql-query")
    live.service.answers.clear()  # answered lately, but no longer kept: offered, declined
    before = live.inline()
    again = _send(live, "POST", text, JSON, "application/sparql-query")
    assert live.inline() == (before[0], before[1] + 1)
    assert seen(again) == seen(first)


def test_a_large_kept_answer_goes_through_a_request_thread(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = MANY + " # large"
    first = _send(live, "GET", text, JSON, "")
    monkeypatch.setattr(sparql_fast, "MAX_INLINE_BYTES", len(first.content) - 1)
    before = live.inline()
    again = _send(live, "GET", text, JSON, "")
    assert live.inline() == (before[0], before[1] + 1)
    assert seen(again) == seen(first)


def test_the_per_client_limit_holds_for_answers_given_in_the_io_thread(live: Live) -> None:
    text = CHEAP + " # limit"
    assert _send(live, "GET", text, JSON, "").status_code == 200
    limiter = live.service.limiter
    before = live.inline()
    with limiter.slot("127.0.0.1"), limiter.slot("127.0.0.1"):  # two queries in flight
        refused = _send(live, "GET", text, JSON, "")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert live.inline() == (before[0], before[1] + 1)
    assert _send(live, "GET", text, JSON, "").status_code == 200
    assert live.inline() == (before[0] + 1, before[1] + 1)


def test_answers_given_in_the_io_thread_never_outlive_their_generation(live: Live) -> None:
    settings = live.kstore.settings

    def values() -> list[str]:
        r = _send(live, "GET", PROBE, JSON, "")
        assert r.status_code == 200
        return [b["o"]["value"] for b in r.json()["results"]["bindings"]]

    for n in range(3):
        before = live.inline()
        assert values() == ([str(n - 1)] if n else [])
        assert values() == ([str(n - 1)] if n else [])  # kept, given in the I/O thread
        assert live.inline()[0] == before[0] + 1
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


def _read_response(sock: socket.socket, buffer: bytes) -> tuple[bytes, bytes]:
    """One HTTP response (with Content-Length) from ``buffer`` and the socket; and the rest."""
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(65536)
    head, rest = buffer.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def test_pipelined_requests_are_answered_in_order(live: Live) -> None:
    texts = [CHEAP + " # pipelined", MANY + " # pipelined"]
    expected = [_send(live, "GET", t, JSON, "").content for t in texts]
    wire = b"".join(
        f"GET /sparql?{requests.compat.urlencode({'query': t})} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{live.port}\r\nAccept: application/sparql-results+json\r\n\r\n".encode()
        for t in texts
    )
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
        sock.sendall(wire)
        buffer = b""
        for want in expected:
            response, buffer = _read_response(sock, buffer)
            assert response.startswith(b"HTTP/1.1 200 ")
            assert response.endswith(want)
