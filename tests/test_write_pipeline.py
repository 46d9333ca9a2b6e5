"""Every writer goes through one pipeline: kill each kind at each step and look again.

The writers run for real (``kiemen load`` as a subprocess; SPARQL Update, Graph Store PUT,
publisher uploads and rollbacks against ``kiemen serve`` on 127.0.0.1) with a failpoint armed
through a control file (core/failpoints.py). When the marker says a process reached the point,
that process (the load, the query worker, or the web server for uploads) gets SIGKILL. Then the
published data, its provenance, the publisher's versions and the audit log must all describe
the same state: the old one before the switch, the new one from the switch on. Also: when the
set of protected graphs cannot be computed, a write is refused (503), never allowed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from conftest import REPO, kiemen_cmd, kiemen_env
from publishing_helpers import Server, example_files, publishing_server
from sparql_helpers import bundled_store, kiemen_server, make_token

CODE = "GM0344"
BASE = "https://w3id.org/kiemen/"
PROV = "http://www.w3.org/ns/prov#"
#: Every failpoint of core/write/pipeline.py, in the order a write reaches them.
POINTS = [
    "write:authorise",
    "write:write",
    "write:validate",
    "write:provenance",
    "write:indexes",
    "write:publish",
    "write:switch",
    "write:published",
]
#: From this point on, the write is published.
PUBLISHED_FROM = POINTS.index("write:published")

pytestmark = pytest.mark.slow


class Points:
    """The control file that arms one failpoint at a time, and the marker a process writes."""

    def __init__(self, folder: Path) -> None:
        self.control = folder / "failpoint"
        self.marker = folder / "reached"
        self.control.write_text("", encoding="utf-8")

    @property
    def env(self) -> dict[str, str]:
        return {"KIEMEN_FAILPOINT": f"@{self.control}", "KIEMEN_FAILPOINT_FILE": str(self.marker)}

    def arm(self, point: str) -> None:
        self.marker.unlink(missing_ok=True)
        self.control.write_text(point, encoding="utf-8")

    def disarm(self) -> None:
        self.control.write_text("", encoding="utf-8")

    def kill_when_reached(self, point: str, alive: Callable[[], bool], timeout: float = 240) -> int:
        """SIGKILL the process that reached ``point``; return its process id."""
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            assert alive(), f"the writer ended before it reached {point}"
            assert time.monotonic() < deadline, f"the writer never reached {point}"
            time.sleep(0.05)
        name, pid = self.marker.read_text(encoding="utf-8").split()
        assert name == point
        self.disarm()
        os.kill(int(pid), signal.SIGKILL)
        return int(pid)


def _in_background(call: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(requests.RequestException):  # the server may be killed
            call()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _count(server: Server, graph: str) -> int:
    rows = server.sparql(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"])


def _records(server: Server, graph: str, predicate: str) -> int:
    """How many provenance activities the meta graph links ``graph`` to."""
    meta = f"{server.base}graph/meta"
    rows = server.sparql(
        "SELECT (COUNT(DISTINCT ?a) AS ?n) "
        f"WHERE {{ GRAPH <{meta}> {{ <{graph}> <{predicate}> ?a }} }}"
    )
    return int(rows[0]["n"])


def _publisher_state(server: Server) -> tuple[list[int], list[int], int]:
    """Versions, the versions the audit log says were published, and the data graph's size;
    checked against each other on the way."""
    versions = requests.get(f"{server.url}/publish/api/{CODE}/versions", timeout=60).json()["rows"]
    audit = requests.get(
        f"{server.url}/publish/api/{CODE}/audit", headers=server.auth(CODE), timeout=60
    )
    assert audit.ok, audit.text
    published = [a["version"] for a in audit.json()["rows"] if a["outcome"] == "published"]
    numbers = [int(v["number"]) for v in versions]
    triples = _count(server, server.graph(CODE))
    assert sorted(published) == sorted(numbers), (published, numbers)
    if versions:
        assert int(versions[0]["triples"]) == triples, (versions[0], triples)
    else:
        assert triples == 0
    return numbers, published, triples


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Points, dict]]:
    """A loaded store with one publisher and its first version, and the failpoint control."""
    folder = tmp_path_factory.mktemp("pipeline")
    points = Points(folder)
    info: dict[str, object] = {}
    with publishing_server(folder, {CODE: ()}, env=points.env) as server:
        first = requests.post(
            f"{server.url}/publish/api/{CODE}/versions",
            files=example_files(),
            headers=server.auth(CODE),
            timeout=300,
        )
        assert first.status_code == 201, first.text[:2000]
        info.update(port=int(server.url.rsplit(":", 1)[1]), tokens=server.tokens)
        info["scratch"] = server.cli("token", "create", "--graph", "scratch").stdout.split()[-1]
    yield folder, points, info


@contextlib.contextmanager
def _serve(served: tuple[Path, Points, dict]) -> Iterator[Server]:
    folder, points, info = served
    with publishing_server(
        folder, {CODE: ()}, env=points.env, port=info["port"], tokens=info["tokens"]
    ) as server:
        yield server


def test_a_load_killed_at_each_step_leaves_data_and_provenance_in_step(
    served: tuple[Path, Points, dict], tmp_path: Path
) -> None:
    folder, points, info = served
    store = folder / "kiemen.oxigraph"
    base = f"http://127.0.0.1:{info['port']}/"
    graph = f"{base}graph/extra"
    data = tmp_path / "extra.ttl"
    loads = 0
    with _serve(served) as server:
        assert _count(server, graph) == 0
        for i, point in enumerate(POINTS):
            data.write_text(f"<urn:kiemen:test:s{i}> <urn:kiemen:test:p> {i} .\n", encoding="utf-8")
            points.arm(point)
            proc = subprocess.Popen(
                [*kiemen_cmd(), "load", str(data), "--graph", "extra"],
                env=kiemen_env(store, base, **points.env),
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            assert points.kill_when_reached(point, lambda p=proc: p.poll() is None) == proc.pid
            proc.wait(30)
            loads += i >= PUBLISHED_FROM
            # the graph holds exactly the last published load, and its record says so
            assert _count(server, graph) == (1 if loads else 0), point
            assert _records(server, graph, PROV + "wasGeneratedBy") == (1 if loads else 0), point
            _publisher_state(server)  # the publisher's records are untouched and true
        points.disarm()
        again = server.cli("load", str(data), "--graph", "extra")  # not locked, not stuck
        assert again.returncode == 0
        assert _count(server, graph) == 1


def _http_matrix(
    served: tuple[Path, Points, dict],
    send: Callable[[Server, int], requests.Response],
) -> None:
    _folder, points, info = served
    with _serve(served) as server:
        graph = f"{server.base}graph/scratch"
        before = _publisher_state(server)
        start = _count(server, graph)
        writes = _records(server, graph, PROV + "wasInfluencedBy")
        for i, point in enumerate(POINTS):
            points.arm(point)
            thread = _in_background(lambda i=i: send(server, i))
            worker = points.kill_when_reached(point, thread.is_alive)
            assert server.proc is not None and worker != server.proc.pid  # a query worker
            thread.join(60)
            changed = i >= PUBLISHED_FROM
            size = _count(server, graph)  # the server still answers
            assert (size != start) == changed, (point, start, size)
            # provenance is in the same generation as the data: one write record per graph
            recorded = _records(server, graph, PROV + "wasInfluencedBy")
            assert recorded == (1 if changed or writes else 0), point
            assert _publisher_state(server) == before, point
        points.disarm()
        ok = send(server, len(POINTS))  # the store takes writes again
        assert ok.status_code in (201, 204), ok.text
        _ = info


def test_an_update_killed_at_each_step_leaves_data_and_provenance_in_step(
    served: tuple[Path, Points, dict],
) -> None:
    token = served[2]["scratch"]

    def send(server: Server, i: int) -> requests.Response:
        graph = f"{server.base}graph/scratch"
        return requests.post(
            f"{server.url}/sparql",
            data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:u{i}> <urn:x:p> {i} }} }}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        )

    _http_matrix(served, send)


def test_a_graph_store_put_killed_at_each_step_leaves_data_and_provenance_in_step(
    served: tuple[Path, Points, dict],
) -> None:
    token = served[2]["scratch"]

    def send(server: Server, i: int) -> requests.Response:
        body = "".join(f"<urn:x:g{i}> <urn:x:p> {n} .\n" for n in range(i + 2))
        return requests.put(
            f"{server.url}/store",
            params={"graph": f"{server.base}graph/scratch"},
            data=body.encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"},
            timeout=300,
        )

    _http_matrix(served, send)


def _publisher_matrix(
    served: tuple[Path, Points, dict], send: Callable[[Server], requests.Response]
) -> None:
    """Kill the web server (an upload or rollback runs in it) at each step, restart, compare."""
    _folder, points, _info = served
    expected: list[int] | None = None
    for point in [*POINTS, None]:
        with _serve(served) as server:
            now, _published, _triples = _publisher_state(server)
            assert expected is None or now == expected, (point, now, expected)
            if point is None:
                break
            expected = [now[0] + 1, *now] if point == POINTS[PUBLISHED_FROM] else now
            points.arm(point)
            assert server.proc is not None
            thread = _in_background(lambda server=server: send(server))
            assert points.kill_when_reached(point, thread.is_alive) == server.proc.pid
            server.proc.wait(30)
            thread.join(60)


def test_an_upload_killed_at_each_step_keeps_data_versions_and_audit_in_step(
    served: tuple[Path, Points, dict],
) -> None:
    def send(server: Server) -> requests.Response:
        return requests.post(
            f"{server.url}/publish/api/{CODE}/versions",
            files=example_files(),
            headers=server.auth(CODE),
            timeout=300,
        )

    _publisher_matrix(served, send)


def test_a_rollback_killed_at_each_step_keeps_data_versions_and_audit_in_step(
    served: tuple[Path, Points, dict],
) -> None:
    def send(server: Server) -> requests.Response:
        return requests.post(
            f"{server.url}/publish/api/{CODE}/rollback",
            params={"version": "1"},
            headers=server.auth(CODE),
            timeout=300,
        )

    _publisher_matrix(served, send)


def test_a_write_is_refused_when_the_protected_graphs_cannot_be_computed(tmp_path: Path) -> None:
    """The query for the protected graphs fails (an injected fault): 503 and nothing written;
    the same writes without the fault succeed, so it is the failure that refuses them."""
    store = bundled_store(tmp_path / "store", BASE)
    graph = f"{BASE}graph/scratch"

    def attempt(base: str, token: str) -> tuple[int, int]:
        update = requests.post(
            f"{base}/sparql",
            data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:b> 1 }} }}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        put = requests.put(
            f"{base}/store",
            params={"graph": graph},
            data=b"<urn:x:a> <urn:x:b> 2 .",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"},
            timeout=120,
        )
        return update.status_code, put.status_code

    published = (store / "current").resolve().name
    with kiemen_server(store, KIEMEN_FAULT="authorise:protected-graphs") as base:
        token = make_token(store, BASE, "scratch")
        assert attempt(base, token) == (503, 503)
        r = requests.post(
            f"{base}/sparql",
            data={"update": "CLEAR ALL"},
            headers={"Authorization": f"Bearer {make_token(store, BASE, '*')}"},
            timeout=120,
        )
        assert r.status_code == 503 and "protected" in r.json()["error"], r.text
    assert (store / "current").resolve().name == published  # nothing was published
    with kiemen_server(store) as base:
        assert attempt(base, token) == (204, 204)


def test_an_http_write_is_validated_and_recorded_like_a_load(tmp_path: Path) -> None:
    """An update that breaks the shapes is a 422 naming graph, focus node and rule, and writes
    nothing; an accepted one leaves a provenance record: who (the token's id, never its
    secret), which graph, how many statements came and went."""
    store = bundled_store(tmp_path / "store", BASE)
    graph = f"{BASE}graph/scratch"
    with kiemen_server(store) as base:
        token = make_token(store, BASE, "scratch")
        listed = subprocess.run(
            [*kiemen_cmd(), "token", "list", "--json"],
            env=kiemen_env(store, BASE),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        token_id = next(t["id"] for t in json.loads(listed) if graph in t["graphs"])
        published = (store / "current").resolve().name

        def update(text: str) -> requests.Response:
            return requests.post(
                f"{base}/sparql",
                data={"update": text},
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )

        bad = update(
            f"PREFIX km: <{BASE}def/> INSERT DATA {{ GRAPH <{graph}> "
            "{ <https://example.org/i1> a km:Initiative } }"
        )
        assert bad.status_code == 422, bad.text
        error = bad.json()["error"]
        assert f"<{graph}>" in error and "<https://example.org/i1>" in error, error
        assert "[Name in Dutch / prefLabel]" in error, error  # the rule broken
        assert (store / "current").resolve().name == published  # nothing was written

        ok = update(
            f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:b> 1, 2 }} }} ;\n"
            f"DELETE DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:b> 2 }} }}"
        )
        assert ok.status_code == 204, ok.text
        meta = f"{BASE}graph/meta"
        rows = requests.post(
            f"{base}/sparql",
            data={
                "query": f"""PREFIX prov: <{PROV}> PREFIX km: <{BASE}def/>
                SELECT ?agent ?added ?removed ?kind WHERE {{ GRAPH <{meta}> {{
                  <{graph}> prov:wasInfluencedBy ?a . ?a prov:wasAssociatedWith ?agent ;
                  km:writeKind ?kind ; km:changedGraph ?c .
                  ?c <http://purl.org/dc/terms/subject> <{graph}> ;
                     km:statementsAdded ?added ; km:statementsRemoved ?removed }} }}"""
            },
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        ).json()["results"]["bindings"]
        assert len(rows) == 1, rows
        assert rows[0]["agent"]["value"] == f"{BASE}id/token/{token_id}"
        assert (rows[0]["added"]["value"], rows[0]["removed"]["value"]) == ("1", "0")
        assert rows[0]["kind"]["value"] == "update"
        everything = requests.post(
            f"{base}/sparql",
            data={"query": f"SELECT * WHERE {{ GRAPH <{meta}> {{ ?s ?p ?o }} }}"},
            headers={"Accept": "text/tab-separated-values"},
            timeout=60,
        ).text
        assert token not in everything and token.removeprefix("kiemen_") not in everything


def _link_state(server: Server) -> tuple[int, int, int, int]:
    """The links graph's size, its load records, its unlink (write) records, and the audit
    rows of withdrawals that wrote to the store; checked against each other on the way."""
    links = server.graph(CODE, "links")
    size = _count(server, links)
    loaded = _records(server, links, PROV + "wasGeneratedBy")
    written = _records(server, links, PROV + "wasInfluencedBy")
    audit = requests.get(
        f"{server.url}/publish/api/{CODE}/audit", headers=server.auth(CODE), timeout=60
    )
    assert audit.ok, audit.text
    withdrawn = sum(  # a withdrawal that wrote: its audit row names its generation
        1
        for a in audit.json()["rows"]
        if a["action"] == "link" and a["outcome"] == "rejected" and a["generation"]
    )
    # the data, its provenance and the audit log say the same thing
    assert (size > 0, loaded, written, withdrawn) in {(True, 1, 0, 0), (False, 0, 1, 1)}, (
        size,
        loaded,
        written,
        withdrawn,
    )
    return size, loaded, written, withdrawn


def test_a_link_withdrawal_killed_at_each_step_keeps_data_provenance_and_audit_in_step(
    served: tuple[Path, Points, dict],
) -> None:
    """Undoing the last confirmed link removes the publisher's links graph through the write
    pipeline (it runs in the web server): killed at each step, the graph, its provenance, the
    suggestion's status and the audit log agree; from the switch on, the graph is gone with
    one write record."""
    _folder, points, _info = served
    with _serve(served) as server:
        rows = requests.get(f"{server.url}/publish/api/{CODE}/suggestions", timeout=60).json()
        chosen = next(r for r in rows["rows"] if r["status"] != "confirmed")
        confirmed = requests.post(
            f"{server.url}/publish/api/{CODE}/suggestions/{chosen['id']}",
            json={"decision": "confirm"},
            headers=server.auth(CODE),
            timeout=300,
        )
        assert confirmed.status_code == 200, confirmed.text
        assert _link_state(server)[0] > 0
        before = _publisher_state(server)

    def send(server: Server) -> requests.Response:
        return requests.post(
            f"{server.url}/publish/api/{CODE}/suggestions/{chosen['id']}",
            json={"decision": "reject"},
            headers=server.auth(CODE),
            timeout=300,
        )

    for i, point in enumerate([*POINTS, None]):
        with _serve(served) as server:
            size, *_records_now = _link_state(server)
            assert (size == 0) == (i > PUBLISHED_FROM), (point, size)
            assert _publisher_state(server) == before, point
            # the suggestion says what the store says: rejected exactly when the link is gone
            listed = requests.get(f"{server.url}/publish/api/{CODE}/suggestions", timeout=60)
            status = next(r["status"] for r in listed.json()["rows"] if r["id"] == chosen["id"])
            assert status == ("rejected" if size == 0 else "confirmed"), (point, status)
            if point is None:
                break
            points.arm(point)
            assert server.proc is not None
            thread = _in_background(lambda server=server: send(server))
            assert points.kill_when_reached(point, thread.is_alive) == server.proc.pid
            server.proc.wait(30)
            thread.join(60)
    with _serve(served) as server:  # not locked, not stuck: withdrawing again writes nothing
        again = send(server)
        assert again.status_code == 200, again.text
        assert _link_state(server) == (0, 0, 1, 1)
        audit = requests.get(
            f"{server.url}/publish/api/{CODE}/audit", headers=server.auth(CODE), timeout=60
        ).json()["rows"]
        assert audit[0]["action"] == "link" and audit[0]["generation"] is None  # decided only
