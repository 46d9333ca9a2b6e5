"""Slow and oversized requests against a real ``kiemen serve``: what the HTTP server must hold.

These are the protections a change of HTTP server could lose (issue 18, item 1): waitress reads
a body on its event loop before a request thread sees it and drops a connection that makes no
progress for ``channel_timeout`` seconds; granian 2.8 streams bodies to the app with a blocking
read that has no timeout, and the first test failed there (``/robots.txt`` timed out behind 40
stalled bodies; bench/README.md). Idle connections are tested in ``test_security.py``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sparql_helpers import bundled_store, client_from, kiemen_server

CHANNEL_TIMEOUT = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = bundled_store(tmp_path_factory.mktemp("slow") / "store")
    env = {"KIEMEN_CHANNEL_TIMEOUT": str(CHANNEL_TIMEOUT)}
    with kiemen_server(store, **env) as base:
        yield base


def _address(server: str) -> tuple[str, int]:
    host, port = server.removeprefix("http://").split(":")
    return host, int(port)


def test_clients_that_never_send_their_body_hold_no_request_thread(server: str) -> None:
    """Forty clients declare a body and send three bytes of it; pages and queries still answer."""
    cheap = client_from("127.0.0.9")
    ask = {"data": "ASK { ?s ?p ?o }", "headers": {"Content-Type": "application/sparql-query"}}
    assert cheap.post(server + "/sparql", timeout=60, **ask).ok  # workers started before
    stalled = []
    try:
        for _ in range(40):
            s = socket.create_connection(_address(server), timeout=CHANNEL_TIMEOUT * 4)
            s.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nASK"
            )
            stalled.append(s)
        time.sleep(0.5)
        started = time.monotonic()
        assert requests.get(server + "/robots.txt", timeout=10).status_code == 200
        answer = cheap.post(server + "/sparql", timeout=10, **ask)
        assert answer.status_code == 200, answer.text
        assert time.monotonic() - started < 5
    finally:
        for s in stalled:
            s.close()


def test_a_chunked_body_past_the_limit_is_refused_while_it_is_read(server: str) -> None:
    s = socket.create_connection(_address(server), timeout=20)
    try:
        s.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"#" * (1 << 20)
        sent, answer = 0, b""
        s.settimeout(0.2)
        while sent < 64 << 20 and not answer:
            try:
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except OSError:
                break  # the server closed the connection after answering
            sent += len(chunk)
            try:
                answer = s.recv(200)
            except TimeoutError:
                continue
        if not answer:
            s.settimeout(10)
            answer = s.recv(200)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        # the limit is 10 MiB (the server may read up to twice that before the app refuses it)
        assert sent <= 24 << 20
    finally:
        s.close()


def test_headers_past_the_limit_are_refused(server: str) -> None:
    r = requests.get(server + "/robots.txt", headers={"X-Big": "a" * (1 << 20)}, timeout=10)
    assert r.status_code in (400, 413, 431)


def test_a_stopped_server_leaves_no_process_behind(tmp_path: Path) -> None:
    store = bundled_store(tmp_path / "store")
    with kiemen_server(store) as base:
        assert requests.get(base + "/sparql", params={"query": "ASK {}"}, timeout=10).ok
        port = base.rsplit(":", 1)[1]
    time.sleep(1)
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f"--port\x00{port}\x00" in cmdline.read_text(errors="replace"):
                left.append(cmdline)
        except OSError:
            continue  # ended while we looked
    assert not left
