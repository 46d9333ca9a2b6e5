"""The publishing template: its tables and columns, reading them from CSV or Excel, their rules.

One specification (:data:`TABLES`) drives everything a publisher sees: the CSV and Excel
template files in ``data/templates/``, the column documentation at ``/publish/template`` and
in ``data/templates/README.md``, and the checks an upload meets before its rows are turned
into RDF (by the tabular engine with ``data/templates/template.mapping.toml``, see
:mod:`publishing.mapped`) and checked against the project's SHACL shapes. Files are read by the
tabular engine's reader (:mod:`loaders.table_files`); the header and cell rules are the
template's own. Every problem names the file, the
row (as the spreadsheet numbers it: the header is row 1), the column and what is wrong, as a
text key with its values (:mod:`core.messages`) that the portal and the CLI word in Dutch or
English. The tables' and columns' documentation are text keys too
(``template.column.initiatives.name_nl``).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

from core import dates, workbooks
from core.messages import Messages, Text, msg
from core.sparql.text import valid_iri
from loaders.table_files import Record, TableFile, Unreadable
from loaders.tabular import concept_key, concept_keys
from publishing.publishers import PublisherError, check_code

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Separators between several values in one cell.
MULTI = re.compile(r"\s*[;|]\s*")
MAX_NAME = 300
MAX_TEXT = 5000
#: Sheets of the Excel template that hold documentation, not data.
HELP_SHEETS = {"toelichting", "help", "codes", "readme", "lees mij", "uitleg", "waarden", "values"}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    kind: str  # id | name | text | concepts | code | url | date | ref
    doc: Text  # what the column holds, for the documentation and the template files
    example: str = ""
    scheme: tuple[str, ...] = ()  # concept schemes for kind "concepts"
    ref: str = ""  # table referred to, for kind "ref"


@dataclass(frozen=True)
class Table:
    name: str
    aliases: tuple[str, ...]
    doc: Text
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


DATES_DOC = msg("template.doc.dates")
MULTI_DOC = msg("template.doc.multi")

#: The tables and their columns; every text is a catalogue key (``template.table.<table>``,
#: ``template.column.<table>.<column>``), worded where it is shown.
TABLES: dict[str, Table] = {
    "initiatives": Table(
        "initiatives",
        ("initiatieven", "initiatief", "initiative"),
        msg("template.table.initiatives"),
        (
            Column("id", True, "id", msg("template.column.initiatives.id"), "INI-2024-001"),
            Column(
                "name_nl",
                True,
                "name",
                msg("template.column.initiatives.name_nl"),
                "Buurtmoestuin De Kweekbak",
            ),
            Column(
                "name_en",
                False,
                "name",
                msg("template.column.initiatives.name_en"),
                "De Kweekbak community garden",
            ),
            Column(
                "description_nl",
                True,
                "text",
                msg("template.column.initiatives.description_nl"),
                "Bewoners beheren samen een moestuin op een braakliggend terrein.",
            ),
            Column(
                "description_en",
                True,
                "text",
                msg("template.column.initiatives.description_en"),
                "Residents jointly run a vegetable garden on a vacant lot.",
            ),
            Column(
                "form",
                True,
                "concepts",
                msg("template.column.initiatives.form", multi=MULTI_DOC),
                "civic-initiative",
                scheme=("form",),
            ),
            Column(
                "theme",
                False,
                "concepts",
                msg("template.column.initiatives.theme", multi=MULTI_DOC),
                "food; liveability-and-neighbourhood",
                scheme=("theme",),
            ),
            Column(
                "municipality_code",
                False,
                "code",
                msg("template.column.initiatives.municipality_code"),
                "GM0344",
            ),
            Column(
                "homepage",
                False,
                "url",
                msg("template.column.initiatives.homepage"),
                "https://www.example.org/kweekbak",
            ),
            Column(
                "start_date",
                False,
                "date",
                msg("template.column.initiatives.start_date", dates=DATES_DOC),
                "2021-04",
            ),
            Column(
                "end_date",
                False,
                "date",
                msg("template.column.initiatives.end_date", dates=DATES_DOC),
                "",
            ),
        ),
    ),
    "actors": Table(
        "actors",
        ("actoren", "actor", "organisaties", "organisations", "organizations"),
        msg("template.table.actors"),
        (
            Column("id", True, "id", msg("template.column.actors.id"), "ORG-001"),
            Column(
                "name_nl",
                True,
                "name",
                msg("template.column.actors.name_nl"),
                "Stichting De Kweekbak",
            ),
            Column("name_en", False, "name", msg("template.column.actors.name_en"), ""),
            Column(
                "actor_type",
                True,
                "concepts",
                msg("template.column.actors.actor_type", multi=MULTI_DOC),
                "foundation",
                scheme=("actor-type",),
            ),
            Column("homepage", False, "url", msg("template.column.actors.homepage"), ""),
            Column(
                "municipality_code",
                False,
                "code",
                msg("template.column.actors.municipality_code"),
                "",
            ),
            Column(
                "description_nl", False, "text", msg("template.column.actors.description_nl"), ""
            ),
            Column(
                "description_en", False, "text", msg("template.column.actors.description_en"), ""
            ),
        ),
    ),
    "roles": Table(
        "roles",
        ("rollen", "rol", "role", "betrokkenheid", "involvements"),
        msg("template.table.roles"),
        (
            Column(
                "initiative_id",
                True,
                "ref",
                msg("template.column.roles.initiative_id"),
                "INI-2024-001",
                ref="initiatives",
            ),
            Column(
                "actor_id",
                True,
                "ref",
                msg("template.column.roles.actor_id"),
                "ORG-001",
                ref="actors",
            ),
            Column(
                "role",
                True,
                "concepts",
                msg("template.column.roles.role", multi=MULTI_DOC),
                "initiator",
                scheme=("role", "government-role", "ecosystem-role"),
            ),
            Column(
                "start_date",
                False,
                "date",
                msg("template.column.roles.start_date", dates=DATES_DOC),
                "",
            ),
            Column(
                "end_date",
                False,
                "date",
                msg("template.column.roles.end_date", dates=DATES_DOC),
                "",
            ),
            Column("comment_nl", False, "text", msg("template.column.roles.comment_nl"), ""),
            Column("comment_en", False, "text", msg("template.column.roles.comment_en"), ""),
        ),
    ),
}


def table_for_name(name: str) -> str | None:
    """The table a file or sheet name stands for (``initiatieven.csv`` → initiatives)."""
    stem = Path(name).name.lower()
    for suffix in (".csv", ".txt", ".tsv", ".xlsx"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    stem = re.sub(r"[^a-z]+", " ", stem).strip()
    for key, table in TABLES.items():
        for word in (key, *table.aliases):
            if stem == word or stem.split(" ")[-1] == word or stem.split(" ")[0] == word:
                return key
    return None


# -------------------------------------------------------------------------------------------------
# problems


@dataclass
class Issue:
    """One problem of an upload, as a text key with its values, located as precisely as
    possible."""

    severity: str  # error | warning
    text: Text
    file: str = ""
    table: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    rule: str = ""
    focus: str = ""
    path: str = ""
    component: str = ""

    def as_json(self, messages: Messages) -> dict[str, Any]:
        """The issue for the JSON API: ``message`` in English, ``message_nl`` in Dutch."""
        out: dict[str, Any] = {
            "severity": self.severity,
            "message": messages.render(self.text, "en"),
            "message_nl": messages.render(self.text, "nl"),
            "file": self.file,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "focus": self.focus,
        }
        return {k: v for k, v in out.items() if v not in ("", None)}


def error(text: Text, **where: Any) -> Issue:
    return Issue("error", text, **where)


# -------------------------------------------------------------------------------------------------
# reading files


@dataclass
class UploadFile:
    name: str
    data: bytes
    table: str | None = None  # when the sender named the table (form field, ?table=)

    @property
    def is_xlsx(self) -> bool:
        return self.data[:4] == b"PK\x03\x04" or self.name.lower().endswith((".xlsx", ".xlsm"))


@dataclass
class Row:
    table: str
    file: str
    number: int  # as the spreadsheet numbers it: the header is row 1
    values: dict[str, str]


@dataclass
class Parsed:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    #: Tables whose structure (header, encoding) is broken: none of their rows can be published.
    broken: set[str] = field(default_factory=set)
    files: list[dict[str, Any]] = field(default_factory=list)


_FORMULA = re.compile(r"^\s*[=@]|^\s*[+\-].*[(|!]|^[\t\r]")


def looks_like_formula(value: str) -> bool:
    """Spreadsheet formulas and DDE payloads (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``)."""
    return bool(_FORMULA.search(value)) if value else False


def read_uploads(files: Iterable[UploadFile], max_bytes: int) -> Parsed:
    """Read every uploaded file into rows per table; file-level problems make a table broken."""
    parsed = Parsed()
    files = list(files)
    total = sum(len(f.data) for f in files)
    if total > max_bytes:
        parsed.issues.append(
            error(
                msg("upload.error.too_large", total=total, limit=max_bytes),
                rule="size",
            )
        )
        parsed.broken.update(TABLES)
        return parsed
    if not files:
        parsed.issues.append(
            error(msg("upload.error.no_file"), rule="file"),
        )
        return parsed
    for f in files:
        parsed.files.append(
            {"name": f.name, "bytes": len(f.data), "sha256": hashlib.sha256(f.data).hexdigest()}
        )
        if f.is_xlsx:
            _read_xlsx(f, parsed)
        else:
            _read_csv(f, parsed)
    if "initiatives" not in parsed.rows and "initiatives" not in parsed.broken:
        parsed.issues.append(
            error(
                msg("upload.error.no_initiatives"),
                table="initiatives",
                rule="table",
            )
        )
        parsed.broken.add("initiatives")
    return parsed


def _encoding_issue(f: UploadFile) -> Issue:
    data = f.data
    hint: Text | str = ""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        hint = msg("upload.hint.utf16")
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            hint = msg("upload.hint.bad_byte", line=line)
    return error(
        msg("upload.error.not_utf8", file=f.name, hint=hint),
        file=f.name,
        rule="encoding",
    )


def _read_csv(f: UploadFile, parsed: Parsed) -> None:
    table = f.table or table_for_name(f.name)
    if table is None:
        parsed.issues.append(_unknown_table(f.name))
        return
    reading = TableFile(f.data, fmt="csv", strict=True, bounds=workbooks.UPLOAD)
    try:
        records = [r.cells for r in reading.records()]
    except Unreadable as exc:
        if exc.rule in ("encoding", "nul"):
            parsed.issues.append(_encoding_issue(f))
        else:
            parsed.issues.append(
                error(
                    msg("upload.error.csv", file=f.name, problem=exc.detail),
                    file=f.name,
                    table=table,
                    rule="csv",
                )
            )
        parsed.broken.add(table)
        return
    _take_rows(table, f.name, records, parsed, lambda _r, _c: False)


def _too_large(f: UploadFile, problem: str) -> Issue:
    return error(
        msg("upload.error.file_too_large", file=f.name, problem=problem),
        file=f.name,
        rule="size",
    )


def _read_xlsx(f: UploadFile, parsed: Parsed) -> None:
    reading = TableFile(f.data, fmt="xlsx", bounds=workbooks.UPLOAD)
    try:
        for title, records in reading.sheets():
            _read_sheet(f, title, records, parsed)
    except Unreadable as exc:  # the workbook as a whole cannot be read
        if exc.rule == "size":
            parsed.issues.append(_too_large(f, exc.detail))
        else:
            parsed.issues.append(
                error(
                    msg("upload.error.excel", file=f.name, problem=exc.detail),
                    file=f.name,
                    rule="excel",
                )
            )
        parsed.broken.update(TABLES)


def _read_sheet(f: UploadFile, title: str, records: Iterator[Record], parsed: Parsed) -> None:
    if title.strip().lower() in HELP_SHEETS:
        return
    table = table_for_name(title)
    where = f"{f.name} [{title}]"
    if table is None:
        parsed.issues.append(_unknown_table(where, sheet=True))
        return
    formulas: set[tuple[int, int]] = set()
    cells: list[list[str]] = []
    try:
        for record in records:
            formulas.update((record.number, c) for c in record.formulas)
            cells.append(record.cells)
    except Unreadable as exc:
        parsed.issues.append(_too_large(f, exc.detail))
        parsed.broken.add(table)
        return
    _take_rows(table, where, cells, parsed, _member(formulas))


def _member(cells: set[tuple[int, int]]) -> Callable[[int, int], bool]:
    def test(r: int, c: int) -> bool:
        return (r, c) in cells

    return test


def _unknown_table(name: str, sheet: bool = False) -> Issue:
    if sheet:
        return error(msg("upload.error.unknown_sheet", name=name), file=name, rule="table")
    return error(msg("upload.error.unknown_file", name=name), file=name, rule="table")


def _take_rows(
    table: str,
    where: str,
    records: list[list[str]],
    parsed: Parsed,
    is_formula: Callable[[int, int], bool],
) -> None:
    spec = TABLES[table]
    if table in parsed.rows:
        parsed.issues.append(
            error(
                msg("upload.error.table_twice", table=table, where=where),
                file=where,
                table=table,
                rule="table",
            )
        )
        parsed.broken.add(table)
        return
    while records and not any(v.strip() for v in records[0]):
        records.pop(0)
    if not records:
        parsed.issues.append(
            error(
                msg("upload.error.empty", where=where),
                file=where,
                table=table,
                rule="header",
            )
        )
        parsed.broken.add(table)
        return
    header = [h.strip().lower() for h in records[0]]
    while header and not header[-1]:
        header.pop()
    problems = _header_problems(spec, header, where)
    parsed.issues.extend(problems)
    if problems:
        parsed.broken.add(table)
    rows: list[Row] = []
    for number, raw in enumerate(records[1:], start=2):
        if not any(v.strip() for v in raw):
            continue
        values: dict[str, str] = {}
        for c, name in enumerate(header):
            value = raw[c].strip() if c < len(raw) else ""
            if not name:
                continue
            if is_formula(number, c) or looks_like_formula(value):
                parsed.issues.append(
                    error(
                        msg("upload.error.formula", formula=repr(value[:40])),
                        file=where,
                        table=table,
                        row=number,
                        column=name,
                        rule="formula",
                    )
                )
                values[name] = "\x00formula"
                continue
            values[name] = value
        extra = [v for v in raw[len(header) :] if v.strip()]
        if extra:
            parsed.issues.append(
                error(
                    msg("upload.error.extra_values", n=len(extra)),
                    file=where,
                    table=table,
                    row=number,
                    rule="columns",
                )
            )
            values["\x00extra"] = "1"
        rows.append(Row(table, where, number, values))
    parsed.rows[table] = rows


def _header_problems(spec: Table, header: list[str], where: str) -> list[Issue]:
    issues: list[Issue] = []
    known = spec.column_names
    seen: set[str] = set()
    for name in header:
        if not name:
            issues.append(
                error(
                    msg("upload.error.unnamed_column"),
                    file=where,
                    table=spec.name,
                    row=1,
                    rule="header",
                )
            )
            continue
        if name in seen:
            issues.append(
                error(
                    msg("upload.error.column_twice", column=name),
                    file=where,
                    table=spec.name,
                    row=1,
                    column=name,
                    rule="header",
                )
            )
        seen.add(name)
        if name not in known:
            guess = process.extractOne(name, known, scorer=fuzz.ratio, score_cutoff=60)
            hint = msg("upload.hint.did_you_mean", guess=guess[0]) if guess else ""
            issues.append(
                error(
                    msg(
                        "upload.error.unknown_column",
                        column=name,
                        table=spec.name,
                        known=known,
                        hint=hint,
                    ),
                    file=where,
                    table=spec.name,
                    row=1,
                    column=name,
                    rule="extra column",
                )
            )
    for col in spec.columns:
        if col.required and col.name not in seen:
            issues.append(
                error(
                    msg("upload.error.missing_column", column=col.name),
                    file=where,
                    table=spec.name,
                    row=1,
                    column=col.name,
                    rule="missing column",
                )
            )
    return issues


# -------------------------------------------------------------------------------------------------
# the rules of each cell


@dataclass(frozen=True)
class Concept:
    iri: str
    slug: str
    scheme: str
    labels: tuple[str, ...]
    label_nl: str = ""
    label_en: str = ""


class Vocabulary:
    """Concepts of the schemes the template uses, found by the keys the tabular engine finds
    them by (:func:`loaders.tabular.concept_keys`), so a cell the template accepts maps alike."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.by_scheme: dict[str, dict[str, Concept]] = {}
        for c in concepts:
            keys = self.by_scheme.setdefault(c.scheme, {})
            for key in concept_keys(c.iri, c.scheme, c.labels):
                keys.setdefault(key, c)

    def find(self, schemes: tuple[str, ...], value: str) -> Concept | None:
        key = concept_key(value)
        for scheme in schemes:
            found = self.by_scheme.get(scheme, {}).get(key)
            if found is not None:
                return found
        return None

    def slugs(self, schemes: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for scheme in schemes:
            out += sorted({c.slug for c in self.by_scheme.get(scheme, {}).values()})
        return out

    def guess(self, schemes: tuple[str, ...], value: str) -> str | None:
        keys: list[str] = []
        for scheme in schemes:
            keys += list(self.by_scheme.get(scheme, {}))
        found = process.extractOne(concept_key(value), keys, scorer=fuzz.WRatio, score_cutoff=75)
        if not found:
            return None
        concept = self.find(schemes, found[0])
        return concept.slug if concept else None


@dataclass
class CheckedRow:
    row: Row
    ok: bool
    values: dict[str, Any]  # cleaned: str, list[Concept], tuple for dates, Body for codes


def check_rows(
    parsed: Parsed,
    vocabulary: Vocabulary,
    own_code: str,
    known: dict[str, set[str]] | None = None,
) -> dict[str, list[CheckedRow]]:
    """Apply the column rules to every row; problems go to ``parsed.issues``.

    ``known``: identifiers per table that the published dataset keeps whatever the upload
    holds (an ``add`` upload), which roles may refer to as well.
    """
    out: dict[str, list[CheckedRow]] = {}
    for name in ("initiatives", "actors", "roles"):
        rows = parsed.rows.get(name, [])
        checked = [_check_row(r, vocabulary, own_code, parsed.issues) for r in rows]
        _unique(name, checked, parsed.issues)
        out[name] = checked
    ids = {
        table: {r.values.get("id") for r in out[table]} | (known or {}).get(table, set())
        for table in ("initiatives", "actors")
    }
    for c in out["roles"]:
        for col_name, table in (("initiative_id", "initiatives"), ("actor_id", "actors")):
            ref = c.values.get(col_name)
            if not ref:
                continue
            if ref not in ids[table]:
                c.ok = False
                parsed.issues.append(
                    error(
                        msg("upload.error.no_initiative", ref=ref, table=table)
                        if table == "initiatives"
                        else msg("upload.error.no_actor", ref=ref, table=table),
                        file=c.row.file,
                        table="roles",
                        row=c.row.number,
                        column=col_name,
                        value=ref,
                        rule="reference",
                    )
                )
    return out


def _unique(table: str, checked: list[CheckedRow], issues: list[Issue]) -> None:
    seen: dict[str, int] = {}
    for c in checked:
        if table == "roles":
            key = f"{c.values.get('initiative_id')}--{c.values.get('actor_id')}"
            if not c.values.get("initiative_id") or not c.values.get("actor_id"):
                continue
        else:
            key = c.values.get("id") or ""
            if not key:
                continue
        if key in seen:
            c.ok = False
            if table == "roles":
                text = msg("upload.error.pair_twice", row=seen[key])
                column = "actor_id"
            else:
                text = msg("upload.error.id_twice", id=key, row=seen[key])
                column = "id"
            issues.append(
                error(
                    text,
                    file=c.row.file,
                    table=table,
                    row=c.row.number,
                    column=column,
                    value=key,
                    rule="duplicate",
                )
            )
        else:
            seen[key] = c.row.number


class _Bad(Exception):
    """A cell breaks its column's rule: the text saying so, the value shown, the rule's name."""

    def __init__(self, text: Text, value: str, rule: str = "") -> None:
        super().__init__(str(text))
        self.text, self.value, self.rule = text, value, rule


@dataclass
class _Cell:
    """One non-empty cell, what its column expects, and the value lists to check it against."""

    raw: str
    col: Column
    vocabulary: Vocabulary
    #: problems that do not stop the other values of the cell from being read (value lists)
    problems: list[_Bad] = field(default_factory=list)


def _identifier(c: _Cell) -> str:
    if not ID_PATTERN.match(c.raw):
        raise _Bad(msg("upload.error.identifier", value=repr(c.raw)), c.raw)
    return c.raw


def _text(c: _Cell) -> str:
    limit = MAX_NAME if c.col.kind == "name" else MAX_TEXT
    if len(c.raw) > limit:
        raise _Bad(msg("upload.error.too_long", limit=limit), c.raw)
    return " ".join(c.raw.split()) if c.col.kind == "name" else c.raw


def _concepts(c: _Cell) -> list[Any] | None:
    found = []
    for part in [p for p in MULTI.split(c.raw) if p]:
        concept = c.vocabulary.find(c.col.scheme, part)
        if concept is not None:
            found.append(concept)
            continue
        guess = c.vocabulary.guess(c.col.scheme, part)
        hint = msg("upload.hint.did_you_mean", guess=guess) if guess else ""
        c.problems.append(
            _Bad(
                msg("upload.error.unknown_value", value=repr(part), column=c.col.name, hint=hint),
                part,
                rule="value list",
            )
        )
    return found or None


def _code(c: _Cell) -> Any:
    try:
        return check_code(c.raw)
    except PublisherError as exc:
        raise _Bad(exc.text, c.raw, rule="municipality code") from exc


def _url(c: _Cell) -> str:
    parts = urlsplit(c.raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or not valid_iri(c.raw):
        raise _Bad(msg("upload.error.url", value=repr(c.raw)), c.raw)
    return c.raw


def _date(c: _Cell) -> str:
    parsed = parse_date(c.raw)
    if parsed is None:
        raise _Bad(msg("upload.error.date", value=repr(c.raw)), c.raw)
    return parsed


#: One small checker per kind of column: the value to keep (None: keep nothing), or _Bad.
CELL_CHECKS: dict[str, Callable[[_Cell], Any]] = {
    "id": _identifier,
    "ref": _identifier,
    "name": _text,
    "text": _text,
    "concepts": _concepts,
    "code": _code,
    "url": _url,
    "date": _date,
}


def _check_row(row: Row, vocabulary: Vocabulary, own_code: str, issues: list[Issue]) -> CheckedRow:
    spec = TABLES[row.table]
    ok = "\x00extra" not in row.values
    values: dict[str, Any] = {}

    def fail(col: Column, bad: _Bad) -> None:
        nonlocal ok
        ok = False
        issues.append(
            error(
                bad.text,
                file=row.file,
                table=row.table,
                row=row.number,
                column=col.name,
                value=bad.value[:200],
                rule=bad.rule or col.kind,
            )
        )

    for col in spec.columns:
        raw = row.values.get(col.name, "")
        if raw == "\x00formula":
            ok = False
            continue
        if not raw:
            if col.required and col.name not in row.values:
                ok = False  # the missing column is reported once, for the header
            elif col.required:
                fail(
                    col,
                    _Bad(msg("upload.error.required", column=col.name), "", rule="required"),
                )
            continue
        cell = _Cell(raw, col, vocabulary)
        try:
            value = CELL_CHECKS[col.kind](cell)
        except _Bad as bad:
            fail(col, bad)
            continue
        for problem in cell.problems:
            fail(col, problem)
        if value is not None:
            values[col.name] = value
    _check_period(row, spec, values, fail)
    if row.table == "initiatives" and "municipality_code" not in values:
        with contextlib.suppress(PublisherError):
            values["municipality_code"] = check_code(own_code, allow_former=True)
    return CheckedRow(row, ok, values)


def _check_period(
    row: Row, spec: Any, values: dict[str, Any], fail: Callable[[Column, _Bad], None]
) -> None:
    """An end date may not lie before the start date."""
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end[: len(start)] < start[: len(end)]:
        end_col = spec.column("end_date")
        assert end_col is not None
        fail(
            end_col,
            _Bad(msg("upload.error.period", start=start, end=end), end, rule="period"),
        )


def parse_date(text: str) -> str | None:
    """An ISO or Dutch date (see :mod:`core.dates`) as its XSD lexical form, else None."""
    try:
        return dates.parse_date(text)
    except dates.DateError:
        return None
