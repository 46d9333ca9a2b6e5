"""Loaders: every kind of source into its own graph, validated, atomic, with provenance.

Real parts throughout: an on-disk store per test, the real shapes, pyshacl as the reference
engine, a real ``oxigraph serve`` for harvesting, real malformed files.
"""

from __future__ import annotations

import csv
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import REPO, free_port, kiemen_cmd, kiemen_env

import loaders
from core.store import KiemenStore
from loaders import LoadError, Problem, Source, bundled_sources, load

DATA = REPO / "tests" / "data"
TABLE = DATA / "tabular" / "buurtinitiatieven.csv"
MAPPING = DATA / "tabular" / "buurtinitiatieven.mapping.toml"
PARTICIPEDIA = DATA / "participedia"
XSD = "http://www.w3.org/2001/XMLSchema#"


def snapshot(kstore: KiemenStore) -> set[str]:
    return {str(q) for q in kstore.reader().quads_for_pattern(None, None, None, None)}


def graph(kstore: KiemenStore, name: str) -> ox.NamedNode:
    return ox.NamedNode(kstore.settings.graph_ns + name)


def failing(kstore: KiemenStore, sources: list[Source], **kw: Any) -> list[Problem]:
    """Load, expect a LoadError, check the store did not change; return the problems."""
    before, gen = snapshot(kstore), kstore.generation_id()
    with pytest.raises(LoadError) as info:
        load(kstore, sources, **kw)
    assert kstore.generation_id() == gen
    assert snapshot(kstore) == before
    return info.value.problems


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


# ---------------------------------------------------------------------------------------------
# validation: the streaming engine against pyshacl


def _answers(kstore: KiemenStore, sources: list[Source], engine: str) -> set[tuple[Any, ...]]:
    original = loaders.store_checker
    if engine == "pyshacl":
        loaders.store_checker = lambda *a, **k: None  # type: ignore[assignment]
    try:
        try:
            problems = load(kstore, sources, dry_run=True).problems
        except LoadError as exc:
            problems = exc.problems
    finally:
        loaders.store_checker = original  # type: ignore[assignment]
    return {(p.severity, p.focus, p.rule.split(" / ")[0], p.message) for p in problems}


def test_streaming_engine_agrees_with_pyshacl_on_bad_data(store: KiemenStore) -> None:
    sources = [Source(str(DATA / "invalid" / "kiemen-errors.ttl"))]
    stream = _answers(store, sources, "streaming")
    reference = _answers(store, sources, "pyshacl")
    assert stream == reference
    rules = {r for _s, _f, r, _m in stream}
    # One of each kind the file breaks: languages, dates, classes, schemes, counts, ranges.
    for rule in (
        "Name in English",
        "One name per language",
        "Exactly one longitude",
        "Latitude is a decimal between -90 and 90",
        "Country code format",
        "Actor is a km:Actor",
    ):
        assert any(rule.lower() in r.lower() for r in rules), (rule, rules)


def test_streaming_engine_agrees_with_pyshacl_on_bundled_and_imported_data(
    store: KiemenStore,
) -> None:
    sources = [*bundled_sources(), Source(str(PARTICIPEDIA)), Source(str(TABLE))]
    assert _answers(store, sources, "streaming") == _answers(store, sources, "pyshacl")


def test_problems_name_file_line_rule_and_focus(store: KiemenStore) -> None:
    problems = errors(failing(store, [Source(str(DATA / "invalid" / "kiemen-errors.ttl"))]))
    dates = [
        p
        for p in problems
        if p.focus and p.focus.endswith("initiative/no-english") and "date" in p.rule.lower()
    ]
    assert dates and dates[0].line == 21 and dates[0].source.endswith("kiemen-errors.ttl")
    assert all(p.rule and p.message for p in problems)


def test_graph_is_replaced_not_merged_and_dry_run_writes_nothing(store: KiemenStore) -> None:
    report = load(store, [Source(str(TABLE), mapping=MAPPING)], dry_run=True)
    assert report.graphs[0].triples > 100
    assert not list(store.reader().quads_for_pattern(None, None, None, graph(store, "tables/t")))
    load(store, [Source(str(TABLE), graph="tables/t", mapping=MAPPING)])
    n = len(list(store.reader().quads_for_pattern(None, None, None, graph(store, "tables/t"))))
    load(store, [Source(str(TABLE), graph="tables/t", mapping=MAPPING)])
    assert n == len(
        list(store.reader().quads_for_pattern(None, None, None, graph(store, "tables/t")))
    )


# ---------------------------------------------------------------------------------------------
# provenance


def test_every_load_records_provenance(store: KiemenStore) -> None:
    load(store, [Source(str(TABLE), graph="tables/buurt", mapping=MAPPING)])
    r = store.reader()
    meta = graph(store, "meta")
    g = graph(store, "tables/buurt")

    def values(s: Any, p: str) -> list[Any]:
        return [q.object for q in r.quads_for_pattern(s, ox.NamedNode(p), None, meta)]

    prov, dct, dcat = (
        "http://www.w3.org/ns/prov#",
        "http://purl.org/dc/terms/",
        "http://www.w3.org/ns/dcat#",
    )
    assert ox.NamedNode(dcat + "Dataset") in values(
        g, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    )
    assert [v.value for v in values(g, dct + "source")] == [str(TABLE)]
    triples = int(values(g, "http://rdfs.org/ns/void#triples")[0].value)
    assert triples == len(list(r.quads_for_pattern(None, None, None, g)))
    assert values(g, store.settings.def_ns + "validationConforms")[0].value == "true"
    assert values(g, dct + "modified")
    activity = values(g, prov + "wasGeneratedBy")[0]
    assert values(activity, prov + "startedAtTime") and values(activity, prov + "endedAtTime")
    software = values(activity, prov + "wasAssociatedWith")[0]
    assert values(software, "http://usefulinc.com/ns/doap#revision")
    used = values(g, prov + "wasDerivedFrom")
    digests = set()
    for u in used:
        for checksum in values(u, "http://spdx.org/rdf/terms#checksum"):
            digests |= {
                v.value for v in values(checksum, "http://spdx.org/rdf/terms#checksumValue")
            }
    from loaders.base import sha256_file

    assert sha256_file(TABLE) in digests and sha256_file(MAPPING) in digests


# ---------------------------------------------------------------------------------------------
# tables with a mapping


def test_table_with_mapping_loads_onto_the_ontology(store: KiemenStore) -> None:
    report = load(store, [Source(str(TABLE), mapping=MAPPING)])
    assert report.graphs[0].graph.endswith("graph/tables/buurtinitiatieven")
    r = store.reader()
    ini = ox.NamedNode("http://kiemen.test/id/initiative/buurt-repair-cafe-lombok")
    forms = [
        q.object.value
        for q in r.quads_for_pattern(
            ini, ox.NamedNode("http://kiemen.test/def/statedForm"), None, None
        )
    ]
    assert forms == ["http://kiemen.test/def/form/civic-initiative"]
    start = [
        q.object
        for q in r.quads_for_pattern(ini, ox.NamedNode("https://schema.org/startDate"), None, None)
    ]
    assert start == [ox.Literal("2014-03-12", datatype=ox.NamedNode(XSD + "date"))]
    place = ox.NamedNode("http://kiemen.test/id/place/buurt-utrecht")
    lat = [
        q.object.value
        for q in r.quads_for_pattern(
            place, ox.NamedNode("http://www.w3.org/2003/01/geo/wgs84_pos#lat"), None, None
        )
    ]
    assert lat == ["52.0907"]


def test_excel_table_loads_with_the_same_mapping(store: KiemenStore, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    with open(TABLE, encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter=";"):
            ws.append(row)
    xlsx = tmp_path / "buurtinitiatieven.xlsx"
    wb.save(xlsx)
    report = load(store, [Source(str(xlsx), mapping=MAPPING)])
    csv_report = load(store, [Source(str(TABLE), mapping=MAPPING)], dry_run=True)
    assert report.graphs[0].triples == csv_report.graphs[0].triples


def _table(tmp_path: Path, text: str | bytes, name: str = "t.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _rows(extra: list[str] | None = None, header: str | None = None) -> str:
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    if header is not None:
        lines[0] = header
    return "\n".join(lines[:3] + (extra or [])) + "\n"


GOOD_ROW = TABLE.read_text(encoding="utf-8").splitlines()[1]


@pytest.mark.parametrize(
    ("case", "rule", "row", "column"),
    [
        ("bad date", "date", 4, "start"),
        ("impossible date", "date", 4, "start"),
        ("broken IRI", "IRI", 4, "website"),
        ("unknown concept", "concept", 4, "vorm"),
        ("bad number", "decimal", 4, "lat"),
        ("missing required", "required", 4, "naam"),
        ("cells per row", "cells per row", 4, None),
    ],
)
def test_bad_rows_are_located_and_change_nothing(
    store: KiemenStore, tmp_path: Path, case: str, rule: str, row: int, column: str | None
) -> None:
    cells = GOOD_ROW.split(";")
    header = TABLE.read_text(encoding="utf-8").splitlines()[0].split(";")

    def put(col: str, value: str) -> str:
        c = list(cells)
        c[header.index(col)] = value
        return ";".join(c).replace("Repair Café Lombok", "Ander initiatief")

    bad = {
        "bad date": put("start", "31/02/2014"),
        "impossible date": put("start", "2014-02-31"),
        "broken IRI": put("website", "http://bad host/x"),
        "unknown concept": put("vorm", "tovenarij"),
        "bad number": put("lat", "52,09,07"),
        "missing required": put("naam", ""),
        "cells per row": GOOD_ROW + ";extra",
    }[case]
    path = _table(tmp_path, _rows([bad]))
    problems = errors(failing(store, [Source(str(path), mapping=MAPPING)]))
    p = problems[0]
    assert p.source == str(path) and p.rule == rule and p.row == row, p
    assert p.field == column, p
    assert "Traceback" not in str(p)


def test_missing_columns_are_named(store: KiemenStore, tmp_path: Path) -> None:
    header = TABLE.read_text(encoding="utf-8").splitlines()[0].replace("omschrijving", "tekst")
    path = _table(tmp_path, _rows(header=header))
    problems = errors(failing(store, [Source(str(path), mapping=MAPPING)]))
    assert [(p.rule, p.row, p.field) for p in problems] == [("column exists", 1, "omschrijving")]


def test_wrong_encoding_names_line_and_column(store: KiemenStore, tmp_path: Path) -> None:
    text = _rows().replace("Repair Café", "Repair Caf\u00e9")
    path = _table(tmp_path, text.encode("latin-1"))
    p = errors(failing(store, [Source(str(path), mapping=MAPPING)]))[0]
    assert p.rule == "encoding" and p.line == 2 and p.column == len("1;Repair Caf") + 1
    assert "UTF-8" in p.message


@pytest.mark.parametrize(
    ("content", "rule"),
    [(b"", "not empty"), (b"id;naam\n", "not empty"), (b"\n\n", "header")],
)
def test_empty_tables_are_clear_errors(
    store: KiemenStore, tmp_path: Path, content: bytes, rule: str
) -> None:
    path = _table(tmp_path, content)
    problems = errors(failing(store, [Source(str(path), mapping=MAPPING)]))
    assert problems[0].rule in (rule, "column exists"), problems


def test_huge_cell_is_a_problem_not_a_crash(store: KiemenStore, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_rows())
        fh.write('6;"never closed;' + "x" * (2 << 20) + "\n")
    p = errors(failing(store, [Source(str(path), mapping=MAPPING)]))[0]
    assert p.rule == "cell size" and p.line is not None


def test_mapping_mistakes_name_the_mapping(store: KiemenStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[things]]\nname = "x"\niri = "nope:{id}"\nclass = "km:Initiative"\n'
        'values = [{ property = "skos:prefLabel", column = "naam", '
        'datatype = "colour" }]\n'
    )
    p = errors(failing(store, [Source(str(TABLE), mapping=bad)]))[0]
    assert p.source == str(bad) and p.rule == "mapping" and "colour" in p.message
    broken = tmp_path / "broken.toml"
    broken.write_text("[[things]\n")
    p = errors(failing(store, [Source(str(TABLE), mapping=broken)]))[0]
    assert p.source == str(broken) and p.line == 1


def test_shapes_problems_in_a_table_point_at_the_row(store: KiemenStore, tmp_path: Path) -> None:
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace(";52,1561;5,3878;", ";52,2000;5,3878;")  # Amersfoort twice
    path = _table(tmp_path, "\n".join(lines) + "\n")
    problems = errors(failing(store, [Source(str(path), mapping=MAPPING)]))
    lat = [p for p in problems if "latitude" in p.message.lower()]
    assert lat and lat[0].row in (3, 5) and lat[0].focus.endswith("place/buurt-amersfoort")


# ---------------------------------------------------------------------------------------------
# RDF files


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("iri.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:b <http://bad iri> .\n", 2),
        # The checking thread parses N-Triples leniently; the bulk loader still refuses these.
        (
            "iri.nt",
            "<http://e.org/a> <http://e.org/b> <http://e.org/c> .\n<http://e.org/a> "
            "<http://e.org/b> <http://bad iri> .\n",
            2,
        ),
        ("relative.nt", "<http://e.org/a> <http://e.org/b> <c> .\n", 1),
        (
            "utf8.nt",
            b'<http://e.org/a> <http://e.org/b> "ok" .\n<http://e.org/a> <http://e.org/b> '
            b'"\xff" .\n',
            2,
        ),
        (
            "trunc.nq",
            "<http://e.org/a> <http://e.org/b> <http://e.org/c> <http://e.org/g> .\n"
            "<http://e.org/a> <http://e.org/b>",
            2,
        ),
    ],
)
def test_malformed_rdf_names_the_line(
    store: KiemenStore, tmp_path: Path, name: str, content: str | bytes, line: int
) -> None:
    path = _table(tmp_path, content, name)
    p = errors(failing(store, [Source(str(path))]))[0]
    assert p.source == str(path) and p.line == line and p.rule == "RDF syntax", p


def test_canonical_iris_in_user_files_are_rebased(store: KiemenStore, tmp_path: Path) -> None:
    path = _table(
        tmp_path,
        (
            "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
            "<https://w3id.org/kiemen/def/theme/tuinieren> a skos:Concept ;\n"
            '  skos:prefLabel "tuinieren"@nl, "gardening"@en ;\n'
            '  skos:definition "Samen tuinieren."@nl, "Gardening together."@en ;\n'
            "  skos:inScheme <https://w3id.org/kiemen/def/theme> .\n"
        ),
        "theme.ttl",
    )
    load(store, [Source(str(path))])
    r = store.reader()
    assert list(
        r.quads_for_pattern(
            ox.NamedNode("http://kiemen.test/def/theme/tuinieren"), None, None, None
        )
    )


# ---------------------------------------------------------------------------------------------
# SPARQL endpoints


@pytest.fixture()
def oxigraph_server(tmp_path: Path) -> Any:
    """A real Oxigraph server on 127.0.0.1 holding a few dozen triples about initiatives."""
    data = tmp_path / "remote.ttl"
    lines = [
        "@prefix km: <http://kiemen.test/def/> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
    ]
    for i in range(12):
        lines.append(
            f"<http://kiemen.test/def/theme/remote-{i}> a skos:Concept ; "
            f'skos:prefLabel "thema {i}"@nl , "theme {i}"@en ; '
            f'skos:definition "Thema {i}."@nl , "Theme {i}."@en ; '
            "skos:inScheme <http://kiemen.test/def/theme> ."
        )
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    location = tmp_path / "remote"
    binary = str(REPO / ".venv" / "bin" / "oxigraph")
    subprocess.run(
        [binary, "load", "--location", str(location), "--file", str(data)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/query"
    proc.terminate()
    proc.wait(timeout=10)


def test_harvest_pages_through_a_real_endpoint(store: KiemenStore, oxigraph_server: str) -> None:
    source = Source(oxigraph_server, graph="harvest/remote", options={"page_size": 7})
    report = load(store, [source])
    assert report.graphs[0].loader == "sparql"
    assert report.graphs[0].triples == 12 * 6
    r = store.reader()
    g = graph(store, "harvest/remote")
    assert len(list(r.quads_for_pattern(None, None, None, g))) == 72
    notes = [
        q.object.value
        for q in r.quads_for_pattern(
            None,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
            None,
            graph(store, "meta"),
        )
    ]
    assert any("page(s)" in n for n in notes)


def test_harvest_with_a_query_file_through_the_command(
    store: KiemenStore, oxigraph_server: str, tmp_path: Path
) -> None:
    query = tmp_path / "q.rq"
    query.write_text(
        "# only three themes\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
        "FILTER(STRENDS(STR(?s), '-1') || STRENDS(STR(?s), '-2') || "
        "STRENDS(STR(?s), '-3')) } ORDER BY ?s ?p ?o\n"
    )
    result = subprocess.run(
        [*kiemen_cmd(), "load", oxigraph_server, "--mapping", str(query), "--graph", "h"],
        env=kiemen_env(Path(store.settings.store_path), store.settings.base_uri),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "loaded 18 triples" in result.stdout


def test_unreachable_and_silent_endpoints_fail_cleanly(store: KiemenStore) -> None:
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    p = errors(failing(store, [Source(dead, options={"retries": 1})]))[0]
    assert p.rule == "endpoint" and "cannot reach" in p.message and "2 tries" in p.message
    # A server that accepts the connection and never answers: the time limit applies.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        started = time.monotonic()
        p = errors(failing(store, [Source(url, options={"retries": 1, "timeout": 1})]))[0]
        assert "within 1 s" in p.message and time.monotonic() - started < 30
    finally:
        stop.set()
        thread.join()
        listener.close()
        for c in held:
            c.close()


# ---------------------------------------------------------------------------------------------
# the command


def test_load_command_picks_the_loader_and_dry_run(store: KiemenStore) -> None:
    env = kiemen_env(Path(store.settings.store_path), store.settings.base_uri)
    before = store.generation_id()
    result = subprocess.run(
        [*kiemen_cmd(), "load", str(TABLE), "--mapping", str(MAPPING), "--dry-run"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "would load" in result.stdout and "nothing was written" in result.stdout
    assert KiemenStore(store.settings).generation_id() == before
    result = subprocess.run(
        [*kiemen_cmd(), "load", str(TABLE)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr  # the mapping beside the table is found
    bad = subprocess.run(
        [*kiemen_cmd(), "load", str(REPO / "README.md")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 1 and "no loader reads" in bad.stderr
    assert "Traceback" not in bad.stderr
