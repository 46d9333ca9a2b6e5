"""Bad uploads and foreign tokens, against a running server: each gets a clear report and
changes nothing (the published generation and every quad of the store stay as they were).

The store starts with Utrecht's example published once, so "nothing changed" also means the
publisher's earlier version is still there. One publisher's token cannot touch another's graph,
nor the curated data, through any of the ways in: the publishing API, the web form, the Graph
Store Protocol and SPARQL Update.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib
import requests
from openpyxl import Workbook
from publishing_helpers import Server, example_files, example_text, publishing_server

pytestmark = pytest.mark.slow

CODE = "GM0344"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
CSVW = rdflib.Namespace("http://www.w3.org/ns/csvw#")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("publishing-inputs")
    with publishing_server(tmp, {CODE: (), "GM0599": ()}) as srv:
        first = requests.post(
            f"{srv.url}/publish/api/{CODE}/versions",
            files=example_files(),
            headers=srv.auth(CODE),
            timeout=120,
        )
        assert first.status_code == 201, first.text
        yield srv


@pytest.fixture()
def unchanged(server: Server) -> Iterator[None]:
    """Asserts, after the test, that the store is exactly as it was before it."""
    before = server.state()
    versions = _versions(server)
    yield
    assert server.state() == before, "a refused upload changed the store"
    assert _versions(server) == versions


def _versions(server: Server) -> list[int]:
    rows = requests.get(f"{server.url}/publish/api/{CODE}/versions", timeout=30).json()["rows"]
    return [r["number"] for r in rows]


def _replace(table: str, old: str, new: str) -> bytes:
    text = example_text(table)
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def _header(table: str, change: Callable[[list[str]], list[str]]) -> bytes:
    """The example table with its columns changed (cells follow their column's name)."""
    rows = list(csv.reader(io.StringIO(example_text(table))))
    header, body = rows[0], rows[1:]
    new = change(list(header))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(new)
    renamed = dict(zip(new, header, strict=False)) if len(new) == len(header) else {}
    for row in body:
        cells = dict(zip(header, row, strict=True))
        writer.writerow([cells.get(renamed.get(col, col), "1000") for col in new])
    return buf.getvalue().encode("utf-8")


def _formula_workbook() -> bytes:
    """The example initiatives as a workbook whose name cell is a real formula."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "initiatives"
    for row in csv.reader(io.StringIO(example_text("initiatives"))):
        ws.append(row)
    ws["B2"] = '=CONCATENATE("Buurt","tuin")'
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


BAD_INPUTS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "wrong encoding",
        {"initiatives": example_text("initiatives").encode("cp1252")},
        {"rule": "encoding", "file": "initiatives.csv", "message": "is not UTF-8"},
    ),
    (
        "missing column",
        {"initiatives": _header("initiatives", lambda h: [c for c in h if c != "description_en"])},
        {"rule": "missing column", "column": "description_en", "row": 1},
    ),
    (
        "extra column",
        {"initiatives": _header("initiatives", lambda h: [*h, "budget"])},
        {"rule": "extra column", "column": "budget", "message": "unknown column budget"},
    ),
    (
        "misspelt column",
        {
            "initiatives": _header(
                "initiatives", lambda h: [c.replace("homepage", "homepag") for c in h]
            )
        },
        {"rule": "extra column", "column": "homepag", "message": "did you mean homepage?"},
    ),
    (
        "impossible date",
        {"initiatives": _replace("initiatives", "2021-04", "2021-13")},
        {"rule": "date", "row": 2, "column": "start_date", "message": "not a date"},
    ),
    (
        "a date that does not exist, in Dutch order",
        {"initiatives": _replace("initiatives", "2023-02-01", "30-02-2023")},
        {"rule": "date", "row": 4, "column": "start_date", "value": "30-02-2023"},
    ),
    (
        "end before start",
        {"roles": _replace("roles", "2023,2023", "2023,2022")},
        {"rule": "period", "table": "roles", "row": 6, "column": "end_date"},
    ),
    (
        "unknown municipality code",
        {"initiatives": _replace("initiatives", "GM0344", "GM9999")},
        {"rule": "municipality code", "row": 2, "message": "GM9999 is not in Kiemen's list"},
    ),
    (
        "former municipality code",
        {"initiatives": _replace("initiatives", "GM0344", "GM0017")},
        {"rule": "municipality code", "message": "merged into GM0014 (Groningen)"},
    ),
    (
        "malformed municipality code",
        {"actors": _replace("actors", "GM0344", "0344")},
        {"rule": "municipality code", "table": "actors", "message": "is not a CBS code"},
    ),
    (
        "DDE formula",
        {"initiatives": _replace("initiatives", "Buurtmoestuin De Kweekbak", "=cmd|' /C calc'!A0")},
        {"rule": "formula", "row": 2, "column": "name_nl", "message": "spreadsheet formula"},
    ),
    (
        "HYPERLINK formula",
        {
            "initiatives": _replace(
                "initiatives",
                "https://www.example.org/kweekbak",
                '"=HYPERLINK(""http://evil.example/?"",""klik"")"',
            )
        },
        {"rule": "formula", "row": 2, "column": "homepage"},
    ),
    (
        "formula cell in Excel",
        {"workbook": _formula_workbook()},
        {"rule": "formula", "row": 2, "column": "name_nl", "file": "upload.xlsx [initiatives]"},
    ),
    (
        "duplicate identifier",
        {"initiatives": _replace("initiatives", "UTR-2022-003", "UTR-2021-014")},
        {"rule": "duplicate", "row": 3, "column": "id", "message": "already used in row 2"},
    ),
    (
        "unknown collaboration form",
        {"initiatives": _replace("initiatives", "civic-initiative", "civic-initiatve")},
        {"rule": "value list", "column": "form", "message": "did you mean civic-initiative?"},
    ),
    (
        "role for an initiative that is not there",
        {"roles": _replace("roles", "UTR-2022-003", "UTR-1999-999")},
        {"rule": "reference", "table": "roles", "row": 4, "column": "initiative_id"},
    ),
    (
        "homepage that is not a web address",
        {
            "initiatives": _replace(
                "initiatives", "https://www.example.org/kweekbak", "www.kweekbak"
            )
        },
        {"rule": "url", "column": "homepage", "message": "starting with https://"},
    ),
    (
        "no table of initiatives",
        {"only_actors": True},
        {"rule": "table", "message": "no table of initiatives"},
    ),
]


def _files(spec: dict[str, Any]) -> Any:
    if "workbook" in spec:
        return {"file": ("upload.xlsx", io.BytesIO(spec["workbook"]), "application/octet-stream")}
    if spec.get("only_actors"):
        return {"actors": ("actors.csv", io.BytesIO(example_text("actors").encode()), "text/csv")}
    return example_files(**spec)


@pytest.mark.parametrize(("case", "spec", "expected"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_a_clear_report_and_changes_nothing(
    server: Server, unchanged: None, case: str, spec: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = requests.post(
        f"{server.url}/publish/api/{CODE}/versions",
        files=_files(spec),
        headers=server.auth(CODE),
        timeout=120,
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["ok"] is False and body["published"] is False and body["status"] == 422
    assert "nothing was published" in body["error"]
    assert body["counts"]["errors"] >= 1
    message = expected.pop("message", None)
    matching = [
        issue
        for issue in body["rows"]
        if issue["severity"] == "error"
        and all(issue.get(k) == v for k, v in expected.items())
        and (message is None or message in issue["message"])
    ]
    assert matching, f"{case}: no error like {expected} / {message!r} in {body['rows']}"
    assert all(issue["message_nl"] and issue["message_nl"] != "" for issue in body["rows"])


def test_the_report_as_shacl_names_row_and_column(server: Server, unchanged: None) -> None:
    response = requests.post(
        f"{server.url}/publish/api/{CODE}/validate",
        files=example_files(initiatives=_replace("initiatives", "2021-04", "April 2021")),
        headers={**server.auth(CODE), "Accept": "text/turtle"},
        timeout=120,
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/turtle")
    report = rdflib.Graph().parse(data=response.text, format="turtle")
    root = next(report.subjects(rdflib.RDF.type, SH.ValidationReport))
    assert report.value(root, SH.conforms) == rdflib.Literal(False)
    results = list(report.objects(root, SH.result))
    hit = [
        r
        for r in results
        if report.value(r, CSVW.rownum) == rdflib.Literal(2)
        and str(report.value(r, CSVW.name)) == "start_date"
    ]
    assert hit, response.text
    result = hit[0]
    assert report.value(result, SH.resultSeverity) == SH.Violation
    assert report.value(result, SH.sourceConstraintComponent) is not None
    assert report.value(result, SH.focusNode) is not None
    langs = {m.language for m in report.objects(result, SH.resultMessage)}
    assert langs == {"en", "nl"}
    as_jsonld = requests.post(
        f"{server.url}/publish/api/{CODE}/validate",
        files=example_files(initiatives=_replace("initiatives", "2021-04", "April 2021")),
        headers={**server.auth(CODE), "Accept": "application/ld+json"},
        timeout=120,
    )
    assert as_jsonld.headers["Content-Type"].startswith("application/ld+json")
    parsed = rdflib.Graph().parse(data=as_jsonld.text, format="json-ld")
    assert (None, rdflib.RDF.type, SH.ValidationReport) in parsed


def _big_csv(path: Path, size: int) -> Path:
    header = example_text("initiatives").splitlines()[0] + "\n"
    row = "ID-{n:08d},Naam,,Beschrijving " + "x" * 900 + ",Description,civic-initiative,,,,,\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header)
        written, n = len(header), 0
        while written < size:
            line = row.format(n=n)
            fh.write(line)
            written += len(line)
            n += 1
    return path


def test_a_100_megabyte_file_is_refused_unread(
    server: Server, unchanged: None, tmp_path: Path
) -> None:
    big = _big_csv(tmp_path / "initiatives.csv", 100 * 1024 * 1024)
    assert big.stat().st_size >= 100 * 1024 * 1024
    with open(big, "rb") as fh:
        response = requests.post(
            f"{server.url}/publish/api/{CODE}/versions",
            files={"initiatives": ("initiatives.csv", fh, "text/csv")},
            headers=server.auth(CODE),
            timeout=600,
        )
    # `kiemen serve` stops reading a body this far over KIEMEN_MAX_BODY_BYTES (10 MB) before
    # the application sees it: 413, and the store is as it was
    assert response.status_code == 413, response.text[:500]
    assert "too large" in response.text.lower()


def test_a_file_over_the_limit_gets_a_report_and_an_audit_entry(
    server: Server, unchanged: None, tmp_path: Path
) -> None:
    big = _big_csv(tmp_path / "initiatives.csv", 11 * 1024 * 1024)
    with open(big, "rb") as fh:
        response = requests.post(
            f"{server.url}/publish/api/{CODE}/versions",
            files={"initiatives": ("initiatives.csv", fh, "text/csv")},
            headers=server.auth(CODE),
            timeout=600,
        )
    assert response.status_code == 413, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["ok"] is False and body["status"] == 413
    assert "larger than the limit" in body["error"] and "KIEMEN_MAX_BODY_BYTES" in body["error"]
    assert "groter dan de grens" in body["error_nl"]
    assert body["rows"][0]["rule"] == "size"
    audit = requests.get(
        f"{server.url}/publish/api/{CODE}/audit", headers=server.auth(CODE), timeout=30
    ).json()["rows"]
    assert audit[0]["outcome"] == "rejected" and "limit" in audit[0]["detail"]


def test_an_expired_token_is_refused(server: Server, unchanged: None) -> None:
    # Long enough for the command to start and the first upload to be checked on a busy machine.
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=15)).isoformat(timespec="seconds")
    out = server.cli("publisher", "token", CODE, "--expires", expires)
    token = out.stdout.strip().splitlines()[-1]
    fresh = requests.post(
        f"{server.url}/publish/api/{CODE}/validate",
        files=example_files(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    assert fresh.status_code == 200, "the token works until it expires"
    while dt.datetime.now(dt.UTC) < dt.datetime.fromisoformat(expires):
        time.sleep(0.25)
    time.sleep(0.5)
    for attempt in (
        lambda: requests.post(
            f"{server.url}/publish/api/{CODE}/versions",
            files=example_files(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        ),
        lambda: requests.put(
            f"{server.url}/store",
            params={"graph": server.graph(CODE)},
            data=b"<a> <b> <c> .",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"},
            timeout=60,
        ),
    ):
        response = attempt()
        assert response.status_code == 401, response.text
        assert "expired" in response.json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    page = requests.post(
        f"{server.url}/publish/upload?lang=nl",
        data={"token": token, "action": "publish"},
        files=[("files", ("initiatives.csv", io.BytesIO(example_text("initiatives").encode())))],
        timeout=120,
    )
    assert page.status_code == 401 and "verlopen" in page.text


def test_unknown_revoked_and_missing_tokens(server: Server, unchanged: None) -> None:
    url = f"{server.url}/publish/api/{CODE}/versions"
    missing = requests.post(url, files=example_files(), timeout=60)
    assert missing.status_code == 401 and "token" in missing.json()["error"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = requests.post(
        url, files=example_files(), headers={"Authorization": "Bearer kiemen_nope"}, timeout=60
    )
    assert unknown.status_code == 401 and "unknown or revoked" in unknown.json()["error"]
    out = server.cli("publisher", "token", CODE, "--note", "to be revoked")
    token = out.stdout.strip().splitlines()[-1]
    token_id = out.stderr.split("token ", 1)[1].split()[0]
    server.cli("token", "revoke", token_id)
    revoked = requests.post(
        url, files=example_files(), headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    assert revoked.status_code == 401
    # a token that is not a publisher's (made with `kiemen token create`) publishes nothing
    other = server.cli("token", "create", "--graph", "scratch").stdout.strip().splitlines()[-1]
    plain = requests.post(
        url, files=example_files(), headers={"Authorization": f"Bearer {other}"}, timeout=60
    )
    assert plain.status_code == 403 and "does not belong to a publisher" in plain.json()["error"]


def test_a_foreign_token_cannot_touch_another_publishers_data(
    server: Server, unchanged: None
) -> None:
    rotterdam = server.auth("GM0599")
    api = requests.post(
        f"{server.url}/publish/api/{CODE}/versions",
        files=example_files(),
        headers=rotterdam,
        timeout=60,
    )
    assert api.status_code == 403
    assert "belongs to GM0599" in api.json()["error"] and "GM0344" in api.json()["error"]
    rollback = requests.post(
        f"{server.url}/publish/api/{CODE}/rollback",
        params={"version": 1},
        headers=rotterdam,
        timeout=60,
    )
    assert rollback.status_code == 403
    turtle = (
        f"<{server.iri(CODE, 'initiative/X')}> <http://www.w3.org/2004/02/skos/core#prefLabel> "
        '"Overgenomen"@nl .'
    ).encode()
    for method in ("PUT", "POST", "DELETE"):
        gsp = requests.request(
            method,
            f"{server.url}/store",
            params={"graph": server.graph(CODE)},
            data=turtle,
            headers={**rotterdam, "Content-Type": "text/turtle"},
            timeout=60,
        )
        assert gsp.status_code == 403, (method, gsp.text)
    links = requests.put(
        f"{server.url}/store",
        params={"graph": server.graph(CODE, "links")},
        data=turtle,
        headers={**rotterdam, "Content-Type": "text/turtle"},
        timeout=60,
    )
    assert links.status_code == 403
    update = requests.post(
        f"{server.url}/sparql",
        data={
            "update": f"INSERT DATA {{ GRAPH <{server.graph(CODE)}> "
            "{ <urn:a> <urn:b> <urn:c> } }"
        },
        headers=rotterdam,
        timeout=60,
    )
    assert update.status_code == 403
    page = requests.post(
        f"{server.url}/publish/{CODE}/rollback",
        data={"token": server.tokens["GM0599"], "version": "1"},
        timeout=60,
    )
    assert page.status_code == 403


def test_a_publisher_cannot_touch_the_curated_data(server: Server, unchanged: None) -> None:
    mine = server.auth(CODE)
    curated = f"{server.base}graph/curated"
    gsp = requests.put(
        f"{server.url}/store",
        params={"graph": curated},
        data=b"<urn:a> <urn:b> <urn:c> .",
        headers={**mine, "Content-Type": "text/turtle"},
        timeout=60,
    )
    assert gsp.status_code == 403
    for graph in (curated, server.graph(CODE)):
        for body in (
            {"update": f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> <urn:c> }} }}"},
            {"update": f"DROP GRAPH <{graph}>"},
        ):
            update = requests.post(f"{server.url}/sparql", data=body, headers=mine, timeout=60)
            assert update.status_code == 403, update.text
    raw = requests.post(
        f"{server.url}/sparql",
        data=f"CLEAR GRAPH <{curated}>".encode(),
        headers={**mine, "Content-Type": "application/sparql-update"},
        timeout=60,
    )
    assert raw.status_code == 403
    # statements about the curated data, even inside the publisher's own graph, are refused
    urgenda = f"{server.base}id/initiative/urgenda"
    hijack = (
        f'<{urgenda}> <http://www.w3.org/2004/02/skos/core#prefLabel> "Gekaapt"@nl .'
    ).encode()
    own_graph = requests.put(
        f"{server.url}/store",
        params={"graph": server.graph(CODE)},
        data=hijack,
        headers={**mine, "Content-Type": "text/turtle"},
        timeout=120,
    )
    assert own_graph.status_code == 400
    assert "outside your namespace" in own_graph.json()["rows"][0]["message"]
    # a published dataset is not deleted through the Graph Store
    delete = requests.delete(
        f"{server.url}/store", params={"graph": server.graph(CODE)}, headers=mine, timeout=60
    )
    assert delete.status_code == 405 and "roll back" in delete.json()["error"]
    # reading stays open to everyone
    read = requests.get(
        f"{server.url}/store",
        params={"graph": server.graph(CODE)},
        headers={"Accept": "text/turtle"},
        timeout=60,
    )
    assert read.status_code == 200 and "Buurtmoestuin" in read.text
