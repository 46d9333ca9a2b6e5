"""W3C conformance: every test of the SPARQL 1.1 protocol and graph store protocol manifests,
read from the manifests themselves and run against a real ``kiemen serve`` on 127.0.0.1.

The manifests (``../shared/external/w3c-sparql11-tests``) describe each
test as a sequence of HTTP requests with the expected status, boolean, result format, response
media type and (for the graph store) the graph the response must be isomorphic to. The runner
sends each request as written, changing only the path prefix (``/sparql/`` → ``/sparql``,
``/gsp`` → ``/store``) and adding the bearer token of a client allowed to write the test graphs:
queries and updates go to the same endpoint, updates and graph-store writes authenticated.

The server's store is empty (no bundled graphs), because the update tests ``CLEAR ALL`` and
``DROP ALL``: on the real store those are refused, since the bundled graphs are never writable.
The older ``http-rdf-update`` manifest is read too; its tests are marked deprecated by the W3C
(superseded by ``graph-store-protocol``) and their requests live only in prose, so they are
reported as skipped with that reason. A summary (pass/fail per test) is printed at the end.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib import RDF, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from sparql_helpers import kiemen_server, make_token

HERE = Path(__file__).resolve().parent
#: Read where ../shared keeps them; reference files are never copied into the project.
SUITE = HERE.parent.parent / "shared" / "external" / "w3c-sparql11-tests"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
RDFS = rdflib.RDFS

NAMED_STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404, "BadRequest": 400}
RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


@dataclass
class Expect:
    statuses: list[str] = field(default_factory=list)
    boolean: bool | None = None
    fmt: str | None = None
    content_type: str | None = None
    body: str | None = None
    location_var: str | None = None


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expect: Expect


@dataclass
class W3CTest:
    manifest: str
    name: str
    label: str
    requests: list[Request]
    graph_data: list[tuple[Path, str]]
    deprecated: bool = False

    @property
    def id(self) -> str:
        return f"{self.manifest}:{self.name}"


def _list(g: rdflib.Graph, node: rdflib.term.Node | None) -> list[rdflib.term.Node]:
    return list(Collection(g, node)) if node is not None else []


def _read_request(g: rdflib.Graph, node: rdflib.term.Node) -> Request:
    headers = {}
    for h in _list(g, g.value(node, HT.headers)):
        headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
    body = None
    body_node = g.value(node, HT.body)
    if body_node is not None:
        encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(body_node, CNT.chars)).encode(encoding)
    resp = g.value(node, HT.resp)
    expect = Expect()
    if resp is not None:
        expect.statuses = [str(s) for s in g.objects(resp, MF.expectedStatus)]
        b = g.value(resp, MF.expectedBoolean)
        expect.boolean = None if b is None else str(b).lower() == "true"
        f = g.value(resp, MF.expectedFormat)
        expect.fmt = None if f is None else str(f)
        for h in _list(g, g.value(resp, HT.headers)):
            if str(g.value(h, HT.fieldName)).lower() == "content-type":
                expect.content_type = str(g.value(h, HT.fieldValue))
        rb = g.value(resp, HT.body)
        if rb is not None:
            expect.body = str(g.value(rb, CNT.chars))
        loc = g.value(resp, MF.expectedLocation)
        expect.location_var = None if loc is None else str(loc)
    return Request(
        method=str(g.value(node, HT.methodName)),
        path=str(g.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        expect=expect,
    )


def read_manifest(path: Path) -> Iterator[W3CTest]:
    g = rdflib.Graph()
    g.parse(path, format="turtle", publicID=path.as_uri())
    manifest = g.value(predicate=RDF.type, object=MF.Manifest)
    for include in _list(g, g.value(manifest, MF.include)):
        yield from read_manifest(Path(urllib.parse.urlparse(str(include)).path))
    label = path.parent.name + ("" if path.stem == "manifest" else "/" + path.stem)
    for entry in _list(g, g.value(manifest, MF.entries)):
        name = str(entry).rsplit("#", 1)[-1]
        deprecated = (entry, DAWGT.approval, DAWGT.Deprecated) in g
        action = g.value(entry, MF.action)
        reqs = []
        if action is not None:
            reqs = [_read_request(g, r) for r in _list(g, g.value(action, HT.requests))]
        data = []
        for gd in g.objects(entry, UT.graphData):
            file_iri = g.value(gd, UT.graph)
            data.append(
                (Path(urllib.parse.urlparse(str(file_iri)).path), str(g.value(gd, RDFS.label)))
            )
        yield W3CTest(label, name, str(g.value(entry, MF.name)), reqs, data, deprecated)


def all_tests() -> list[W3CTest]:
    tests: list[W3CTest] = []
    for rel in (
        "protocol/manifest.ttl",
        "graph-store-protocol/manifest.ttl",
        "http-rdf-update/manifest.ttl",
    ):
        tests += list(read_manifest(SUITE / rel))
    return tests


TESTS = all_tests()
RESULTS: dict[str, str] = {}


def _status_ok(status: int, expected: list[str]) -> bool:
    if not expected:
        return True
    for iri in expected:
        name = iri.rsplit("#", 1)[-1]
        m = re.fullmatch(r"StatusCode(\d)xx", name)
        if m and status // 100 == int(m.group(1)):
            return True
        if NAMED_STATUS.get(name) == status:
            return True
    return False


def _boolean(response: requests.Response) -> bool | None:
    media = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media in ("application/sparql-results+json", "application/json"):
        value = json.loads(response.text).get("boolean")
        return None if value is None else bool(value)
    if media in ("application/sparql-results+xml", "application/xml"):
        m = re.search(r"<boolean>\s*(true|false)\s*</boolean>", response.text)
        return None if m is None else m.group(1) == "true"
    return None


class Runner:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.http = requests.Session()

    def url(self, path: str) -> str:
        if path.startswith("/sparql/"):
            path = "/sparql" + path[len("/sparql/") :]
        elif path.startswith("/gsp"):
            path = "/store" + path[len("/gsp") :]
        return self.base + path

    def reset(self) -> None:
        """Drop every graph but Kiemen's provenance graph (which records each write and which
        no token may change, so ``DROP ALL`` is refused once a write has been recorded)."""
        r = self.http.post(
            self.base + "/sparql",
            data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        graphs = [b["g"]["value"] for b in r.json()["results"]["bindings"]]
        drops = ["DROP SILENT DEFAULT"]
        drops += [f"DROP GRAPH <{g}>" for g in graphs if not g.endswith("/graph/meta")]
        r = self.http.post(
            self.base + "/sparql",
            data={"update": " ;\n".join(drops)},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert r.status_code == 204, r.text

    def load(self, data: list[tuple[Path, str]]) -> None:
        for path, graph in data:
            r = self.http.put(
                self.base + "/store",
                params={"graph": graph},
                data=path.read_bytes(),
                headers={
                    "Content-Type": "application/n-triples",
                    "Authorization": f"Bearer {self.token}",
                },
                timeout=30,
            )
            assert r.status_code in (201, 204), r.text

    def run(self, test: W3CTest) -> list[str]:
        """Run a test's requests in order; return what went wrong (empty: pass)."""
        self.reset()
        self.load(test.graph_data)
        problems: list[str] = []
        variables: dict[str, str] = {}
        for i, req in enumerate(test.requests, 1):
            path, body = req.path, req.body
            for var, value in variables.items():
                path = path.replace(var, value)
                if body is not None:
                    body = body.replace(var.encode(), value.encode())
            headers = dict(req.headers)
            headers["Authorization"] = f"Bearer {self.token}"
            response = self.http.request(
                req.method,
                self.url(path),
                data=body,
                headers=headers,
                timeout=60,
                allow_redirects=False,
            )
            where = f"request {i} ({req.method} {req.path[:60]})"
            exp = req.expect
            if not _status_ok(response.status_code, exp.statuses):
                problems.append(
                    f"{where}: status {response.status_code}, expected "
                    + "/".join(s.rsplit("#", 1)[-1] for s in exp.statuses)
                    + f"; body {response.text[:200]!r}"
                )
                continue
            media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if exp.fmt == "boolean" or exp.boolean is not None:
                answer = _boolean(response)
                if answer is None:
                    problems.append(f"{where}: no boolean result in {media}")
                elif exp.boolean is not None and answer != exp.boolean:
                    problems.append(f"{where}: boolean {answer}, expected {exp.boolean}")
            if exp.fmt == "tabular" and media not in RESULT_TYPES:
                problems.append(f"{where}: {media} is not a tabular result format")
            if exp.fmt == "RDF" and media not in RDF_TYPES:
                problems.append(f"{where}: {media} is not an RDF format")
            if exp.content_type:
                wanted = exp.content_type.split(";")[0].strip().lower()
                if media != wanted:
                    problems.append(f"{where}: content type {media}, expected {wanted}")
            if exp.body is not None and req.method != "HEAD":
                expected = rdflib.Graph().parse(data=exp.body, format="turtle")
                try:
                    actual = rdflib.Graph().parse(
                        data=response.text, format=RDF_TYPES.get(media, "turtle")
                    )
                except Exception as exc:
                    problems.append(f"{where}: response is not parseable RDF: {exc}")
                else:
                    if not isomorphic(expected, actual):
                        problems.append(
                            f"{where}: graph differs from the expected one:\n{response.text}"
                        )
            if exp.location_var:
                location = response.headers.get("Location")
                if not location:
                    problems.append(f"{where}: no Location header")
                else:
                    variables[exp.location_var] = location
        return problems


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    store = tmp_path_factory.mktemp("w3c") / "store"
    with kiemen_server(store) as base:
        token = make_token(
            store,
            base + "/",
            "http://kasei.us/*",
            "http://example.org/*",
            "http://www.example/*",
            "default",
            base + "/store/*",
        )
        yield Runner(base, token)


@pytest.mark.slow
@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c(test: W3CTest, runner: Runner) -> None:
    if test.deprecated:
        RESULTS[test.id] = "skip (deprecated by the W3C)"
        pytest.skip("deprecated by the W3C in favour of the graph-store-protocol manifests")
    problems = runner.run(test)
    RESULTS[test.id] = "pass" if not problems else "FAIL"
    assert not problems, f"{test.label}\n" + "\n".join(problems)


def test_manifests_are_complete() -> None:
    """The copy holds every manifest entry: 34 protocol tests, 13 graph store tests (9 indirect,
    4 direct; the direct manifest defines a fifth test that its entry list leaves out)."""
    by_manifest: dict[str, int] = {}
    for t in TESTS:
        if not t.deprecated:
            by_manifest[t.manifest.split("/")[0]] = by_manifest.get(t.manifest.split("/")[0], 0) + 1
    assert by_manifest == {"protocol": 34, "graph-store-protocol": 13}
    assert (SUITE / "LICENSE.md").exists() and (SUITE / "SOURCE-COMMIT").exists()


def pytest_terminal_summary_lines() -> list[str]:
    return [f"{result:6}  {name}" for name, result in RESULTS.items()]


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if RESULTS:
        passed = sum(1 for r in RESULTS.values() if r == "pass")
        failed = sum(1 for r in RESULTS.values() if r == "FAIL")
        lines = pytest_terminal_summary_lines()
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")
            reporter.write_line("W3C SPARQL 1.1 protocol / graph store protocol:")
            for line in lines:
                reporter.write_line("  " + line)
            reporter.write_line(f"  {passed} passed, {failed} failed (W3C tests)")


def test_the_protocol_data_loads_with_kiemen_load_graph_iri(tmp_path: Path) -> None:
    """The W3C data files load with ``kiemen load FILE --graph IRI`` into exactly that graph.

    (The manifest tests themselves put their data through the Graph Store: a graph that
    ``kiemen load`` filled is protected from HTTP writes, and those tests update their data.)
    """
    import subprocess

    from conftest import REPO, kiemen_cmd, kiemen_env

    store = tmp_path / "store"
    files = sorted((SUITE / "protocol").glob("data*.nt"))
    assert len(files) == 3
    for i, path in enumerate(files, 1):
        graph = f"http://kiemen.test/w3c/data{i}.rdf"
        done = subprocess.run(
            [*kiemen_cmd(), "load", str(path), "--graph", graph],
            env=kiemen_env(store, "https://w3id.org/kiemen/"),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    with kiemen_server(store) as server:
        for i, path in enumerate(files, 1):
            graph = f"http://kiemen.test/w3c/data{i}.rdf"
            answer = requests.get(
                server + "/store",
                params={"graph": graph},
                headers={"Accept": "application/n-triples"},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            got = rdflib.Graph().parse(data=answer.text, format="nt")
            want = rdflib.Graph().parse(path, format="nt")
            assert isomorphic(got, want), graph
