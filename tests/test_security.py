"""The attacks of the security review, each as a regression test against a real ``kiemen serve``.

A loopback listener stands in for every server an attacker would like ours to reach: it counts
the connections it accepts, and each test asserts it counted none. The graphs a token may not
write are compared quad by quad before and after every attempt.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sparql_helpers import bundled_store, client_from, kiemen_server, make_token

from core.config import Settings
from core.write import provenance

MEMORY_MB = 1024


class Listener:
    """A TCP listener on 127.0.0.1 that counts accepted connections (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled_store(tmp_path_factory.mktemp("security") / "store")


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[str]:
    env = {"KIEMEN_WORKER_MEMORY_MB": str(MEMORY_MB), "KIEMEN_QUERY_TIMEOUT": "20"}
    with kiemen_server(store, **env) as base:
        yield base


def graph_ns(store: Path) -> str:
    """The store's graph namespace, read from its curated graph (whatever the base is)."""
    for g in _reader(store).named_graphs():
        if isinstance(g, ox.NamedNode) and g.value.endswith("/graph/curated"):
            return g.value[: -len("curated")]
    raise AssertionError("no curated graph")


def _reader(store: Path) -> ox.Store:
    return ox.Store.read_only(str(store / "current" / "oxigraph"))


def snapshot(store: Path, keep: str) -> dict[str, set[str]]:
    """Every quad of every graph except ``keep``, as N-Quads lines per graph; of the meta graph
    without the records of accepted writes (which every write adds, and no token may change)."""
    settings = Settings.from_env(store_path=store, base_uri=graph_ns(store)[: -len("graph/")])
    out: dict[str, set[str]] = {}
    for q in _reader(store).quads_for_pattern(None, None, None, None):
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        if name != keep and not provenance.is_write_record(q, settings):
            out.setdefault(name, set()).add(str(q))
    return out


@pytest.fixture(scope="module")
def uploads(store: Path) -> str:
    return graph_ns(store) + "uploads"


@pytest.fixture(scope="module")
def narrow(store: Path, server: str, uploads: str) -> str:
    """A token for the uploads graph only; a second token owns another publisher's graph."""
    make_token(store, server + "/", graph_ns(store) + "other-publisher")
    return make_token(store, server + "/", uploads)


def query(server: str, text: str, **params: str) -> requests.Response:
    return requests.post(server + "/sparql", data={"query": text, **params}, timeout=60)


def update(server: str, text: str, token: str, **params: str) -> requests.Response:
    return requests.post(
        server + "/sparql",
        data={"update": text, **params},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


LINE_ENDS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"]


@pytest.mark.parametrize("end", LINE_ENDS, ids=[repr(e) for e in LINE_ENDS])
def test_a_hidden_service_call_reaches_nothing(server: str, listener: Listener, end: str) -> None:
    before = listener.accepted
    text = f"SELECT * WHERE {{ #{end} SERVICE <{listener.url}> {{ ?x ?p ?o }} \n}}"
    r = query(server, text)
    # where the engine ends the comment, SERVICE runs and is refused; elsewhere it is a comment
    assert r.status_code in ((403,) if end in ("\n", "\r", "\r\n") else (200,)), r.text
    assert "Operation not permitted" not in r.text and "os error" not in r.text
    time.sleep(0.2)
    assert listener.accepted == before


def test_service_spelled_with_an_escape_reaches_nothing(server: str, listener: Listener) -> None:
    before = listener.accepted
    # SPARQL decodes \\u escapes before it parses: \\u0053 is "S"
    r = query(server, f"SELECT * WHERE {{ \\u0053ERVICE <{listener.url}> {{ ?x ?p ?o }} }}")
    assert r.status_code in (400, 403), r.text
    time.sleep(0.2)
    assert listener.accepted == before


def test_a_hidden_load_reaches_nothing_and_writes_nothing(
    server: str, store: Path, listener: Listener, narrow: str, uploads: str
) -> None:
    before, quads = listener.accepted, snapshot(store, keep="")
    r = update(server, f"#\rLOAD <{listener.url}> INTO GRAPH <{uploads}>", narrow)
    assert r.status_code == 403 and "network" in r.json()["error"], r.text
    time.sleep(0.2)
    assert listener.accepted == before
    assert snapshot(store, keep="") == quads


@pytest.mark.parametrize(
    "template",
    [
        "#\rDROP ALL ;\nINSERT DATA {{ GRAPH <{uploads}> {{ <http://a> <http://b> 1 }} }}",
        "#\rINSERT DATA {{ GRAPH <{ns}curated> {{ <http://a> <http://b> 1 }} }} ;\n"
        "INSERT DATA {{ GRAPH <{uploads}> {{ <http://a> <http://b> 2 }} }}",
        "INSERT DATA {{ GRAPH <{ns}other-publisher> {{ <http://a> <http://b> 3 }} }}",
        "DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "INSERT DATA {{ <http://a> <http://b> 4 }}",
        "INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH <{uploads}> {{ ?s ?p ?o }} }}",
    ],
)
def test_a_narrow_token_changes_nothing_outside_its_graph(
    server: str, store: Path, narrow: str, uploads: str, template: str
) -> None:
    setup = f"INSERT DATA {{ GRAPH <{uploads}> {{ <http://x> <http://y> 0 }} }}"
    assert update(server, setup, narrow).status_code == 204
    before = snapshot(store, keep=uploads)
    text = template.format(uploads=uploads, ns=graph_ns(store))
    r = update(server, text, narrow)
    assert r.status_code == 403, r.text
    assert snapshot(store, keep=uploads) == before


def test_a_variable_graph_is_fine_when_it_stays_inside_the_grant(
    server: str, store: Path, narrow: str, uploads: str
) -> None:
    before = snapshot(store, keep=uploads)
    text = (
        "INSERT { GRAPH ?g { <http://v> <http://w> 1 } } "
        f"WHERE {{ VALUES ?g {{ <{uploads}> }} }}"
    )
    r = update(server, text, narrow)
    assert r.status_code == 204, r.text
    assert snapshot(store, keep=uploads) == before


def test_using_graph_uri_is_data_not_text(server: str, store: Path, narrow: str) -> None:
    ns = graph_ns(store)
    before = snapshot(store, keep="")
    evil = (
        f"http://a> WHERE {{}} ; INSERT DATA {{ GRAPH <{ns}curated> "
        "{ <http://a> <http://b> 1 } } ; DELETE { <http://x> <http://y> ?z } USING <http://b"
    )
    r = update(
        server,
        "DELETE { <http://x> <http://y> ?z } WHERE { <http://x> <http://y> ?z }",
        narrow,
        **{"using-graph-uri": evil},
    )
    assert r.status_code == 400 and "absolute IRI" in r.json()["error"], r.text
    assert snapshot(store, keep="") == before


@pytest.mark.parametrize("name", ["default-graph-uri", "named-graph-uri"])
def test_bad_dataset_iris_are_a_400(server: str, name: str) -> None:
    r = query(server, "ASK {}", **{name: "not an iri"})
    assert r.status_code == 400 and name in r.json()["error"]


def test_a_graph_store_graph_must_be_an_iri(server: str, narrow: str) -> None:
    r = requests.get(server + "/store", params={"graph": "not an iri"}, timeout=30)
    assert r.status_code == 400, r.text
    r = requests.put(
        server + "/store",
        params={"graph": "http://a> <b"},
        data=b"<http://a> <http://b> 1 .",
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {narrow}"},
        timeout=30,
    )
    assert r.status_code == 400, r.text


def test_regex_shaped_queries_cost_linear_time(server: str) -> None:
    body = "SELECT * WHERE { " + "a." * 30_000 + " }"  # 60 KB, under the length cap
    started = time.monotonic()
    r = query(server, body)
    assert r.status_code == 400, r.text[:200]
    assert time.monotonic() - started < 3
    unterminated = "SELECT * WHERE { " + '"\\"' * 20_000  # escaped quotes, never closed
    started = time.monotonic()
    assert query(server, unterminated).status_code == 400
    assert time.monotonic() - started < 3


def test_texts_over_the_length_cap_are_refused_before_parsing(server: str) -> None:
    started = time.monotonic()
    r = query(server, "SELECT * WHERE { " + "a." * 100_000 + " }")
    assert r.status_code == 413 and "KIEMEN_MAX_QUERY_BYTES" in r.json()["error"]
    assert time.monotonic() - started < 2


def test_deep_nesting_is_a_clear_400(server: str) -> None:
    r = query(server, "SELECT * WHERE " + "{" * 20_000 + "}" * 20_000)
    assert r.status_code == 400 and "nested" in r.json()["error"], r.text[:200]


def test_a_memory_hungry_query_is_stopped_with_503(server: str) -> None:
    started = time.monotonic()
    r = query(server, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 5")
    assert r.status_code == 503 and "memory" in r.json()["error"], r.text
    assert time.monotonic() - started < 20
    assert query(server, "ASK { ?s ?p ?o }").json()["boolean"] is True


def test_internal_errors_say_nothing_internal(server: str) -> None:
    r = query(server, "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
    assert "Error:" not in r.text and "Traceback" not in r.text


def test_idle_connections_do_not_lock_others_out(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    idle = []
    try:
        for _ in range(300):
            s = socket.create_connection((host, int(port)), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # a request that never ends
            idle.append(s)
        started = time.monotonic()
        r = requests.get(server + "/robots.txt", timeout=10)
        assert r.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        for s in idle:
            s.close()


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0.0
    pids = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(p) for p in children.read_text().split()]
        except OSError:
            continue
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def _server_pid(server: str) -> int:
    port = int(server.rsplit(":", 1)[1])
    for conn in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = conn.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
            inode = fields[9]
            for fd in Path("/proc").glob("[0-9]*/fd/*"):
                try:
                    if fd.readlink().name == f"socket:[{inode}]":
                        return int(fd.parts[2])
                except OSError:
                    continue
    raise AssertionError("server process not found")


HOSTILE = [
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 5",
    "SELECT * WHERE { " + "a." * 25_000 + " }",
    "SELECT * WHERE " + "{" * 5_000 + "}" * 5_000,
]


def test_hostile_clients_do_not_starve_a_cheap_one(server: str) -> None:
    """Eight clients send hostile queries; a ninth keeps a p99 under 1 s and memory is bounded."""
    pid = _server_pid(server)
    cheap = client_from("127.0.0.20")
    assert cheap.get(server + "/sparql", params={"query": "ASK {}"}, timeout=30).ok  # a regular
    stop = time.monotonic() + 30
    peak = [0.0]

    def hostile(n: int) -> None:
        session = client_from(f"127.0.0.{n + 2}")
        i = n
        while time.monotonic() < stop:
            text = HOSTILE[i % len(HOSTILE)]
            i += 1
            with contextlib.suppress(requests.RequestException):
                session.post(server + "/sparql", data={"query": text}, timeout=60)

    def watch() -> None:
        while time.monotonic() < stop:
            peak[0] = max(peak[0], _rss_mb(pid))
            time.sleep(0.2)

    threads = [threading.Thread(target=hostile, args=(n,)) for n in range(8)]
    threads.append(threading.Thread(target=watch))
    for t in threads:
        t.start()
    time.sleep(4)  # let the attack build up
    times = []
    while time.monotonic() < stop - 1:
        started = time.monotonic()
        if len(times) % 2:
            r = cheap.get(server + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        else:
            r = cheap.get(server + "/robots.txt", timeout=30)
        times.append(time.monotonic() - started)
        assert r.status_code == 200, r.text
    for t in threads:
        t.join(90)
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1] if len(times) > 1 else times[0]
    print(f"cheap requests: {len(times)}, p99 {p99:.3f} s, server peak RSS {peak[0]:.0f} MB")
    assert p99 < 1.0
    # the web process plus at most 8 workers, each capped at MEMORY_MB of address space
    assert peak[0] < 600 + 8 * MEMORY_MB


# -- differential fuzzing: forbidden operations wrapped in every disguise ------------------------

_ENDS = st.sampled_from(["\n", "\r", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", " "])


@st.composite
def disguised(draw: st.DrawFn, core: str) -> str:
    """``core`` behind comments, line ends, escapes, literals, prefixes and separators."""
    text = core
    if draw(st.booleans()):  # spell a keyword letter as a \\u escape (decoded before parsing)
        keyword = next((k for k in ("SERVICE", "DROP", "INSERT", "LOAD", "CLEAR") if k in text), "")
        if keyword:
            text = text.replace(keyword, f"\\u{ord(keyword[0]):04X}" + keyword[1:], 1)
    for _ in range(draw(st.integers(0, 3))):
        wrapper = draw(st.sampled_from(["comment", "literal", "space", "nest-comment", "hash-iri"]))
        end = draw(_ENDS)
        if wrapper == "comment":
            text = f"# {draw(st.text(max_size=8))}{end}{text}"
        elif wrapper == "literal":
            text = f"# '{end}\"{end}{text}"
        elif wrapper == "space":
            text = f"{end}\t\x0c{text}{end}"
        elif wrapper == "nest-comment":
            text = f"#{{{end}{text}{end}#}}"
        else:
            text = f"#<http://a#b>{end}{text}"
    return text


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_no_disguised_service_call_gets_out(
    server: str, listener: Listener, data: st.DataObject
) -> None:
    core = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?x ?p ?o }} }}"
    text = data.draw(disguised(core))
    before = listener.accepted
    r = query(server, text)
    assert r.status_code < 500, (text, r.text)
    time.sleep(0.05)
    assert listener.accepted == before, text


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_no_disguised_write_leaves_the_grant(
    server: str, store: Path, listener: Listener, narrow: str, uploads: str, data: st.DataObject
) -> None:
    ns = graph_ns(store)
    forbidden = data.draw(
        st.sampled_from(
            [
                "DROP ALL",
                "CLEAR GRAPH <{ns}curated>",
                "INSERT DATA {{ GRAPH <{ns}curated> {{ <http://a> <http://b> 1 }} }}",
                "PREFIX g: <{ns}> DELETE WHERE {{ GRAPH g:ontology {{ ?s ?p ?o }} }}",
                "LOAD <{url}> INTO GRAPH <{uploads}>",
                "MOVE <{ns}shapes> TO <{uploads}>",
                "INSERT DATA {{ <http://a> <http://b> 2 }}",
            ]
        )
    ).format(ns=ns, url=listener.url, uploads=uploads)
    allowed = f"INSERT DATA {{ GRAPH <{uploads}> {{ <http://ok> <http://ok> 1 }} }}"
    order = data.draw(st.booleans())
    core = f"{forbidden} ;\n{allowed}" if order else f"{allowed} ;\n{forbidden}"
    text = data.draw(disguised(core))
    before, accepted = snapshot(store, keep=uploads), listener.accepted
    r = update(server, text, narrow)
    assert r.status_code < 500, (text, r.text)
    time.sleep(0.05)
    assert listener.accepted == accepted, text
    assert snapshot(store, keep=uploads) == before, text


# -- spreadsheets from strangers -------------------------------------------------------------------


def test_a_sheet_declaring_a_huge_range_is_read_within_bounds(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from core import workbooks

    wb = Workbook()
    ws = wb.active
    ws["A1"] = "name"
    ws["A2"] = "Riot clean-up"
    ws["XFD1048576"] = "x"  # the far corner: openpyxl would pad every row to 16,384 cells
    path = tmp_path / "huge.xlsx"
    wb.save(path)
    assert path.stat().st_size < 10_000
    started = time.monotonic()
    book = workbooks.open_workbook(path.read_bytes(), workbooks.UPLOAD, data_only=False)
    with pytest.raises(workbooks.TooLarge, match="rows"):
        for row in workbooks.rows(book.worksheets[0], workbooks.UPLOAD):
            assert len(row) == 1  # only as wide as the header
    assert time.monotonic() - started < 20


def test_a_zip_bomb_is_refused_before_it_is_opened() -> None:
    import io
    import zipfile

    from core import workbooks

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<" + b"a" * (80 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(workbooks.TooLarge, match="unpacks"):
        workbooks.open_workbook(buffer.getvalue(), workbooks.UPLOAD, data_only=False)


# -- one generation per request ---------------------------------------------------------------


def test_a_pinned_request_reads_one_generation_while_a_writer_publishes(tmp_path: Path) -> None:
    from core.config import Settings
    from core.store import KiemenStore

    kstore = KiemenStore(Settings.from_env(store_path=tmp_path / "store"))
    a, b = ox.NamedNode("http://a"), ox.NamedNode("http://b")
    with kstore.writing() as gen:
        gen.store.add(ox.Quad(a, b, ox.Literal("old")))
    with kstore.one_generation():
        first = kstore.current_generation()
        with kstore.writing() as gen:  # builds on the published generation, not on the pin
            gen.store.add(ox.Quad(a, b, ox.Literal("new")))
        assert kstore.current_generation() == first
        assert len(list(kstore.reader().quads_for_pattern(a, b, None))) == 1
    assert kstore.current_generation() != first
    assert len(list(kstore.reader().quads_for_pattern(a, b, None))) == 2


def test_pages_never_fail_while_writes_publish(server: str, store: Path, uploads: str) -> None:
    token = make_token(store, server + "/", uploads)
    first = f"INSERT DATA {{ GRAPH <{uploads}> {{ <http://w/0> <http://w/p> 0 }} }}"
    assert update(server, first, token).status_code == 204  # a write builds the indexes
    assert requests.get(server + "/browse", timeout=60).status_code == 200
    failures: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            for path in ("/browse", "/api/initiatives", "/browse?form=crowdsourcing"):
                r = requests.get(server + path, timeout=60)
                if r.status_code >= 500:
                    failures.append(f"{path}: {r.status_code}")

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for i in range(1, 5):
            text = f"INSERT DATA {{ GRAPH <{uploads}> {{ <http://w/{i}> <http://w/p> {i} }} }}"
            assert update(server, text, token).status_code == 204
    finally:
        done.set()
        for t in readers:
            t.join(60)
    assert not failures, failures


# -- a full disk is the machine's problem -------------------------------------------------------


def test_a_full_disk_is_an_environment_error_with_exit_2(tmp_path: Path) -> None:
    import os
    import subprocess

    from conftest import REPO, kiemen_cmd, kiemen_env

    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0 or os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    try:
        big = tmp_path / "big.nt"
        with big.open("w") as fh:
            for i in range(120_000):
                fh.write(f'<http://e/{i}> <http://e/p> "value number {i} of many" .\n')
        out = subprocess.run(
            [*kiemen_cmd(), "load", str(big)],
            env=kiemen_env(mount / "store", "http://127.0.0.1:5000/"),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert out.returncode == 2, out.stderr[-2000:]
        assert "not valid RDF" not in out.stderr
        assert "space" in out.stderr.lower() or "store" in out.stderr.lower(), out.stderr
    finally:
        subprocess.run(["umount", str(mount)], check=False)
