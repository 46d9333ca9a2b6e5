"""Tables (CSV and Excel) mapped onto the ontology by a declarative mapping file (TOML).

A mapping says which *things* each row describes (an initiative, its place, its organiser ...),
how each thing's IRI is made from the row, its classes, and which column gives which property —
with language, datatype, splitting of lists and translation of codes into Kiemen's concepts. It
is the same idea as RML (a subject map with a template and classes, predicate-object maps with
column references, templates and constants), written the way a data steward reads it; see
README, "Loading your own table", for why Kiemen reads its own compact form rather than running
an RML engine.

Rows are read one at a time (never the whole table in memory) and written as they are mapped.
Every problem names the file, the row (as a spreadsheet numbers it: the header is row 1) and the
column; a table with any such problem writes nothing. An Excel cell holding a formula is such a
problem: its cached value is not trusted (paste the cells as values).

One mapping file may describe several tables that refer to each other (``[tables.NAME]``, each
with its own ``[[tables.NAME.things]]``; a table file is matched by its name or one of the
table's ``files``): a value with ``ref = "TABLE.THING"`` turns a cell holding the other table's
key into the IRI of that table's thing, and a key the other table (the file beside this one,
or the sheet of the same workbook) does not hold is a problem of the row.

Values may also come from the caller (``[parameters]``, ``{$name}``: the publisher's code when
the upload template runs, ``--param`` on the command line), from the first filled of several
columns, from a default, or from the store (a place by its CBS code); the upload template is a
mapping of this kind (``data/templates/template.mapping.toml``). Files are read by
:mod:`loaders.table_files`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import pyoxigraph as ox
from rapidfuzz import fuzz, process

from core import dates, workbooks
from core.config import CANONICAL_BASE, Settings
from core.prefixes import canonical_prefixes
from core.problems import LoadStats, Problem
from core.vocab import SKOS, XSD
from loaders.base import LoadError, Location, Source, sha256_file, slugify
from loaders.places import cbs_list, current_successors
from loaders.table_files import MAX_CELL, Record, TableFile, Unreadable

if TYPE_CHECKING:
    from core.validation.checker import Session

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm")
#: Problems collected before the loader stops reading (the table is rejected anyway).
MAX_PROBLEMS = 200

#: Prefixes every mapping may use: the README's contract, spelled with the canonical base.
PREFIXES: dict[str, str] = canonical_prefixes()
DATATYPES = ("string", "date", "integer", "decimal", "boolean", "iri", "gYear", "text")
_TEMPLATE = re.compile(r"\{([^{}|]+)(?:\|(slug))?\}")


class MappingError(Exception):
    """The mapping file itself is wrong (reported as a problem of the mapping file)."""


class ParameterError(MappingError):
    """A parameter the mapping declares was not given, or one it does not declare was."""


def _templates(v: ValueMap) -> list[str]:
    return [x for x in (v.template, v.value, v.default, v.otherwise) if x]


# ---------------------------------------------------------------------------------------------
# the mapping


@dataclass
class ValueMap:
    property: str
    column: str | None = None
    template: str | None = None  # an IRI template ("iri" in the file)
    value: str | None = None  # a constant
    thing: str | None = None  # link to another thing of the same row
    language: str | None = None
    datatype: str = "string"
    split: list[str] = field(default_factory=list)  # separators between values in a cell
    concepts: list[str] = field(default_factory=list)  # schemes whose concepts cells name
    map: dict[str, str] = field(default_factory=dict)
    required: bool = False
    ref: str | None = None  # "TABLE.THING": the cell is that table's key, this its IRI
    #: Further columns read, in order, when ``column`` is empty (``column = ["a", "b"]``).
    fallback: list[str] = field(default_factory=list)
    default: str | None = None  # a template used when the cells are empty
    lookup: str | None = None  # "place": the cell is a CBS code, the value the store's place
    otherwise: str | None = None  # IRI template when the store has no such place

    def columns(self) -> list[str]:
        """The columns read for this value, in the order they are tried."""
        return [self.column, *self.fallback] if self.column else []


@dataclass
class ThingMap:
    name: str
    iri: str
    classes: list[str]
    values: list[ValueMap]
    required: list[str] = field(default_factory=list)
    when: str | None = None  # only rows where this column is filled
    once: bool = False  # one thing for the whole table (a source document, say)


@dataclass
class Mapping:
    path: Path
    things: list[ThingMap]
    prefixes: dict[str, str]
    format: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    sheet: str | None = None
    decimal_comma: bool = False
    date_formats: list[str] = field(default_factory=list)
    #: The tables of a mapping of several (``[tables.NAME]``): their things, and the other
    #: names their files may have; ``table`` is the one ``things`` are of.
    tables: dict[str, list[ThingMap]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    table: str | None = None
    #: Values the caller gives (``[parameters]``, ``--param NAME=VALUE``): name → default
    #: (None: the caller must give it); ``given`` holds the values of this run.
    parameters: dict[str, str | None] = field(default_factory=dict)
    given: dict[str, str] = field(default_factory=dict)
    #: Columns a table's file may lack (read as empty), per table ("" for a mapping of one).
    optional: dict[str, list[str]] = field(default_factory=dict)

    def optional_columns(self) -> set[str]:
        return set(self.optional.get(self.table or "", []))

    def with_parameters(self, given: dict[str, str]) -> Mapping:
        """The mapping with the caller's values; ParameterError names any missing or unknown."""
        unknown = sorted(set(given) - set(self.parameters))
        if unknown:
            raise ParameterError(
                f"the mapping {self.path} has no parameter {', '.join(unknown)}; it declares "
                + (", ".join(self.parameters) or "none")
            )
        values = {k: v for k, v in self.parameters.items() if v is not None} | given
        missing = [k for k in self.parameters if not values.get(k, "").strip()]
        if missing:
            raise ParameterError(
                f"the mapping {self.path} needs the parameter(s) {', '.join(missing)}: give "
                + " ".join(f"--param {k}=VALUE" for k in missing)
            )
        return replace(self, given=values)

    def for_file(self, path: Path) -> Mapping:
        """The mapping of the table ``path`` holds (itself for a mapping of one table)."""
        if not self.tables:
            return self
        name = self.table_of(path)
        if name is None:
            known = ", ".join(f"{n}.csv" for n in self.tables)
            raise MappingError(
                f"the mapping describes the tables {', '.join(self.tables)}; name the file "
                f"after one of them ({known}, or .xlsx)"
            )
        return self.for_table(name)

    def for_table(self, name: str) -> Mapping:
        """The mapping of the table ``name`` of a mapping of several."""
        return replace(self, things=self.tables[name], table=name)

    def sheets_of(self, path: Path) -> dict[str, str]:
        """table → sheet, for a workbook not named after a table whose sheets are (one
        workbook holding the tables of a mapping of several; other sheets are left alone)."""
        if not self.tables or path.suffix.lower() not in (".xlsx", ".xlsm"):
            return {}
        if self.table_of(path) is not None or not path.is_file():
            return {}
        try:
            wb = workbooks.open_workbook(path, workbooks.UPLOAD, data_only=False)
        except (workbooks.TooLarge, zipfile.BadZipFile, OSError, KeyError, ValueError):
            return {}  # the reader reports what is wrong with the file
        try:
            titles = list(wb.sheetnames)
        finally:
            wb.close()
        found: dict[str, str] = {}
        for title in titles:
            table = self.table_of(Path(title.strip() + ".xlsx"))
            if table is not None:
                found.setdefault(table, title)
        return found

    def table_of(self, path: Path) -> str | None:
        stem = path.stem.strip().lower()
        for name in self.tables:
            if stem == name.lower() or stem in (f.lower() for f in self.files.get(name, [])):
                return name
        return None

    def columns(self) -> set[str]:
        cols: set[str] = set()
        for t in self.things:
            cols |= set(t.required)
            if t.when:
                cols.add(t.when)
            cols |= {m.group(1) for m in _TEMPLATE.finditer(t.iri)}
            for v in t.values:
                cols |= set(v.columns())
                for tmpl in (v.template, v.value, v.default, v.otherwise):
                    if tmpl:
                        cols |= {m.group(1) for m in _TEMPLATE.finditer(tmpl)}
        return {c for c in cols if not c.startswith(("_", "$"))}

    def parameters_used(self) -> set[str]:
        """The parameters (``{$name}``) the things' templates use."""
        used: set[str] = set()
        for things in self.tables.values() or [self.things]:
            for t in things:
                texts = [t.iri, *(x for v in t.values for x in _templates(v))]
                used |= {m.group(1) for x in texts for m in _TEMPLATE.finditer(x)}
        return {u[1:] for u in used if u.startswith("$")}


def read_mapping(path: Path) -> Mapping:
    """Parse and check a mapping file; raise LoadError naming the mapping file on mistakes."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadError(
            [Problem(where, "the mapping file does not exist", rule="mapping")]
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        line = None
        m = re.search(r"line (\d+)", str(exc))
        if m:
            line = int(m.group(1))
        raise LoadError(
            [Problem(where, f"the mapping is not valid TOML: {exc}", rule="mapping", line=line)]
        ) from exc
    try:
        return _build_mapping(path, data)
    except MappingError as exc:
        raise LoadError([Problem(where, str(exc), rule="mapping")]) from exc


def _build_mapping(path: Path, data: dict[str, Any]) -> Mapping:
    prefixes = dict(PREFIXES)
    extra = data.get("prefixes", {})
    if not isinstance(extra, dict):
        raise MappingError("[prefixes] must be a table of name = IRI")
    prefixes.update({str(k): str(v) for k, v in extra.items()})
    src = data.get("source", {})
    tables: dict[str, list[ThingMap]] = {}
    files: dict[str, list[str]] = {}
    optional: dict[str, list[str]] = {"": _listed(src, "optional")}
    tables_data = data.get("tables")
    if tables_data is not None:
        if not isinstance(tables_data, dict) or not tables_data:
            raise MappingError("[tables] must hold at least one [tables.NAME] with its things")
        for name, table in tables_data.items():
            if not isinstance(table, dict):
                raise MappingError(f"[tables.{name}] must be a table")
            tables[str(name)] = _build_things(table.get("things"), prefixes, f"tables.{name}.")
            given = table.get("files", [])
            files[str(name)] = [given] if isinstance(given, str) else [str(x) for x in given]
            optional[str(name)] = _listed(table, "optional")
        things = next(iter(tables.values()))
    else:
        things = _build_things(data.get("things"), prefixes, "")
    _check_refs(tables or {"": things})
    fmts = src.get("date_format", [])
    mapping = Mapping(
        path=path,
        things=things,
        prefixes=prefixes,
        format=src.get("format"),
        delimiter=src.get("delimiter"),
        encoding=str(src.get("encoding", "utf-8")),
        sheet=src.get("sheet"),
        decimal_comma=bool(src.get("decimal_comma", False)),
        date_formats=[fmts] if isinstance(fmts, str) else list(fmts),
        tables=tables,
        files=files,
        parameters=_parameters(data.get("parameters", {})),
        optional=optional,
    )
    undeclared = sorted(mapping.parameters_used() - set(mapping.parameters))
    if undeclared:
        raise MappingError(
            f"the templates use {', '.join('{$' + u + '}' for u in undeclared)}: declare "
            "each under [parameters]"
        )
    return mapping


def _parameters(data: Any) -> dict[str, str | None]:
    """``[parameters]``: ``name = "what it is"`` (the caller must give it) or
    ``name = { default = "...", doc = "..." }``."""
    if not isinstance(data, dict):
        raise MappingError("[parameters] must be a table of name = description")
    out: dict[str, str | None] = {}
    for name, spec in data.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
            raise MappingError(f"parameter name {name!r}: use letters, digits and _")
        default = spec.get("default") if isinstance(spec, dict) else None
        out[str(name)] = None if default is None else str(default)
    return out


def _listed(v: Any, key: str) -> list[str]:
    given = v.get(key)
    if given is None:
        return []
    return [given] if isinstance(given, str) else [str(x) for x in given]


def _build_things(things_data: Any, prefixes: dict[str, str], where: str) -> list[ThingMap]:
    if not isinstance(things_data, list) or not things_data:
        raise MappingError(f"the mapping needs at least one [[{where}things]] entry")
    things: list[ThingMap] = []
    names: set[str] = set()
    for i, t in enumerate(things_data, start=1):
        if not isinstance(t, dict) or "iri" not in t or "name" not in t:
            raise MappingError(f"[[{where}things]] number {i} needs a name and an iri template")
        name = str(t["name"])
        if name in names:
            raise MappingError(f"two things are called {name!r}")
        names.add(name)
        classes = t.get("class", [])
        classes = [classes] if isinstance(classes, str) else list(classes)
        values = [
            _build_value(v, j, name, prefixes) for j, v in enumerate(t.get("values", []), start=1)
        ]
        things.append(
            ThingMap(
                name=name,
                iri=str(t["iri"]),
                classes=[expand(c, prefixes) for c in classes],
                values=values,
                required=list(t.get("required", [])),
                when=t.get("when"),
                once=bool(t.get("once", False)),
            )
        )
    for thing in things:
        for v in thing.values:
            if v.thing and v.thing not in names:
                raise MappingError(f"thing {thing.name!r} links to unknown thing {v.thing!r}")
    return things


def _build_value(v: dict[str, Any], j: int, name: str, prefixes: dict[str, str]) -> ValueMap:
    if "property" not in v:
        raise MappingError(f"value {j} of thing {name!r} has no property")
    given = [k for k in ("column", "iri", "value", "thing") if k in v]
    if len(given) != 1:
        raise MappingError(
            f"value {j} ({v['property']}) of thing {name!r} needs exactly one of "
            "column, iri, value or thing"
        )
    if "ref" in v and not isinstance(v.get("column"), str):
        raise MappingError(
            f"value {j} ({v['property']}) of thing {name!r}: a ref reads one column (the key)"
        )
    if v.get("lookup") not in (None, "place"):
        raise MappingError(
            f'value {j} ({v["property"]}) of thing {name!r}: lookup can be "place" (a CBS '
            "code to the place the store holds)"
        )
    columns = _listed(v, "column")
    datatype = str(v.get("datatype", "string"))
    if datatype not in DATATYPES:
        raise MappingError(
            f"value {j} ({v['property']}) of thing {name!r}: unknown datatype "
            f"{datatype!r}; use one of {', '.join(DATATYPES)}"
        )
    return ValueMap(
        property=expand(str(v["property"]), prefixes),
        column=columns[0] if columns else None,
        fallback=columns[1:],
        template=v.get("iri"),
        value=None if v.get("value") is None else str(v["value"]),
        thing=v.get("thing"),
        language=v.get("language"),
        datatype=datatype,
        split=_listed(v, "split"),
        concepts=[expand(c, prefixes) for c in _listed(v, "concepts")],
        map={str(k): str(x) for k, x in v.get("map", {}).items()},
        required=bool(v.get("required", False)),
        ref=None if v.get("ref") is None else str(v["ref"]),
        default=None if v.get("default") is None else str(v["default"]),
        lookup=v.get("lookup"),
        otherwise=None if v.get("otherwise") is None else str(v["otherwise"]),
    )


def _check_refs(tables: dict[str, list[ThingMap]]) -> None:
    """Every ``ref`` names a thing of a table whose IRI is made from one column (its key)."""
    for things in tables.values():
        for thing in things:
            for v in thing.values:
                if v.ref is not None:
                    ref_target(tables, v.ref)


def ref_target(tables: dict[str, list[ThingMap]], ref: str) -> tuple[str, ThingMap, str]:
    """The table, thing and key column a ``ref = "TABLE.THING"`` names."""
    table, _, name = ref.partition(".")
    thing = next((t for t in tables.get(table, []) if t.name == name), None)
    if thing is None:
        raise MappingError(
            f"ref {ref!r} names no thing: write TABLE.THING, a thing of one of the tables "
            + ", ".join(t for t in tables if t)
        )
    keys = {
        m.group(1) for m in _TEMPLATE.finditer(thing.iri) if not m.group(1).startswith(("_", "$"))
    }
    if len(keys) != 1:
        raise MappingError(
            f"ref {ref!r}: the IRI of {name!r} must be made from exactly one column, its key"
        )
    return table, thing, keys.pop()


def expand(name: str, prefixes: dict[str, str]) -> str:
    """``km:Initiative`` to a full IRI (canonical base); full IRIs stay as they are."""
    if name.startswith(("http://", "https://", "urn:")):
        return name
    if ":" in name:
        prefix, local = name.split(":", 1)
        if prefix in prefixes:
            return prefixes[prefix] + local
    raise MappingError(f"{name!r} is not an IRI and has no known prefix")


# ---------------------------------------------------------------------------------------------
# reading rows


@dataclass
class Row:
    number: int  # as a spreadsheet numbers it; the header is row 1
    cells: dict[str, str]
    line: int = 0  # the file's line where the row ends (a quoted cell may span lines)
    #: Columns whose Excel cell holds a formula (its value is not read: it is not trusted).
    formulas: tuple[str, ...] = ()


class TableReader:
    """Rows of a CSV or Excel file, one at a time, with problems located by row and column."""

    def __init__(
        self,
        path: Path,
        display: str,
        *,
        fmt: str | None = None,
        delimiter: str | None = None,
        encoding: str = "utf-8",
        sheet: str | None = None,
    ) -> None:
        self.path = path
        self.display = display
        self.fmt = (fmt or path.suffix.lstrip(".")).lower()
        self.delimiter = delimiter
        self.encoding = encoding
        self.sheet = sheet
        self.header: list[str] = []

    def problem(self, message: str, rule: str, row: int | None = None, **kw: Any) -> Problem:
        return Problem(self.display, message, rule=rule, row=row, **kw)

    def check_file(self) -> None:
        if not self.path.exists():
            raise LoadError([self.problem("no such file", "file exists")])
        if self.path.is_dir():
            raise LoadError([self.problem("is a folder, not a file", "file")])
        if self.path.stat().st_size == 0:
            raise LoadError([self.problem("the file is empty", "not empty")])

    def rows(self) -> Iterator[Row]:
        self.check_file()
        if self.fmt in ("xlsx", "xlsm"):
            yield from self._excel_rows()
        elif self.fmt in ("csv", "tsv", "txt"):
            yield from self._csv_rows()
        else:
            raise LoadError(
                [self.problem(f"unknown table format {self.fmt!r}; use csv or xlsx", "format")]
            )

    def _set_header(self, cells: list[str]) -> None:
        header = [c.strip().lstrip("\ufeff") for c in cells]
        if not any(header):
            raise LoadError([self.problem("the first row (the header) is empty", "header", 1)])
        seen: set[str] = set()
        problems = []
        for i, name in enumerate(header, start=1):
            if not name:
                continue
            if name in seen:
                problems.append(
                    self.problem(f"column name {name!r} appears twice", "header", 1, column=i)
                )
            seen.add(name)
        if problems:
            raise LoadError(problems)
        self.header = header

    def _file(self) -> TableFile:
        return TableFile(self.path, fmt=self.fmt, delimiter=self.delimiter, encoding=self.encoding)

    def _csv_rows(self) -> Iterator[Row]:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise LoadError(
                [self.problem(f"unknown encoding {self.encoding!r}", "encoding")]
            ) from None
        records = self._file().records()
        try:
            first = next(records, None)
            if first is None:
                raise LoadError([self.problem("the file is empty", "not empty")])
            self._set_header(first.cells)
            width = len(self.header)
            for record in records:
                cells = record.cells
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != width:
                    raise _RowShape(record.number, len(cells), width)
                yield Row(record.number, dict(zip(self.header, cells, strict=True)), record.line)
        except Unreadable as exc:
            raise LoadError([self._unreadable(exc)]) from exc
        except _RowShape as exc:
            raise LoadError(
                [
                    self.problem(
                        f"this row has {exc.got} cells where the header has {exc.want}; "
                        "check the delimiter and quotes",
                        "cells per row",
                        row=exc.row,
                    )
                ]
            ) from None

    def _unreadable(self, exc: Unreadable) -> Problem:
        """What the reader could not read, in the loader's words."""
        if exc.rule == "encoding":
            return self.problem(
                f"the file is not valid {self.encoding} (byte 0x{exc.detail}); save it as "
                'UTF-8, or name its encoding in the mapping ([source] encoding = "latin-1")',
                "encoding",
                line=exc.line,
                column=exc.column,
            )
        if exc.rule == "nul":
            return self.problem(
                "the file holds NUL characters: it is not a text table (saved as UTF-16, or "
                "not a CSV file at all?); save it as UTF-8",
                "encoding",
                line=exc.line,
            )
        if exc.rule == "cell size":
            return self.problem(
                f"a cell is larger than {MAX_CELL // 1024} KB; is the file really a table, or "
                'does a quote (") open a cell that never closes?',
                "cell size",
                line=exc.line,
            )
        if exc.rule == "size":
            return self.problem(f"the {exc.part} is too large: {exc.detail}", "size")
        if exc.rule == "format":
            return self.problem(f"not a readable Excel (.xlsx) file: {exc.detail}", "format")
        if exc.rule == "sheet":
            return self.problem(
                f"no sheet named {self.sheet!r}; the sheets are {exc.detail}", "sheet"
            )
        return self.problem(exc.detail, exc.rule, line=exc.line)

    def _excel_rows(self) -> Iterator[Row]:
        try:
            for _title, records in self._file().sheets(self.sheet, first=self.sheet is None):
                yield from self._sheet_rows(records)
        except Unreadable as exc:
            raise LoadError([self._unreadable(exc)]) from exc
        if not self.header:
            raise LoadError([self.problem("the sheet is empty", "not empty")])

    def _sheet_rows(self, records: Iterator[Record]) -> Iterator[Row]:
        for record in records:
            if record.number == 1:
                self._set_header(record.cells)
                continue
            formulas = tuple(self.header[i] for i in record.formulas if i < len(self.header))
            cells = ["" if i in record.formulas else c for i, c in enumerate(record.cells)]
            if not any(c.strip() for c in cells) and not formulas:
                continue
            cells += [""] * (len(self.header) - len(cells))
            cells_by_name = dict(zip(self.header, cells[: len(self.header)], strict=True))
            yield Row(record.number, cells_by_name, record.number, formulas)


class _RowShape(Exception):
    def __init__(self, row: int, got: int, want: int) -> None:
        self.row, self.got, self.want = row, got, want


# ---------------------------------------------------------------------------------------------
# values


class ValueProblem(ValueError):
    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


def parse_date(text: str, formats: list[str] = ()) -> ox.Literal:  # type: ignore[assignment]
    """An ISO or Dutch date (see :mod:`core.dates`), or one of ``formats``, as an XSD literal."""
    try:
        lexical = dates.parse_date(text)
    except dates.DateError as exc:
        t = text.strip()
        for f in formats:
            try:
                return ox.Literal(
                    dt.datetime.strptime(t, f).date().isoformat(),
                    datatype=ox.NamedNode(XSD + "date"),
                )
            except ValueError:
                continue
        if "real" in str(exc):
            raise ValueProblem(str(exc), "date") from None
        spelled = ", ".join(["YYYY", "YYYY-MM", "YYYY-MM-DD", "DD-MM-YYYY", *formats])
        raise ValueProblem(f"{text!r} is not a date; write it as {spelled}", "date") from None
    return ox.Literal(lexical, datatype=ox.NamedNode(XSD + dates.datatype(lexical)))


def parse_iri(text: str) -> ox.NamedNode:
    t = text.strip()
    if t.startswith("www."):
        t = "https://" + t
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", t):
        raise ValueProblem(f"{text!r} is not a web address (it has no http:// or https://)", "IRI")
    try:
        return ox.NamedNode(t)
    except ValueError as exc:
        raise ValueProblem(f"{text!r} is not a valid web address ({exc})", "IRI") from None


def literal(text: str, vm: ValueMap, mapping: Mapping) -> ox.Literal | ox.NamedNode:
    t = text.strip()
    kind = vm.datatype
    if kind == "date":
        return parse_date(t, mapping.date_formats)
    if kind == "gYear":
        if not re.fullmatch(r"\d{4}", t):
            raise ValueProblem(f"{text!r} is not a year (YYYY)", "year")
        return ox.Literal(t, datatype=ox.NamedNode(XSD + "gYear"))
    if kind == "integer":
        cleaned = t.replace(".", "").replace(" ", "") if mapping.decimal_comma else t
        if not re.fullmatch(r"[+-]?\d+", cleaned):
            raise ValueProblem(f"{text!r} is not a whole number", "integer")
        return ox.Literal(str(int(cleaned)), datatype=ox.NamedNode(XSD + "integer"))
    if kind == "decimal":
        cleaned = t.replace(".", "").replace(",", ".") if mapping.decimal_comma else t
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            raise ValueProblem(f"{text!r} is not a number", "decimal") from None
        if not number.is_finite():
            raise ValueProblem(f"{text!r} is not a number", "decimal")
        return ox.Literal(format(number, "f"), datatype=ox.NamedNode(XSD + "decimal"))
    if kind == "boolean":
        low = t.lower()
        if low in ("true", "yes", "ja", "j", "y", "1", "waar"):
            return ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
        if low in ("false", "no", "nee", "n", "0", "onwaar"):
            return ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean"))
        raise ValueProblem(f"{text!r} is not yes or no", "boolean")
    if kind == "iri":
        return parse_iri(t)
    if vm.language:
        return ox.Literal(t, language=vm.language)
    return ox.Literal(t)


def concept_key(text: str) -> str:
    """How a concept's code, notation or label is compared with a cell: case, spaces, ``_`` and
    ``-`` do not count (``Civic-initiative`` finds ``civic initiative``). The upload template's
    cell rule uses it too, so both accept the same spellings."""
    return re.sub(r"[\s_-]+", " ", text.strip().lower())


def concept_keys(iri: str, scheme: str, texts: Iterable[str]) -> Iterator[str]:
    """The keys a concept is found by: its code (the IRI's last part), the code after its
    scheme's (``form/civic-initiative``), and each of ``texts`` (notations, labels)."""
    code = iri.rstrip("/").rsplit("/", 1)[-1]
    yield concept_key(code)
    yield concept_key(scheme.rstrip("/").rsplit("/", 1)[-1] + "/" + code)
    for text in texts:
        if text.strip():
            yield concept_key(text)


class ConceptIndex:
    """Finds a scheme's concept by code, notation or label (any language): :func:`concept_keys`."""

    def __init__(self, store: ox.Store, scheme: str) -> None:
        self.scheme = scheme
        self.by_text: dict[str, ox.NamedNode] = {}
        scheme_node = ox.NamedNode(scheme)
        for q in store.quads_for_pattern(None, ox.NamedNode(SKOS + "inScheme"), scheme_node, None):
            c = q.subject
            if not isinstance(c, ox.NamedNode):
                continue
            texts = [
                str(getattr(q2.object, "value", ""))
                for p in ("notation", "prefLabel", "altLabel")
                for q2 in store.quads_for_pattern(c, ox.NamedNode(SKOS + p), None, None)
            ]
            for key in concept_keys(c.value, scheme, texts):
                self.by_text.setdefault(key, c)

    def find(self, text: str) -> ox.NamedNode | None:
        return self.by_text.get(concept_key(text))


# ---------------------------------------------------------------------------------------------
# the loader


class TabularLoader:
    name: ClassVar[str] = "tabular"
    title: ClassVar[str] = "Table (CSV or Excel) with a mapping"

    @classmethod
    def accepts(cls, source: Source) -> bool:
        fmt = (source.format or "").lower()
        if fmt in ("csv", "tsv", "xlsx"):
            return True
        return not source.is_url and source.path.suffix.lower() in TABLE_SUFFIXES

    def default_graph_name(self, source: Source) -> str:
        return "tables/" + slugify(source.path.stem)

    def mapping(self, source: Source) -> Mapping:
        path = source.mapping
        if path is None:
            guess = source.path.with_suffix(".mapping.toml")
            if guess.exists():
                path = guess
            else:
                raise LoadError(
                    [
                        Problem(
                            source.display(),
                            "a table needs a mapping file: give it with --mapping FILE (see "
                            "README, 'Loading your own table'), or put it beside the table as "
                            f"{guess.name}",
                            rule="mapping",
                        )
                    ]
                )
        mapping = read_mapping(Path(path))
        try:
            return mapping.with_parameters(source.options.get("parameters", {}))
        except MappingError as exc:
            raise LoadError([Problem(str(mapping.path), str(exc), rule="mapping")]) from exc

    def parts(self, source: Source) -> list[tuple[Mapping, TableReader]]:
        """The tables a source holds, each with its mapping and reader: the one table the file
        is named after, or each sheet of a workbook that names a table of the mapping."""
        mapping = self.mapping(source)
        sheets = mapping.sheets_of(source.path)
        if sheets:
            return [
                (
                    mapping.for_table(table),
                    self.reader(source, mapping, sheet, f"{source.display()} [{sheet}]"),
                )
                for table, sheet in sheets.items()
            ]
        try:
            mapping = mapping.for_file(source.path)
        except MappingError as exc:
            raise LoadError([Problem(str(mapping.path), str(exc), rule="mapping")]) from exc
        return [(mapping, self.reader(source, mapping, mapping.sheet, source.display()))]

    def reader(
        self, source: Source, mapping: Mapping, sheet: str | None, display: str
    ) -> TableReader:
        return TableReader(
            source.path,
            display,
            fmt=source.format or mapping.format,
            delimiter=mapping.delimiter,
            encoding=mapping.encoding,
            sheet=sheet,
        )

    def write(
        self,
        source: Source,
        store: ox.Store,
        graph: ox.NamedNode,
        settings: Settings,
        check: Session | None = None,
    ) -> LoadStats:
        parts = self.parts(source)
        sheets = {m.table: r.sheet for m, r in parts if m.table and r.sheet}
        problems: list[Problem] = []
        rows = 0
        for mapping, reader in parts:
            mapper = RowMapper(mapping, settings, store, reader.display, source.path, sheets=sheets)
            quads = mapper.quads(reader.rows(), graph, problems, reader)
            store.bulk_extend(check.through(quads) if check is not None else quads)
            rows += mapper.rows
        if problems:
            raise LoadError(problems)
        return LoadStats(
            files=[
                (source.display(), sha256_file(source.path)),
                (str(parts[0][0].path), sha256_file(parts[0][0].path)),
            ],
            notes=[f"{rows} rows"],
        )

    def locate(self, source: Source, iris: set[str], settings: Settings) -> dict[str, Location]:
        found: dict[str, Location] = {}
        for mapping, reader in self.parts(source):
            mapper = RowMapper(mapping, settings, None, reader.display)
            for row in reader.rows():
                for thing in mapping.things:
                    try:
                        iri = mapper.thing_iri(thing, row)
                    except ValueProblem:
                        continue
                    if iri is not None and iri.value in iris and iri.value not in found:
                        found[iri.value] = (reader.display, None, row.number, None)
                if len(found) == len(iris):
                    return found
        return found


class RowMapper:
    """Turns rows into quads according to a mapping."""

    def __init__(
        self,
        mapping: Mapping,
        settings: Settings,
        store: ox.Store | None,
        display: str,
        path: Path | None = None,
        keys: dict[str, set[str] | None] | None = None,
        sheets: dict[str, str] | None = None,
    ) -> None:
        self.mapping = mapping
        self.settings = settings
        self.store = store
        self.display = display
        self.path = path  # the table's file: the tables it refers to lie beside it
        self.rows = 0
        self._concepts: dict[str, ConceptIndex] = {}
        self._once_done: set[str] = set()
        self._keys: dict[str, set[str] | None] = {}
        self._places: dict[str, ox.NamedNode] | None = None
        self._used = mapping.columns()  # asked for every row
        #: table → sheet of the same workbook (a workbook holding several tables)
        self.sheets = sheets or {}
        if keys is not None:  # the caller knows every table's keys (no files to read)
            self._keys.update(keys)

    def rebase(self, iri: str) -> str:
        return self.settings.rebase(iri)

    def fill(self, template: str, row: Row, as_iri: bool) -> str | None:
        """A template with the row's cells; None when a cell it needs is empty."""
        missing = False

        def sub(m: re.Match[str]) -> str:
            nonlocal missing
            col, how = m.group(1), m.group(2)
            if col == "_row":
                value = str(row.number)
            elif col.startswith("$"):  # the caller's value, as given (an IRI stays one)
                value = self.mapping.given.get(col[1:], "").strip()
                if value:
                    return value
            else:
                value = row.cells.get(col, "").strip()
            if not value:
                missing = True
                return ""
            if how == "slug":
                return slugify(value)
            return quote(value, safe="") if as_iri else value

        out = _TEMPLATE.sub(sub, template)
        return None if missing else out

    def thing_iri(self, thing: ThingMap, row: Row) -> ox.NamedNode | None:
        if thing.when and not row.cells.get(thing.when, "").strip():
            return None
        text = self.fill(thing.iri, row, as_iri=True)
        if text is None:
            return None
        full = expand(text, self.mapping.prefixes) if ":" in text else text
        try:
            return ox.NamedNode(self.rebase(full))
        except ValueError as exc:
            raise ValueProblem(
                f"the IRI {full!r} made from this row is not valid: {exc}", "IRI"
            ) from None

    def quads(
        self,
        rows: Iterator[Row],
        graph: ox.NamedNode,
        problems: list[Problem],
        reader: TableReader,
    ) -> Iterator[ox.Quad]:
        checked = False
        for row in rows:
            if not checked:
                checked = True
                missing = sorted(
                    self.mapping.columns() - set(reader.header) - self.mapping.optional_columns()
                )
                if missing:
                    problems.extend(
                        Problem(
                            self.display,
                            f"the mapping uses column {c!r}, which the table does not have; "
                            "its columns are " + ", ".join(repr(h) for h in reader.header if h),
                            rule="column exists",
                            row=1,
                            field=c,
                        )
                        for c in missing
                    )
                    return
            self.rows += 1
            yield from self.row_quads(row, graph, problems)
            if len(problems) >= MAX_PROBLEMS:
                problems.append(
                    Problem(self.display, f"stopped after {MAX_PROBLEMS} problems", rule="limit")
                )
                return
        if not checked:
            problems.append(
                Problem(self.display, "the table has a header but no rows", rule="not empty")
            )

    def row_quads(
        self, row: Row, graph: ox.NamedNode, problems: list[Problem]
    ) -> Iterator[ox.Quad]:
        for _thing, triples in self.row_things(row, problems):
            for tr in triples:
                yield ox.Quad(tr.subject, tr.predicate, tr.object, graph)

    def row_things(
        self, row: Row, problems: list[Problem]
    ) -> Iterator[tuple[ThingMap, list[ox.Triple]]]:
        """Each thing the row describes, with its statements (a ``once`` thing only the first
        time); the problems of the row go to ``problems``."""
        iris: dict[str, ox.NamedNode | None] = {}
        used = self._used
        for column in row.formulas:
            if column in used:
                problems.append(
                    Problem(
                        self.display,
                        "the cell holds a spreadsheet formula, whose value is not read; paste "
                        "the cells as values",
                        rule="formula",
                        row=row.number,
                        field=column,
                    )
                )
        for thing in self.mapping.things:
            missing = [c for c in thing.required if not row.cells.get(c, "").strip()]
            for c in missing:
                problems.append(
                    Problem(
                        self.display,
                        f"{thing.name}: the column {c!r} must be filled",
                        rule="required",
                        row=row.number,
                        field=c,
                    )
                )
            try:
                iris[thing.name] = None if missing else self.thing_iri(thing, row)
            except ValueProblem as exc:
                problems.append(Problem(self.display, str(exc), rule=exc.rule, row=row.number))
                iris[thing.name] = None
        for thing in self.mapping.things:
            subject = iris[thing.name]
            if subject is None:
                continue
            if thing.once:
                if subject.value in self._once_done:
                    continue
                self._once_done.add(subject.value)
            triples = [
                ox.Triple(subject, RDF_TYPE, ox.NamedNode(self.rebase(c))) for c in thing.classes
            ]
            for vm in thing.values:
                prop = ox.NamedNode(self.rebase(vm.property))
                triples += [
                    ox.Triple(subject, prop, obj) for obj in self.objects(vm, row, iris, problems)
                ]
            yield thing, triples

    def objects(
        self, vm: ValueMap, row: Row, iris: dict[str, ox.NamedNode | None], problems: list[Problem]
    ) -> Iterator[Any]:
        if vm.thing:
            target = iris.get(vm.thing)
            if target is not None:
                yield target
            return
        if vm.value is not None:
            text = self.fill(vm.value, row, as_iri=False)
            if text is not None:
                try:
                    yield literal(text, vm, self.mapping)
                except ValueProblem as exc:
                    problems.append(Problem(self.display, str(exc), rule=exc.rule, row=row.number))
            return
        if vm.template is not None:
            text = self.fill(vm.template, row, as_iri=True)
            if text is not None:
                try:
                    full = expand(text, self.mapping.prefixes) if ":" in text else text
                    yield ox.NamedNode(self.rebase(full))
                except (ValueError, MappingError) as exc:
                    problems.append(
                        Problem(
                            self.display,
                            f"not a valid IRI: {exc}",
                            rule="IRI",
                            row=row.number,
                            field=vm.column,
                        )
                    )
            return
        assert vm.column is not None
        cell = next((c for c in (row.cells.get(n, "") for n in vm.columns()) if c.strip()), "")
        if not cell.strip() and vm.default is not None:
            cell = self.fill(vm.default, row, as_iri=False) or ""
        parts = [p for p in split_cell(cell, vm.split) if p.strip()]
        if not parts and vm.required:
            problems.append(
                Problem(
                    self.display,
                    f"the column {vm.column!r} must be filled",
                    rule="required",
                    row=row.number,
                    field=vm.column,
                )
            )
        for part in parts:
            try:
                yield self.cell_value(part, vm, row)
            except ValueProblem as exc:
                problems.append(
                    Problem(self.display, str(exc), rule=exc.rule, row=row.number, field=vm.column)
                )

    def cell_value(self, part: str, vm: ValueMap, row: Row) -> ox.NamedNode | ox.Literal:
        """One value of a cell: another table's thing, a place, a concept or a literal."""
        if vm.ref is not None:
            return self.reference(part, vm)
        if vm.lookup == "place":
            return self.place(part, vm, row)
        if vm.map or vm.concepts:
            return self.concept(part, vm)
        return literal(part, vm, self.mapping)

    def reference(self, text: str, vm: ValueMap) -> ox.NamedNode:
        """The IRI of the other table's thing whose key ``text`` is (``ref = "TABLE.THING"``)."""
        assert vm.ref is not None
        table, thing, key = ref_target(self.mapping.tables, vm.ref)
        keys = self.keys_of(table, key)
        if keys is None:
            raise ValueProblem(
                f"the table {table!r} this column refers to is not beside this file "
                f"({table}.csv or {table}.xlsx)",
                "reference",
            )
        if text.strip() not in keys:
            raise ValueProblem(f"{table} has no row with {key} {text.strip()!r}", "reference")
        made = self.fill(thing.iri, Row(0, {key: text.strip()}), as_iri=True)
        assert made is not None
        full = expand(made, self.mapping.prefixes) if ":" in made else made
        try:
            return ox.NamedNode(self.rebase(full))
        except ValueError as exc:
            raise ValueProblem(f"the IRI {full!r} is not valid: {exc}", "IRI") from None

    def keys_of(self, table: str, key: str) -> set[str] | None:
        """The keys the table ``table`` beside this one holds (None: no such file)."""
        if table not in self._keys and table in self.sheets and self.path is not None:
            reader = TableReader(self.path, str(self.path), sheet=self.sheets[table])
            self._keys[table] = {r.cells.get(key, "").strip() for r in reader.rows()}
        if table not in self._keys:
            self._keys[table] = None
            folder = self.path.parent if self.path is not None else None
            for candidate in sorted(folder.iterdir()) if folder is not None else []:
                if (
                    candidate.suffix.lower() in TABLE_SUFFIXES
                    and self.mapping.table_of(candidate) == table
                ):
                    reader = TableReader(
                        candidate,
                        str(candidate),
                        delimiter=self.mapping.delimiter,
                        encoding=self.mapping.encoding,
                        sheet=self.mapping.sheet,
                    )
                    self._keys[table] = {r.cells.get(key, "").strip() for r in reader.rows()}
                    break
        return self._keys[table]

    def concept(self, text: str, vm: ValueMap) -> ox.NamedNode:
        key = text.strip()
        if vm.map:
            target = vm.map.get(key) or vm.map.get(key.lower())
            if target is not None:
                return ox.NamedNode(self.rebase(expand(target, self.mapping.prefixes)))
            if not vm.concepts:
                raise ValueProblem(
                    f"{text!r} is not one of the values the mapping knows: "
                    + ", ".join(repr(k) for k in vm.map),
                    "value list",
                )
        if self.store is None:
            raise ValueProblem("no store to look concepts up in", "concept")
        indexes = []
        for scheme in (self.rebase(c) for c in vm.concepts):
            index = self._concepts.get(scheme)
            if index is None:
                index = self._concepts[scheme] = ConceptIndex(self.store, scheme)
            found = index.find(key)
            if found is not None:
                return found
            indexes.append(index)
        guess = near_miss(key, indexes)
        schemes = ", ".join(f"<{i.scheme}>" for i in indexes)
        hint = f"; did you mean {guess}?" if guess else ""
        raise ValueProblem(
            f"{text!r} is not a concept of {schemes} (by notation, label or code){hint}",
            "concept",
        )

    def place(self, text: str, vm: ValueMap, row: Row) -> ox.NamedNode:
        """The place the store holds for the CBS code ``text`` (``lookup = "place"``); else the
        ``otherwise`` IRI, else a problem of the row."""
        if self._places is None:
            self._places = places_by_code(self.store, self.settings) if self.store else {}
        code = text.strip().upper()
        found = self._places.get(code)
        if found is not None:
            return found
        body = cbs_list().get(code)
        if body is None:
            raise ValueProblem(
                f"{text.strip()!r} is not the CBS code of a Dutch municipality or province "
                "(GM0363, PV27)",
                "place",
            )
        if not body.current:
            raise ValueProblem(
                f"{code} ({body.name}) no longer exists: use "
                + " or ".join(current_successors(code)),
                "place",
            )
        if vm.otherwise is not None:
            made = self.fill(vm.otherwise, Row(row.number, {**row.cells, "_value": text}), True)
            if made is not None:
                full = expand(made, self.mapping.prefixes) if ":" in made else made
                return ox.NamedNode(self.rebase(full))
        raise ValueProblem(f"the store holds no place with the CBS code {code}", "place")


def split_cell(cell: str, separators: list[str]) -> list[str]:
    """A cell's values: split on any of ``separators`` (none: the whole cell)."""
    if not separators:
        return [cell]
    return re.split("|".join(re.escape(s) for s in separators), cell)


def near_miss(text: str, indexes: list[ConceptIndex]) -> str | None:
    """The code of the concept whose code or label is closest to ``text``, if any is close."""
    keys = {k: i for i in indexes for k in i.by_text}
    found = process.extractOne(concept_key(text), list(keys), scorer=fuzz.WRatio, score_cutoff=75)
    if not found:
        return None
    node = keys[found[0]].by_text[found[0]]
    return node.value.rsplit("/", 1)[-1]


def places_by_code(store: ox.Store, settings: Settings) -> dict[str, ox.NamedNode]:
    """CBS code → place (``km:Place`` with ``km:cbsCode``), outside the publishers' own graphs
    (no publisher's data depend on another's); the first IRI when several share a code."""
    own = settings.rebase(CANONICAL_BASE + "graph/publishers/")
    place_class = ox.NamedNode(settings.rebase(PREFIXES["km"] + "Place"))
    code_prop = ox.NamedNode(settings.rebase(PREFIXES["km"] + "cbsCode"))
    out: dict[str, ox.NamedNode] = {}
    for q in store.quads_for_pattern(None, code_prop, None, None):
        graph, place = q.graph_name, q.subject
        if not isinstance(place, ox.NamedNode) or not isinstance(q.object, ox.Literal):
            continue
        if isinstance(graph, ox.NamedNode) and graph.value.startswith(own):
            continue
        if not any(True for _ in store.quads_for_pattern(place, RDF_TYPE, place_class, graph)):
            continue
        code = q.object.value
        if code not in out or place.value < out[code].value:
            out[code] = place
    return out
