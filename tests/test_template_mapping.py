"""The upload template as a bundled mapping run by the tabular engine: an upload gives the same
statements, records and problems as the template's own row-to-RDF code gave before
(``tests/data/template/before-engine.json``, captured from that code on the inputs below), its
files read through the engine's reader give the rows and problems the template's own reader
gave (``reading-before.json``), and ``kiemen load --mapping data/templates/template.mapping.toml
--param ...`` gives the statements an upload gives."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import REPO, kiemen_cmd, kiemen_env
from openpyxl import Workbook

from core.config import Settings
from core.messages import render
from core.store import KiemenStore
from loaders import bundled_sources, load
from loaders.tabular import read_mapping
from publishing.checks import shacl_check
from publishing.mapped import build_records, parameters
from publishing.publishers import Registry
from publishing.records import vocabulary
from publishing.template import TABLES, UploadFile, check_rows, read_uploads

BASE = "http://kiemen.test/"
EXAMPLE = REPO / "data" / "templates" / "example"
MAPPING = REPO / "data" / "templates" / "template.mapping.toml"
BEFORE = json.loads((REPO / "tests" / "data" / "template" / "before-engine.json").read_text())
READ_BEFORE = json.loads((REPO / "tests" / "data" / "template" / "reading-before.json").read_text())
TEXT = {t: (EXAMPLE / f"{t}.csv").read_text() for t in ("initiatives", "actors", "roles")}
YEAR = '"{YEAR}"^^<http://www.w3.org/2001/XMLSchema#gYear>'


def _files(**changed: str) -> list[UploadFile]:
    return [UploadFile(f"{t}.csv", changed.get(t, TEXT[t]).encode()) for t in TEXT]


#: The inputs the statements and problems were captured for (valid ones and invalid ones).
CASES: dict[str, list[UploadFile]] = {
    "example": _files(),
    "xlsx": [UploadFile("kiemen-example.xlsx", (EXAMPLE / "kiemen-example.xlsx").read_bytes())],
    "other-places": _files(
        initiatives=TEXT["initiatives"].replace("GM0344", "GM0153"),
        actors=TEXT["actors"].replace("GM0344", "GM0034", 1),
    ),
    "bad-date": _files(initiatives=TEXT["initiatives"].replace("2021-04", "2021-13", 1)),
    "bad-form": _files(
        initiatives=TEXT["initiatives"].replace("civic-initiative", "civic-initiatve", 1)
    ),
    "bad-ref": _files(roles=TEXT["roles"].replace("UTR-2022-003", "UTR-1999-999", 1)),
    "bad-code": _files(initiatives=TEXT["initiatives"].replace("GM0344", "GM9999", 1)),
    "dup-id": _files(initiatives=TEXT["initiatives"].replace("UTR-2022-003", "UTR-2021-014", 1)),
    "no-en-description": _files(
        initiatives=TEXT["initiatives"].replace(
            "Residents jointly run a vegetable garden on a vacant lot that the municipality "
            "lends them.",
            "",
            1,
        )
    ),
    "labels-and-spaces": _files(
        initiatives=TEXT["initiatives"]
        .replace("Buurtmoestuin De Kweekbak", "Buurtmoestuin   De  Kweekbak", 1)
        .replace("civic-initiative", "Burgerinitiatief", 1)
    ),
    "only-initiatives": [UploadFile("initiatives.csv", TEXT["initiatives"].encode())],
}


@pytest.fixture(scope="module")
def kstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KiemenStore]:
    settings = Settings(store_path=tmp_path_factory.mktemp("tmpl") / "store", base_uri=BASE)
    store = KiemenStore(settings)
    load(store, bundled_sources())
    Registry(settings).add(
        "GM0344", contact_name="Open data", contact_email="data@example.nl", licence="cc0-1.0"
    )
    yield store


def _outcome(kstore: KiemenStore, files: list[UploadFile]) -> dict[str, Any]:
    publisher = Registry(kstore.settings).get("GM0344")
    parsed = read_uploads(files, 10_000_000)
    checked = check_rows(parsed, vocabulary(kstore), "GM0344")
    build, extra = build_records(checked, publisher, kstore)
    issues = parsed.issues + extra + shacl_check(kstore, publisher, build, build.records)
    year = f'"{dt.date.today().year}"^^<http://www.w3.org/2001/XMLSchema#gYear>'
    return {
        "triples": sorted({f"{t} .".replace(year, YEAR) for t in build.triples()}),
        "records": [
            {
                "key": r.key,
                "kind": r.kind,
                "table": r.table,
                "file": r.file,
                "row": r.row,
                "ident": r.ident,
                "refs": sorted(r.refs),
                "labels": r.labels,
                "homepage": r.homepage,
                "codes": list(r.codes),
                "triples": len(r.triples),
            }
            for r in build.records
        ],
        "issues": [
            [
                *(i.severity, i.file, i.table, i.row, i.column, i.rule, i.value, i.focus),
                render(i.text, "en"),
                render(i.text, "nl"),
            ]
            for i in issues
        ],
        "ok": {t: [c.ok for c in cs] for t, cs in checked.items()},
    }


@pytest.mark.parametrize("case", list(CASES))
def test_the_engine_gives_what_the_template_gave(kstore: KiemenStore, case: str) -> None:
    assert _outcome(kstore, CASES[case]) == BEFORE[case]


def test_the_mapping_and_the_template_name_the_same_tables_and_columns() -> None:
    """The mapping reads every column of the template, and may miss those it does not require."""
    mapping = read_mapping(MAPPING)
    assert list(mapping.tables) == list(TABLES)
    for name, spec in TABLES.items():
        part = mapping.for_table(name)
        assert part.columns() == set(spec.column_names), name
        assert part.optional_columns() == {c.name for c in spec.columns if not c.required}, name
        assert mapping.files[name] == list(spec.aliases), name


def _kiemen(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*kiemen_cmd(), *args],
        env=kiemen_env(store, BASE),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_kiemen_load_with_the_bundled_mapping_gives_the_upload_statements(
    kstore: KiemenStore, tmp_path: Path, form: str
) -> None:
    """The three CSV files, or the workbook whose sheets are the tables (and a help sheet)."""
    store = tmp_path / "store"
    shutil.copytree(kstore.root, store, symlinks=True)
    publisher = Registry(kstore.settings).get("GM0344")
    params = [f"--param={k}={v}" for k, v in parameters(publisher).items()]
    files = (
        [str(EXAMPLE / f"{t}.csv") for t in TEXT]
        if form == "csv"
        else [str(EXAMPLE / "kiemen-example.xlsx")]
    )
    done = _kiemen(store, "load", *files, "--mapping", str(MAPPING), *params)
    assert done.returncode == 0, done.stderr
    reader = ox.Store.read_only(str(store / "current" / "oxigraph"))
    year = f'"{dt.date.today().year}"^^<http://www.w3.org/2001/XMLSchema#gYear>'
    loaded = sorted(
        {
            f"{ox.Triple(q.subject, q.predicate, q.object)} .".replace(year, YEAR)
            for q in reader.quads_for_pattern(None, None, None, None)
            if isinstance(q.graph_name, ox.NamedNode) and "/graph/tables/" in q.graph_name.value
        }
    )
    assert loaded == BEFORE["example"]["triples"]


def test_a_missing_parameter_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    done = _kiemen(
        tmp_path / "store",
        "load",
        str(EXAMPLE / "initiatives.csv"),
        "--mapping",
        str(MAPPING),
        "--param",
        "publisher=GM0344",
    )
    assert done.returncode == 2, done.stderr
    assert "name, agent, year" in done.stderr and "--param name=VALUE" in done.stderr
    unknown = _kiemen(
        tmp_path / "store", "load", "x.csv", "--mapping", str(MAPPING), "--param", "colour=red"
    )
    assert unknown.returncode == 2 and "no parameter colour" in unknown.stderr


def _workbook(sheets: list[tuple[str, str]], formula: tuple[str, str, str] | None = None) -> bytes:
    wb = Workbook()
    for i, (title, body) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet(title)
        assert ws is not None
        ws.title = title
        for row in csv.reader(io.StringIO(body)):
            ws.append(row)
    if formula is not None:
        wb[formula[0]][formula[1]] = formula[2]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _header(table: str, change: Any) -> bytes:
    rows = list(csv.reader(io.StringIO(TEXT[table])))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(change(rows[0]))
    writer.writerows(rows[1:])
    return buf.getvalue().encode()


def _one(name: str, data: bytes) -> list[UploadFile]:
    return [UploadFile(name, data)]


INI = TEXT["initiatives"]
#: Awkward files, read by the template before the one reader (rows, problems, broken tables).
READING: dict[str, list[UploadFile]] = {
    "cp1252": _one("initiatives.csv", INI.encode("cp1252")),
    "utf16": _one("initiatives.csv", INI.encode("utf-16")),
    "nul": _one("initiatives.csv", INI.replace("Kweekbak", "Kweek\x00bak", 1).encode()),
    "bad-quote": _one("initiatives.csv", INI.replace("UTR-2022-003", 'UTR"-2022', 1).encode()),
    "strict-quote": _one("initiatives.csv", (INI + 'UTR-8,"Naam"x,a\n').encode()),
    "empty": _one("initiatives.csv", b""),
    "blank-lines-first": _one("initiatives.csv", ("\n,,\n" + INI).encode()),
    "semicolons-bom": _one("initiatieven.csv", "\ufeff".encode() + INI.replace(",", ";").encode()),
    "missing-column": _one(
        "initiatives.csv", _header("initiatives", lambda h: [c for c in h if c != "description_en"])
    ),
    "dup-column": _one("initiatives.csv", _header("initiatives", lambda h: [*h[:-1], "name_nl"])),
    "extra-values": _one("initiatives.csv", INI.replace("\n", ",extra\n", 2).encode()),
    "short-row": _one("initiatives.csv", (INI + "UTR-9,Kort\r\n").encode()),
    "dde": _one(
        "initiatives.csv", INI.replace("Buurtmoestuin De Kweekbak", "=cmd|' /C calc'!A0").encode()
    ),
    "xlsx-example": _one("x.xlsx", (EXAMPLE / "kiemen-example.xlsx").read_bytes()),
    "xlsx-formula": _one(
        "upload.xlsx",
        _workbook([("initiatives", INI)], ("initiatives", "B2", '=CONCATENATE("a","b")')),
    ),
    "xlsx-sheets": _one(
        "upload.xlsx",
        _workbook(
            [
                ("Lees mij", "a,b\n"),
                ("budget", "x\n1\n"),
                ("initiatieven", INI),
                ("rollen", TEXT["roles"]),
            ]
        ),
    ),
    "xlsx-broken": _one("upload.xlsx", b"PK\x03\x04 not a zip"),
    "table-twice": [
        UploadFile("initiatives.csv", INI.encode()),
        UploadFile("initiatieven.csv", INI.encode()),
    ],
    "unknown-file": [
        UploadFile("budget.csv", b"a,b\n1,2\n"),
        UploadFile("initiatives.csv", INI.encode()),
    ],
}


@pytest.mark.parametrize("case", list(READING))
def test_the_one_reader_reads_uploads_as_the_template_did(case: str) -> None:
    parsed = read_uploads(READING[case], 10_000_000)
    files = parsed.files
    if case.startswith("xlsx-") and case != "xlsx-example":  # made here: new bytes each time
        files = [{"name": f["name"]} for f in files]
    assert {
        "issues": [
            [
                *(i.severity, i.file, i.table, i.row, i.column, i.rule, i.value),
                render(i.text, "en"),
                render(i.text, "nl"),
            ]
            for i in parsed.issues
        ],
        "rows": {
            t: [[r.file, r.number, [list(kv) for kv in sorted(r.values.items())]] for r in rows]
            for t, rows in parsed.rows.items()
        },
        "broken": sorted(parsed.broken),
        "files": files,
    } == READ_BEFORE[case]
