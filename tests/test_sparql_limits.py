"""Each protection of the endpoint, proved on a real server with a really expensive request while
another client (a different loopback address) keeps asking cheap questions and must keep getting
quick answers.

The server runs with tight limits: 2 s per query, 50 rows, 2 concurrent queries per client,
8 KiB bodies. Each test fails without its protection: the runaway query would never return, the
result would have 46 million rows, the third query would queue instead of getting 429, the large
body would be read and parsed.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from sparql_helpers import bundled_store, client_from, kiemen_server

TIMEOUT = 5.0
MAX_ROWS = 50
MAX_CONCURRENT = 2
MAX_BODY = 8192

#: Every triple times every triple times every triple: ~3·10^11 rows to count.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Every triple times every triple: ~4·10^7 rows, streamed.
HUGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
CHEAP = "ASK { ?s ?p ?o }"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = bundled_store(tmp_path_factory.mktemp("limits") / "store")
    with kiemen_server(
        store,
        KIEMEN_QUERY_TIMEOUT=str(TIMEOUT),
        KIEMEN_MAX_ROWS=str(MAX_ROWS),
        KIEMEN_MAX_CONCURRENT=str(MAX_CONCURRENT),
        KIEMEN_MAX_BODY_BYTES=str(MAX_BODY),
    ) as base:
        # warm the worker pool so that start-up is not measured as slowness
        for _ in range(3):
            requests.get(base + "/sparql", params={"query": CHEAP}, timeout=30)
        yield base


class Bystander:
    """Another client that asks a cheap query in a loop and records how long each answer took."""

    def __init__(self, base: str, address: str = "127.0.0.2") -> None:
        self.base = base
        self.session = client_from(address)
        self.times: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                r = self.session.get(
                    self.base + "/sparql",
                    params={"query": CHEAP},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=10,
                )
                if r.status_code != 200 or r.json().get("boolean") is not True:
                    self.failures.append(f"{r.status_code} {r.text[:100]}")
            except requests.RequestException as exc:
                self.failures.append(repr(exc))
            self.times.append(time.monotonic() - started)
            time.sleep(0.05)

    def __enter__(self) -> Bystander:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        deadline = time.monotonic() + 5
        while len(self.times) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        self._thread.join(15)

    def assert_unhurt(self) -> None:
        assert not self.failures, self.failures[:3]
        assert len(self.times) >= 5, "the bystander got too few answers"
        # A client stuck behind the runaway would wait the whole TIMEOUT; half of it leaves room
        # for a busy CI machine without letting a blocked bystander pass.
        slowest = max(self.times)
        assert slowest < TIMEOUT / 2, f"slowest cheap answer took {slowest:.2f} s"


def timed(fn: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = fn()
    return response, time.monotonic() - started


def test_time_limit_stops_a_runaway_query(server: str) -> None:
    heavy = client_from("127.0.0.3")
    with Bystander(server) as bystander:
        response, took = timed(
            lambda: heavy.get(
                server + "/sparql",
                params={"query": RUNAWAY},
                headers={"Accept": "application/sparql-results+json"},
                timeout=TIMEOUT + 10,
            )
        )
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["status"] == 503 and "time limit" in body["error"]
    assert TIMEOUT - 0.2 <= took < TIMEOUT + 3, took
    bystander.assert_unhurt()
    # the killed worker was replaced: the endpoint still answers, and still stops runaways
    again = heavy.get(server + "/sparql", params={"query": CHEAP}, timeout=10)
    assert again.status_code == 200


def test_time_limit_error_in_the_format_asked_for(server: str) -> None:
    response = client_from("127.0.0.4").post(
        server + "/sparql",
        data={"query": RUNAWAY},
        headers={"Accept": "application/sparql-results+xml"},
        timeout=TIMEOUT + 10,
    )
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("application/xml")
    assert "<status>503</status>" in response.text and "time limit" in response.text


@pytest.mark.parametrize(
    ("accept", "count_rows"),
    [
        ("application/sparql-results+json", lambda r: len(r.json()["results"]["bindings"])),
        ("application/sparql-results+xml", lambda r: r.text.count("<result>")),
        ("text/csv", lambda r: len(list(csv.reader(io.StringIO(r.text)))) - 1),
        ("text/tab-separated-values", lambda r: len(r.text.strip().splitlines()) - 1),
    ],
)
def test_row_cap_truncates_and_says_so(
    server: str, accept: str, count_rows: Callable[[requests.Response], int]
) -> None:
    with Bystander(server) as bystander:
        response, took = timed(
            lambda: client_from("127.0.0.5").get(
                server + "/sparql", params={"query": HUGE}, headers={"Accept": accept}, timeout=30
            )
        )
    assert response.status_code == 200, response.text[:300]
    assert count_rows(response) == MAX_ROWS
    assert response.headers["Kiemen-Truncated"].startswith("true")
    assert "Kiemen-Truncated" in response.headers["Access-Control-Expose-Headers"]
    if accept.endswith("json"):
        doc: dict[str, Any] = response.json()
        assert doc["truncated"] is True and doc["head"]["link"]
    if accept.endswith("xml"):
        assert "<link href=" in response.text
    assert took < TIMEOUT
    bystander.assert_unhurt()


def test_row_cap_on_construct(server: str) -> None:
    response = requests.post(
        server + "/sparql",
        data="CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
        timeout=30,
    )
    assert response.status_code == 200
    lines = [line for line in response.text.splitlines() if line.strip()]
    assert lines[0].startswith("# Kiemen: result truncated at 50")
    assert len(lines) == 1 + MAX_ROWS
    assert response.headers["Kiemen-Truncated"].startswith("true")


def test_small_results_are_not_marked(server: str) -> None:
    response = requests.get(
        server + "/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 10"}, timeout=30
    )
    assert response.status_code == 200
    assert "Kiemen-Truncated" not in response.headers
    assert "truncated" not in response.json()
    assert len(response.json()["results"]["bindings"]) == 10


def test_concurrency_limit_answers_429(server: str) -> None:
    greedy = client_from("127.0.0.6")
    running: list[requests.Response] = []

    def runaway() -> None:
        running.append(
            client_from("127.0.0.6").get(
                server + "/sparql", params={"query": RUNAWAY}, timeout=TIMEOUT + 10
            )
        )

    threads = [threading.Thread(target=runaway) for _ in range(MAX_CONCURRENT)]
    with Bystander(server) as bystander:
        for t in threads:
            t.start()
        time.sleep(0.5)  # both runaways are in their workers now
        refused, took = timed(
            lambda: greedy.get(
                server + "/sparql",
                params={"query": CHEAP},
                headers={"Accept": "application/sparql-results+json"},
                timeout=10,
            )
        )
        as_text = greedy.get(
            server + "/sparql", params={"query": CHEAP}, headers={"Accept": "text/csv"}, timeout=10
        )
        for t in threads:
            t.join(TIMEOUT + 15)
    assert refused.status_code == 429
    assert took < TIMEOUT / 2
    assert refused.headers["Retry-After"] == "1"
    body = json.loads(refused.text)
    assert body == {"ok": False, "error": body["error"], "status": 429}
    assert "at once" in body["error"]
    assert as_text.status_code == 429 and as_text.headers["Content-Type"].startswith("text/plain")
    assert [r.status_code for r in running] == [503] * MAX_CONCURRENT
    bystander.assert_unhurt()
    # once the runaways are gone, the same client is served again
    assert greedy.get(server + "/sparql", params={"query": CHEAP}, timeout=10).status_code == 200


def test_body_limit_answers_413(server: str) -> None:
    padding = "#" + "x" * (MAX_BODY * 20) + "\n"
    big_query = padding + CHEAP
    sender = client_from("127.0.0.7")
    with Bystander(server) as bystander:
        direct = sender.post(
            server + "/sparql",
            data=big_query.encode(),
            headers={"Content-Type": "application/sparql-query"},
            timeout=30,
        )
        form = sender.post(server + "/sparql", data={"query": big_query}, timeout=30)
        gsp = sender.put(
            server + "/store",
            params={"graph": "http://example.org/big"},
            data=padding.encode(),
            headers={"Content-Type": "text/turtle", "Authorization": "Bearer x"},
            timeout=30,
        )
    for response in (direct, form, gsp):
        assert response.status_code == 413, response.text[:200]
        body = response.json()
        assert body["ok"] is False and str(MAX_BODY) in body["error"]
    bystander.assert_unhurt()
    small = sender.post(
        server + "/sparql",
        data=("#" + "x" * (MAX_BODY // 2) + "\n" + CHEAP).encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert small.status_code == 200


def test_limits_are_declared_in_the_service_description(server: str) -> None:
    sd = requests.get(server + "/sparql", headers={"Accept": "text/turtle"}, timeout=10).text
    assert f"{TIMEOUT:g} seconds" in sd or f"{TIMEOUT:g} seconden" in sd
    assert str(MAX_ROWS) in sd and str(MAX_BODY) in sd
