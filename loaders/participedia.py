"""Participedia's CSV export (cases, methods, organisations) onto the Kiemen model.

The export is what participedia/api writes (``api/helpers/create-csv-data-dump.js``): a UTF-8
BOM, lists split into numbered columns or kept as PostgreSQL brace lists, controlled values as
keys or as labels in the entry's language (read by :mod:`loaders.participedia_values`).
Participedia's vocabularies and their mapping onto Kiemen's schemes are data, in the bundled
graph ``mappings`` (data/mappings/*.ttl), read from the store, so a mapping changes without code:

* a case becomes a ``km:Initiative``; its ``approaches`` give ``km:inferredForm`` and its
  ``general_issues`` ``dcterms:subject`` (Kiemen themes) through exact, close or broad matches;
* its location a place: the canonical one that :func:`loaders.places.resolve_place` names
  (a country by ISO code, cities as the gazetteer knows them), else the export's own place,
  contained in its country; its dates ``schema:startDate``/``schema:endDate``;
* its primary organiser and funder become actors with involvements as ``role:organiser`` and
  ``role:funder`` (types from ``organizer_types``, ``funder_types`` or the organisation's
  ``sector``); a government organiser also gets the government role its ``public_spectrum``
  (IAP2) maps onto, a government funder of a case others organise ``govrole:facilitating``;
* a method becomes a concept of the scheme of Participedia methods, an organisation a
  ``km:Organisation``; cases, methods and organisations link to each other (``dcterms:relation``,
  ``isPartOf``/``hasPart``) and to their page on participedia.net (``rdfs:seeAlso``);
* every other field is kept on the entity as a plain literal under
  ``def/participedia/field/{column}`` (the key when Participedia knows the value), so nothing is
  lost; an unknown value is kept and warned about, never a reason to drop the row.

Every row is a ``km:Section`` of the export (with its lines), so each statement traces back.
The graph carries Participedia's content licence (CC BY-NC-SA 3.0) in its provenance record.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyoxigraph as ox
from babel import Locale

from core.config import CANONICAL_BASE, Settings
from core.messages import Text, bundled, msg
from core.problems import LoadStats, Problem
from core.vocab import DCT, PROV, RDF, RDF_TYPE, RDFS, SCHEMA, SKOS, WGS, XSD
from loaders.base import LoadError, Location, Source, sha256_file, slugify
from loaders.countries import capital, country_code, normalise
from loaders.participedia_values import (
    LIST_FIELDS,
    TRUE,
    YES_NO,
    Link,
    Options,
    Value,
    base_columns,
    column_parts,
    link,
    numbered_columns,
)
from loaders.places import country_iri, resolve_place
from loaders.tabular import Row, TableReader

if TYPE_CHECKING:
    from core.validation.checker import Session

#: Participedia's content licence, as its terms of use name it (participedia/api,
#: views/partials/terms-of-use-en.html): ShareAlike, never to be relabelled CC BY.
LICENCE = "http://creativecommons.org/licenses/by-nc-sa/3.0/"
LICENCE_NAME = "CC BY-NC-SA 3.0 (Creative Commons Attribution-NonCommercial-ShareAlike 3.0)"
ENTRY_PAGE = "https://participedia.net/{kind}/{id}"
KINDS = ("method", "organization", "case")  # methods and organisations first: cases use them
FILE_NAMES = {k: f"participedia-data-{k}s.csv" for k in KINDS}
REQUIRED = {"id", "type", "title"}
CLASSIFY = ("exactMatch", "closeMatch", "broadMatch")
GOVERNMENT_TYPES = (
    "government",
    "municipal-government",
    "provincial-government",
    "national-government",
    "eu-government",
    "water-board",
)
#: Columns that become Kiemen statements of their own (not kept as field literals).
STRUCTURAL = {
    "id",
    "type",
    "title",
    "url",
    "description",
    "original_language",
    "city",
    "province",
    "country",
    "latitude",
    "longitude",
    "start_date",
    "end_date",
    "primary_organizer_id",
    "primary_organizer_title",
    "primary_organizer_url",
    "is_component_of_id",
    "is_component_of_title",
    "is_component_of_url",
    "specific_methods_tools_techniques_titles",
    "has_components_titles",
    "specific_methods_tools_techniques",
}
#: Participedia's users (authors and editors), not facts about the entry: left out on purpose.
PERSONAL = {
    "creator_id",
    "creator_name",
    "creator_profile_url",
    "last_updated_by_id",
    "last_updated_by_name",
    "last_updated_by_profile_url",
}


@dataclass
class Vocab:
    """Participedia keys to Kiemen concepts, read from the mappings in the store."""

    approach: dict[str, list[str]] = field(default_factory=dict)
    spectrum: dict[str, list[str]] = field(default_factory=dict)  # key -> iap2 concepts
    organizer_type: dict[str, list[str]] = field(default_factory=dict)
    sector: dict[str, list[str]] = field(default_factory=dict)
    issue: dict[str, list[str]] = field(default_factory=dict)  # key -> Kiemen themes
    govrole: dict[str, list[str]] = field(default_factory=dict)  # iap2 concept -> govroles

    @classmethod
    def read(cls, store: ox.Store, settings: Settings) -> Vocab:
        v = cls()
        base = settings.rebase(CANONICAL_BASE + "def/participedia/")
        for name, target in (
            ("approach", v.approach),
            ("public-spectrum", v.spectrum),
            ("organizer-type", v.organizer_type),
            ("sector", v.sector),
            ("general-issues", v.issue),
        ):
            scheme = ox.NamedNode(base + name)
            for q in store.quads_for_pattern(None, ox.NamedNode(SKOS + "inScheme"), scheme, None):
                concept = q.subject
                targets = [
                    str(getattr(m.object, "value", ""))
                    for p in CLASSIFY
                    for m in store.quads_for_pattern(concept, ox.NamedNode(SKOS + p), None, None)
                ]
                for n in store.quads_for_pattern(
                    concept, ox.NamedNode(SKOS + "notation"), None, None
                ):
                    target[str(getattr(n.object, "value", ""))] = targets
        iap2 = settings.rebase(CANONICAL_BASE + "def/iap2/")
        govrole = settings.rebase(CANONICAL_BASE + "def/government-role/")
        for p in ("exactMatch", "closeMatch"):
            for q in store.quads_for_pattern(None, ox.NamedNode(SKOS + p), None, None):
                s, o = str(getattr(q.subject, "value", "")), str(getattr(q.object, "value", ""))
                if s.startswith(iap2) and o.startswith(govrole):
                    v.govrole.setdefault(s, []).append(o)
        return v

    @property
    def empty(self) -> bool:
        return not (self.approach and self.spectrum and self.organizer_type)


@dataclass
class _File:
    kind: str  # case | method | organization | auto
    path: Path
    display: str
    header: list[str]
    rows: list[Row]


class ParticipediaLoader:
    name: ClassVar[str] = "participedia"
    title: ClassVar[str] = "Participedia CSV export"

    @classmethod
    def accepts(cls, source: Source) -> bool:
        if (source.format or "").lower() == "participedia":
            return True
        if source.is_url:
            return False
        path = source.path
        if path.is_dir():
            return any((path / n).exists() for n in FILE_NAMES.values())
        if path.suffix.lower() != ".csv":
            return False
        return path.name.lower().startswith("participedia") or _sniff(path)

    def default_graph_name(self, source: Source) -> str:
        return "participedia"

    def files(self, source: Source) -> list[tuple[str, Path]]:
        path = source.path
        if path.is_dir():
            found = [(k, path / FILE_NAMES[k]) for k in KINDS if (path / FILE_NAMES[k]).exists()]
            if not found:
                raise LoadError(
                    [
                        Problem(
                            source.display(),
                            "no Participedia export files in this folder "
                            f"(expected {', '.join(FILE_NAMES.values())})",
                            rule="file",
                        )
                    ]
                )
            return found
        name = path.name.lower()
        for k in KINDS:
            if f"{k}s" in name or f"{k}es" in name:
                return [(k, path)]
        return [("auto", path)]

    def write(
        self,
        source: Source,
        store: ox.Store,
        graph: ox.NamedNode,
        settings: Settings,
        check: Session | None = None,
    ) -> LoadStats:
        vocab = Vocab.read(store, settings)
        if vocab.empty:
            raise LoadError(
                [
                    Problem(
                        source.display(),
                        "the Participedia vocabulary mappings are not in the store; load the "
                        "bundled data first (kiemen load)",
                        rule="mappings loaded",
                    )
                ]
            )
        stats = LoadStats(license=LICENCE)
        problems: list[Problem] = []
        files: list[_File] = []
        for kind, path in self.files(source):
            display = str(path)
            reader = TableReader(path, display, fmt="csv", delimiter=",")
            rows = list(reader.rows())
            files.append(_File(kind, path, display, reader.header, rows))
            stats.files.append((display, sha256_file(path)))
        mapper = _Mapper(settings, vocab, graph, problems, stats, store)
        mapper.prepare(files)
        for f in files:
            quads = mapper.file_quads(f)
            store.bulk_extend(check.through(quads) if check is not None else quads)
            if len(problems) >= 200:
                break
        if problems:
            raise LoadError(problems)
        stats.notes += mapper.summary(files)
        return stats

    def locate(self, source: Source, iris: set[str], settings: Settings) -> dict[str, Location]:
        found: dict[str, Location] = {}
        ids = {}
        for iri in iris:
            m = re.search(r"participedia-(case|organization|method)-(\d+)", iri) or re.search(
                r"/participedia/method/(\d+)$", iri
            )
            if m:
                ids[iri] = m.group(m.lastindex or 1)
        for _kind, path in self.files(source):
            reader = TableReader(path, str(path), fmt="csv", delimiter=",")
            for row in reader.rows():
                rid = row.cells.get("id", "")
                for iri, wanted in ids.items():
                    if wanted == rid and iri not in found:
                        found[iri] = (str(path), None, row.number, None)
        return found


class _Mapper:
    def __init__(
        self,
        settings: Settings,
        vocab: Vocab,
        graph: ox.NamedNode,
        problems: list[Problem],
        stats: LoadStats,
        store: ox.Store,
    ) -> None:
        self.s = settings
        self.vocab = vocab
        self.opts = Options.bundled()
        self.graph = graph
        self.problems = problems
        self.stats = stats
        self.store = store
        base = settings.base_uri
        self.km = base + "def/"
        self.ppf = base + "def/participedia/field/"
        self.id = base + "id/"
        self.methods: dict[str, ox.NamedNode] = {}  # method id -> concept
        self.method_titles: dict[str, str] = {}  # title -> method id
        self.case_ids: set[str] = set()
        self.case_titles: dict[str, str] = {}  # title -> case id
        self.org_ids: set[str] = set()
        self.org_types: dict[str, list[str]] = {}  # organisation id -> actor types
        self.org_named_types: dict[str, list[str]] = {}  # types the cases give an organiser
        self._done: set[str] = set()
        self._preds: dict[str, ox.NamedNode] = {}
        self._columns: set[str] = set()  # kept columns, declared as properties
        self._pending: list[str] = []
        self.written: Counter[str] = Counter()
        self.read: Counter[str] = Counter()
        self.current: tuple[str, Row] | None = None

    # -- helpers ------------------------------------------------------------------------------
    def n(self, iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def q(self, s: Any, p: str, o: Any) -> ox.Quad:
        pred = self._preds.get(p)
        if pred is None:
            pred = self._preds[p] = ox.NamedNode(p)
        return ox.Quad(s, pred, o, self.graph)

    def texts(self, s: Any, p: str, text: str, lang: str = "") -> Iterator[ox.Quad]:
        """The text in Dutch and English (Kiemen repeats a text that has no translation) and,
        when the entry was written in another language, tagged with that language too."""
        yield self.q(s, p, ox.Literal(text, language="nl"))
        yield self.q(s, p, ox.Literal(text, language="en"))
        if lang and lang not in ("nl", "en"):
            yield self.q(s, p, ox.Literal(text, language=lang))

    def once(self, key: str) -> bool:
        if key in self._done:
            return False
        self._done.add(key)
        return True

    def error(self, display: str, row: Row, column: str, message: str, rule: str) -> None:
        self.problems.append(Problem(display, message, rule=rule, row=row.number, field=column))

    def warn(self, display: str, row: Row, column: str, message: str, rule: str) -> None:
        self.stats.warnings.append(
            Problem(display, message, rule=rule, row=row.number, field=column, severity="warning")
        )

    def keep(self, s: Any, column: str, text: str) -> ox.Quad:
        """A field with no place in Kiemen's model yet, kept as a plain literal."""
        if column not in self._columns:
            self._columns.add(column)
            self._pending.append(column)
        return self.q(s, self.ppf + column, ox.Literal(text))

    def declarations(self) -> Iterator[ox.Quad]:
        """The kept columns as properties, named as Participedia's pages name them."""
        for column in self._pending:
            prop = self.n(self.ppf + column)
            names = self.opts.columns.get(column, {})
            plain = column.replace("_", " ")
            yield self.q(prop, RDF_TYPE, self.n(RDF + "Property"))
            yield self.q(
                prop,
                RDFS + "label",
                ox.Literal(f"Participedia: {names.get('nl', plain)}", language="nl"),
            )
            yield self.q(
                prop,
                RDFS + "label",
                ox.Literal(f"Participedia: {names.get('en', plain)}", language="en"),
            )
            yield from self.worded(
                prop, RDFS + "comment", msg("participedia.column.comment", column=column)
            )
            yield self.q(prop, DCT + "source", self.n(f"{self.id}reference/participedia"))
        self._pending.clear()

    def language(self, row: Row) -> str:
        lang = row.cells.get("original_language", "").strip().lower()
        return lang if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", lang) else ""

    # -- reading values -------------------------------------------------------------------------
    def values(self, f: _File, row: Row, column: str) -> list[Value]:
        """The values of a column (numbered and brace lists opened), keys where known; every
        unknown one is warned about and comes back with ``key`` None."""
        if column in LIST_FIELDS or column in numbered_columns(f.header):
            parts = column_parts(row.cells, f.header, column)
        else:
            text = row.cells.get(column, "").strip()
            if column in YES_NO and text.lower() in ("1", "0", "true", "false"):
                text = "yes" if text.lower() in TRUE else "no"
            parts = [text] if text else []
        if not self.opts.knows(column):
            return [Value(p.strip(), None) for p in parts if p.strip()]
        out = self.opts.values(column, parts)
        for v in out:
            if v.key is None and self.once(f"warned {f.display} {row.number} {column} {v.text}"):
                self.warn(
                    f.display,
                    row,
                    column,
                    f"{column} value {v.text!r} is not one of Participedia's keys or labels; "
                    "kept as text",
                    "unknown value",
                )
        return out

    def kept_fields(self, f: _File, row: Row, s: Any) -> Iterator[ox.Quad]:
        """Every column that has no Kiemen statement of its own, as plain literals."""
        for column in _base_columns(f.header):
            if column in STRUCTURAL or column in PERSONAL:
                continue
            for v in self.values(f, row, column):
                yield self.keep(s, column, v.key if v.key is not None else v.text)

    def date(self, f: _File, row: Row, column: str) -> ox.Literal | None:
        text = row.cells.get(column, "").strip()
        if not text:
            return None
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?", text)
        try:
            if m is None:
                raise ValueError("not an ISO 8601 date")
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            self.warn(
                f.display,
                row,
                column,
                f"{text!r} is not a date ({exc}); the export writes 2016-10-15; kept as text",
                "date",
            )
            return None
        return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))

    # -- whole files ----------------------------------------------------------------------------
    def prepare(self, files: list[_File]) -> None:
        """What rows say about each other: titles to ids, and organisers' types from cases."""
        for f in files:
            for row in f.rows:
                kind = row.cells.get("type", "").strip() or f.kind
                rid = row.cells.get("id", "").strip()
                title = " ".join(row.cells.get("title", "").split())
                if kind == "method":
                    self.methods[rid] = self.n(f"{self.km}participedia/method/{rid}")
                    self.method_titles.setdefault(title, rid)
                elif kind == "case":
                    self.case_ids.add(rid)
                    self.case_titles.setdefault(title, rid)
                    org = row.cells.get("primary_organizer_id", "").strip()
                    if org:
                        types = self.org_named_types.setdefault(org, [])
                        for t in self.actor_types(f, row, "organizer_types", warn=False):
                            if t not in types:
                                types.append(t)
                elif kind == "organization":
                    self.org_ids.add(rid)

    def file_quads(self, f: _File) -> Iterator[ox.Quad]:
        missing = sorted(REQUIRED - set(f.header))
        if missing:
            for c in missing:
                self.problems.append(
                    Problem(
                        f.display,
                        f"the export has no column {c!r}; is this a Participedia CSV export?",
                        rule="column exists",
                        row=1,
                        field=c,
                    )
                )
            return
        if not f.rows:
            self.problems.append(
                Problem(f.display, "the export has a header but no rows", rule="not empty")
            )
            return
        prev_line = 1
        handler = {"case": self.case, "method": self.method, "organization": self.org}
        for row in f.rows:
            self.read[f.display] += 1
            first = prev_line + 1
            prev_line = row.line
            row_kind = row.cells.get("type", "").strip() or f.kind
            if row_kind not in KINDS:
                self.error(
                    f.display,
                    row,
                    "type",
                    f"unknown entry type {row_kind!r}; expected case, method or organization",
                    "entry type",
                )
                continue
            if f.kind != "auto" and row_kind != f.kind:
                self.warn(
                    f.display,
                    row,
                    "type",
                    f"a {row_kind!r} row in the {f.kind}s export; read as a {row_kind}",
                    "entry type",
                )
            rid = row.cells.get("id", "").strip()
            if not rid.isdigit():
                self.error(
                    f.display, row, "id", f"{rid!r} is not a Participedia id (a number)", "id"
                )
                continue
            if self.once(f"row {row_kind} {rid}"):
                yield from self.document(row_kind, f.path)
                yield from handler[row_kind](f, row, first)
                self.written[row_kind] += 1
            else:
                self.warn(
                    f.display,
                    row,
                    "id",
                    f"{row_kind} {rid} appears again; this row is read into the same entity",
                    "duplicate id",
                )
                yield from handler[row_kind](f, row, first)
            if len(self.problems) >= 200:
                return
        yield from self.declarations()

    def summary(self, files: list[_File]) -> list[str]:
        """The load in numbers: rows read, entities written, warnings by rule."""
        lines = [f"Participedia: {self.read[f.display]} rows read from {f.display}" for f in files]
        lines.append(
            "Participedia: written "
            + ", ".join(f"{self.written[k]} {k}s" for k in ("case", "method", "organization"))
        )
        rules = Counter(w.rule for w in self.stats.warnings)
        lines.append(
            "Participedia: warnings by rule: "
            + (", ".join(f"{r} {n}" for r, n in sorted(rules.items())) or "none")
        )
        return lines

    # -- shared parts ---------------------------------------------------------------------------
    def document(self, kind: str, path: Path) -> Iterator[ox.Quad]:
        doc = self.n(f"{self.id}document/participedia-export-{kind}s")
        if not self.once(doc.value):
            return
        yield self.q(doc, RDF_TYPE, self.n(self.km + "SourceDocument"))
        yield self.q(
            doc, DCT + "title", ox.Literal(f"Participedia CSV export: {kind}s", language="en")
        )
        year = dt.date.fromtimestamp(path.stat().st_mtime).year
        yield self.q(
            doc, DCT + "issued", ox.Literal(str(year), datatype=ox.NamedNode(XSD + "gYear"))
        )
        yield self.q(doc, DCT + "language", ox.Literal("en"))
        yield self.q(doc, DCT + "publisher", ox.Literal("Participedia"))
        yield self.q(doc, DCT + "license", self.n(LICENCE))

    def section(self, kind: str, row: Row, first_line: int) -> tuple[ox.NamedNode, list[ox.Quad]]:
        rid = row.cells["id"].strip()
        sec = self.n(f"{self.id}section/participedia-{kind}-{rid}")
        doc = self.n(f"{self.id}document/participedia-export-{kind}s")
        quads = [
            self.q(sec, RDF_TYPE, self.n(self.km + "Section")),
            self.q(sec, self.km + "sectionType", self.n(self.km + "section-type/section")),
            self.q(sec, DCT + "title", ox.Literal(f"Participedia, {kind} {rid}", language="nl")),
            self.q(sec, DCT + "isPartOf", doc),
            self.q(sec, self.km + "inDocument", doc),
            self.q(sec, self.km + "lineStart", _int(first_line)),
            self.q(sec, self.km + "lineEnd", _int(max(first_line, row.line))),
            self.q(sec, SCHEMA + "url", self.n(ENTRY_PAGE.format(kind=kind, id=rid))),
        ]
        return sec, quads

    def entry(self, kind: str, row: Row, s: Any) -> Iterator[ox.Quad]:
        """The entry's page on participedia.net and the language it was written in."""
        rid = row.cells["id"].strip()
        yield self.q(s, RDFS + "seeAlso", self.n(ENTRY_PAGE.format(kind=kind, id=rid)))
        lang = self.language(row)
        if lang:
            yield self.q(s, DCT + "language", ox.Literal(lang))

    def title(self, f: _File, row: Row, kind: str) -> str:
        title = " ".join(row.cells.get("title", "").split())
        if not title:
            self.warn(f.display, row, "title", "the entry has no title; named by its id", "title")
            title = f"Participedia {kind} {row.cells['id'].strip()}"
        return title

    def description(self, f: _File, row: Row, fallback: str) -> str:
        text = " ".join(row.cells.get("description", "").split())
        if not text:
            body = re.sub(r"<[^>]+>", " ", row.cells.get("body", ""))
            text = " ".join(body.split())[:600]
        if not text:
            self.warn(
                f.display,
                row,
                "description",
                "the entry has no description nor body; its title stands in",
                "description",
            )
            text = fallback
        return text

    # -- places ---------------------------------------------------------------------------------
    def country(self, f: _File, row: Row) -> str | None:
        text = row.cells.get("country", "").strip()
        if not text:
            return None

        code = self.opts.countries.get(normalise(text)) or country_code(text)
        if code is None:
            self.warn(
                f.display,
                row,
                "country",
                f"country {text!r} is not a country name known in any language; kept as text",
                "country",
            )
        return code

    def coordinates(self, f: _File, row: Row) -> tuple[float, float] | None:
        lat, long = row.cells.get("latitude", "").strip(), row.cells.get("longitude", "").strip()
        if not lat and not long:
            return None
        try:
            flat, flong = float(lat), float(long)
            if not (-90 <= flat <= 90 and -180 <= flong <= 180):
                raise ValueError("out of range")
        except ValueError:
            col = "latitude" if not _is_float(lat, 90) else "longitude"
            self.warn(
                f.display,
                row,
                col,
                f"coordinates {lat!r}, {long!r} are not a latitude and longitude in degrees; "
                "kept as text",
                "coordinates",
            )
            return None
        if flat == 0 and flong == 0:
            return None  # the export's "no coordinates"
        return flat, flong

    def place(self, f: _File, row: Row, s: Any, own_iri: str) -> Iterator[ox.Quad]:
        """``dcterms:spatial`` of an entity: a canonical place where one matches, else its own."""
        c = row.cells
        iso = self.country(f, row)
        point = self.coordinates(f, row)
        city = " ".join(c.get("city", "").split())
        province = " ".join(c.get("province", "").split())
        name = city or province
        kept = [
            col
            for col in ("city", "province", "country", "latitude", "longitude")
            if c.get(col, "").strip()
        ]
        if point is None:  # coordinates that are no coordinates stay as the export wrote them
            for col in ("latitude", "longitude"):
                if c.get(col, "").strip() and iso is not None:
                    yield self.keep(s, col, c[col].strip())
        if iso is None:
            for col in kept:
                yield self.keep(s, col, c[col].strip())
            return
        lat, long = point if point else (None, None)
        match = (
            resolve_place(
                self.s.id_ns, name, country=iso, province=province or None, lat=lat, long=long
            )
            if name
            else None
        )
        if not name or match is not None:
            target = match or resolve_place(self.s.id_ns, "", country=iso)
            placed = target is not None and (
                yield from self._canonical_place(s, target, name, lat, long)
            )
            if not placed:
                for col in kept:
                    yield self.keep(s, col, c[col].strip())
            return
        if point is None:
            # A town without coordinates and unknown to the gazetteer: the country, and the
            # town's name kept.
            if (yield from self.describe_country(iso)):
                yield self.q(s, DCT + "spatial", self.n(country_iri(self.s.id_ns, iso)))
            for col in ("city", "province"):
                if c.get(col, "").strip():
                    yield self.keep(s, col, c[col].strip())
            return
        yield from self._own_place(s, own_iri, row, iso, name, point, bool(city))

    def _canonical_place(
        self, s: Any, target: Any, name: str, lat: float | None, long: float | None
    ) -> Generator[ox.Quad, None, bool]:
        """Link to a place every source shares; False if it could not be described."""
        plat = target.lat if target.lat is not None else (lat if name else None)
        plong = target.long if target.long is not None else (long if name else None)
        described = yield from self.describe_place(
            target.iri, name or "", target.kind, target.country, plat, plong
        )
        if described:
            yield self.q(s, DCT + "spatial", self.n(target.iri))
        return bool(described)

    def _own_place(
        self,
        s: Any,
        own_iri: str,
        row: Row,
        iso: str,
        name: str,
        point: tuple[float, float],
        is_city: bool,
    ) -> Iterator[ox.Quad]:
        """A town the gazetteer does not know, with the export's coordinates: a place of its own."""
        place = self.n(own_iri)
        country = self.country_name(iso, "en") or row.cells.get("country", "").strip()
        ptype = "city" if is_city else "region"
        yield self.q(place, RDF_TYPE, self.n(self.km + "Place"))
        yield self.q(
            place,
            SKOS + "prefLabel",
            ox.Literal(f"{name}, {self.country_name(iso, 'nl') or country}", language="nl"),
        )
        yield self.q(place, SKOS + "prefLabel", ox.Literal(f"{name}, {country}", language="en"))
        yield self.q(place, self.km + "placeType", self.n(f"{self.km}place-type/{ptype}"))
        yield from self.point(place, point[0], point[1])
        yield self.q(place, self.km + "countryCode", ox.Literal(iso))
        if (yield from self.describe_country(iso)):
            yield self.q(place, SCHEMA + "containedInPlace", self.n(country_iri(self.s.id_ns, iso)))
        yield self.q(s, DCT + "spatial", place)

    def point(self, place: Any, lat: float, long: float) -> Iterator[ox.Quad]:
        dec = ox.NamedNode(XSD + "decimal")
        yield self.q(place, WGS + "lat", ox.Literal(f"{lat:.6f}", datatype=dec))
        yield self.q(place, WGS + "long", ox.Literal(f"{long:.6f}", datatype=dec))

    def country_name(self, iso: str, lang: str) -> str | None:
        return _country_name(iso, lang)

    def describe_country(self, iso: str) -> Generator[ox.Quad, None, bool]:
        """Describe the canonical country place unless the store already does; True if linkable."""
        lat_long = capital(iso)
        return (
            yield from self.describe_place(
                country_iri(self.s.id_ns, iso),
                "",
                "country",
                iso,
                lat_long[0] if lat_long else None,
                lat_long[1] if lat_long else None,
            )
        )

    def describe_place(
        self, iri: str, name: str, kind: str, iso: str, lat: float | None, long: float | None
    ) -> Generator[ox.Quad, None, bool]:
        """A canonical place as a km:Place, unless another graph (the places reference data)
        already describes it. Returns whether the place can be linked to."""
        if iri in self._done:
            return True
        node = self.n(iri)
        if (
            next(
                self.store.quads_for_pattern(
                    node, self.n(RDF_TYPE), self.n(self.km + "Place"), None
                ),
                None,
            )
            is not None
        ):
            self._done.add(iri)
            return True
        if kind == "country":
            lat_long = capital(iso)
            lat, long = lat_long if lat_long else (lat, long)
        if lat is None or long is None:
            return False
        self._done.add(iri)
        ptype = {"country": "country", "province": "province", "municipality": "municipality"}
        label_nl = name or self.country_name(iso, "nl") or iso
        label_en = name or self.country_name(iso, "en") or iso
        yield self.q(node, RDF_TYPE, self.n(self.km + "Place"))
        yield self.q(node, SKOS + "prefLabel", ox.Literal(label_nl, language="nl"))
        yield self.q(node, SKOS + "prefLabel", ox.Literal(label_en, language="en"))
        yield self.q(
            node, self.km + "placeType", self.n(f"{self.km}place-type/{ptype.get(kind, 'city')}")
        )
        yield from self.point(node, lat, long)
        yield self.q(node, self.km + "countryCode", ox.Literal(iso))
        if kind != "country" and (yield from self.describe_country(iso)):
            yield self.q(node, SCHEMA + "containedInPlace", self.n(country_iri(self.s.id_ns, iso)))
        return True

    # -- links between entries ------------------------------------------------------------------
    def titled(
        self, f: _File, row: Row, column: str, titles: dict[str, str]
    ) -> tuple[list[str], list[str]]:
        """Ids of the entries a list of titles names (titles may hold commas), and the rest."""
        parts = [p.strip() for p in row.cells.get(column, "").split(",")]
        ids: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(parts):
            for j in range(len(parts), i, -1):
                cand = " ".join(", ".join(parts[i:j]).split())
                if cand in titles:
                    ids.append(titles[cand])
                    i = j
                    break
            else:
                if parts[i]:
                    rest.append(parts[i])
                i += 1
        return ids, rest

    def link_iri(self, ln: Link) -> ox.NamedNode | None:
        if ln.type == "method" and ln.id in self.methods:
            return self.methods[ln.id]
        if ln.type == "case" and ln.id in self.case_ids:
            return self.n(f"{self.id}initiative/participedia-case-{ln.id}")
        if ln.type == "organization" and ln.id in self.org_ids:
            return self.n(f"{self.id}actor/participedia-organization-{ln.id}")
        return None

    # -- cases ----------------------------------------------------------------------------------
    def case(self, f: _File, row: Row, first_line: int) -> Iterator[ox.Quad]:
        c = row.cells
        rid = c["id"].strip()
        lang = self.language(row)
        ini = self.n(f"{self.id}initiative/participedia-case-{rid}")
        title = self.title(f, row, "case")
        text = self.description(f, row, title)
        sec, sec_quads = self.section("case", row, first_line)
        yield from sec_quads
        yield self.q(ini, RDF_TYPE, self.n(self.km + "Initiative"))
        yield from self.texts(ini, SKOS + "prefLabel", title, lang)
        yield from self.texts(ini, DCT + "description", text, lang)
        yield from self.entry("case", row, ini)
        yield from self.forms(f, row, ini, rid)
        themes: list[str] = []
        for v in self.values(f, row, "general_issues"):
            themes += [t for t in self.vocab.issue.get(v.key or "", []) if t not in themes]
        for t in themes:
            yield self.q(ini, DCT + "subject", self.n(t))
        for column, pred in (("start_date", "startDate"), ("end_date", "endDate")):
            day = self.date(f, row, column)
            if day is not None:
                yield self.q(ini, SCHEMA + pred, day)
            elif c.get(column, "").strip():
                yield self.keep(ini, column, c[column].strip())
        if c.get("ongoing", "").strip().lower() in TRUE:
            yield from self.worded(ini, self.km + "periodNote", msg("participedia.ongoing"))
        yield from self.place(f, row, ini, f"{self.id}place/participedia-case-{rid}")
        ids, rest = self.titled(
            f, row, "specific_methods_tools_techniques_titles", self.method_titles
        )
        for mid in ids:
            yield self.q(ini, DCT + "relation", self.methods[mid])
        for t in rest:
            yield self.keep(ini, "specific_methods_tools_techniques_titles", t)
        ids, rest = self.titled(f, row, "has_components_titles", self.case_titles)
        for cid in ids:
            yield self.q(
                ini, DCT + "hasPart", self.n(f"{self.id}initiative/participedia-case-{cid}")
            )
        for t in rest:
            yield self.keep(ini, "has_components_titles", t)
        parent = c.get("is_component_of_id", "").strip()
        if parent in self.case_ids and parent != rid:
            yield self.q(
                ini, DCT + "isPartOf", self.n(f"{self.id}initiative/participedia-case-{parent}")
            )
        elif parent or c.get("is_component_of_title", "").strip():
            yield self.keep(
                ini, "is_component_of_title", c.get("is_component_of_title", "").strip() or parent
            )
        yield from self.kept_fields(f, row, ini)
        yield self.q(ini, PROV + "wasDerivedFrom", sec)
        yield from self.roles(f, row, ini, sec)

    def forms(self, f: _File, row: Row, ini: ox.NamedNode, rid: str) -> Iterator[ox.Quad]:
        forms: list[str] = []
        for v in self.values(f, row, "approaches"):
            forms += [x for x in self.vocab.approach.get(v.key or "", []) if x not in forms]
        for x in forms:
            yield self.q(ini, self.km + "inferredForm", self.n(x))
        if forms:
            return
        yield self.q(ini, self.km + "inferredForm", self.n(self.km + "form/public-participation"))
        yield from self.uncertainty(
            ini,
            f"participedia-case-{rid}-form",
            self.km + "inferredForm",
            msg("participedia.uncertainty.form"),
        )

    def uncertainty(self, s: Any, name: str, concerns: str, why: Text) -> Iterator[ox.Quad]:
        unc = self.n(f"{self.id}uncertainty/{name}")
        yield self.q(s, self.km + "hasUncertainty", unc)
        yield self.q(unc, RDF_TYPE, self.n(self.km + "Uncertainty"))
        yield self.q(unc, self.km + "concerns", self.n(concerns))
        yield from self.worded(unc, RDFS + "comment", why)

    def worded(self, s: Any, p: str, text: Text) -> Iterator[ox.Quad]:
        """A text Kiemen writes into the data, in every language of the catalogues."""
        for lang, wording in bundled().both(text).items():
            yield self.q(s, p, ox.Literal(wording, language=lang))

    def roles(self, f: _File, row: Row, ini: ox.NamedNode, sec: ox.NamedNode) -> Iterator[ox.Quad]:
        c = row.cells
        rid = c["id"].strip()
        org_id = c.get("primary_organizer_id", "").strip()
        org_title = " ".join(c.get("primary_organizer_title", "").split())
        org_types = self.actor_types(f, row, "organizer_types", warn=False)
        org_types += [t for t in self.org_types.get(org_id, []) if t not in org_types]
        organiser_is_gov = any(t.rsplit("/", 1)[-1] in GOVERNMENT_TYPES for t in org_types)
        organiser = None
        if org_title or org_id:
            in_export = org_id in self.org_ids
            organiser = self.n(
                f"{self.id}actor/participedia-organization-{org_id}"
                if org_id
                else f"{self.id}actor/participedia-{slugify(org_title)}"
            )
            if not in_export:  # an organisation the export does not hold: described here
                yield from self.actor(
                    organiser,
                    org_title or f"Participedia organization {org_id}",
                    org_types,
                    sec,
                    f"participedia-case-{rid}-organiser",
                )
            yield from self.involvement(
                f"participedia-case-{rid}--organiser",
                ini,
                organiser,
                self.km + "role/organiser",
                True,
                sec,
            )
            if organiser_is_gov:
                for level in self.vocab.spectrum.get(self.single(f, row, "public_spectrum"), []):
                    for govrole in self.vocab.govrole.get(level, []):
                        yield from self.involvement(
                            f"participedia-case-{rid}--organiser-government-role",
                            ini,
                            organiser,
                            govrole,
                            False,
                            sec,
                            comment=msg("participedia.involvement.from-iap2"),
                        )
        funder_title = " ".join(c.get("funder", "").split())
        funder_types = self.actor_types(f, row, "funder_types", warn=False)
        if funder_title:
            funder = (
                organiser
                if organiser is not None and funder_title == org_title
                else self.n(f"{self.id}actor/participedia-{slugify(funder_title)}")
            )
            if funder is not organiser:
                yield from self.actor(
                    funder, funder_title, funder_types, sec, f"participedia-case-{rid}-funder"
                )
            yield from self.involvement(
                f"participedia-case-{rid}--funder", ini, funder, self.km + "role/funder", True, sec
            )
            funder_is_gov = any(t.rsplit("/", 1)[-1] in GOVERNMENT_TYPES for t in funder_types)
            if funder_is_gov and not organiser_is_gov:
                yield from self.involvement(
                    f"participedia-case-{rid}--funder-government-role",
                    ini,
                    funder,
                    self.km + "government-role/facilitating",
                    False,
                    sec,
                    comment=msg("participedia.involvement.funder-facilitates"),
                )

    def single(self, f: _File, row: Row, column: str) -> str:
        found = [v.key for v in self.opts.values(column, [row.cells.get(column, "")]) if v.key]
        return found[0] if found else ""

    def actor_types(self, f: _File, row: Row, column: str, *, warn: bool = True) -> list[str]:
        table = self.vocab.sector if column == "sector" else self.vocab.organizer_type
        out: list[str] = []
        actortype = self.km + "actor-type/"
        if column in LIST_FIELDS or column in numbered_columns(f.header):
            parts = column_parts(row.cells, f.header, column)
        else:
            parts = [row.cells.get(column, "")]
        for v in self.opts.values(column, parts):
            out += [
                t for t in table.get(v.key or "", []) if t.startswith(actortype) and t not in out
            ]
        return out

    def actor(
        self, iri: ox.NamedNode, title: str, types: list[str], sec: ox.NamedNode, name: str
    ) -> Iterator[ox.Quad]:
        if not self.once(f"actor {iri.value}"):
            return
        yield self.q(iri, RDF_TYPE, self.n(self.km + "Organisation"))
        yield from self.texts(iri, SKOS + "prefLabel", title)
        yield from self.types(iri, types, name)
        yield self.q(iri, PROV + "wasDerivedFrom", sec)

    def types(self, iri: ox.NamedNode, types: list[str], name: str) -> Iterator[ox.Quad]:
        for t in types:
            yield self.q(iri, self.km + "actorType", self.n(t))
        if types:
            return
        # Kiemen needs a type for every actor; Participedia gave none that maps.
        yield self.q(
            iri, self.km + "actorType", self.n(self.km + "actor-type/civil-society-organisation")
        )
        yield from self.uncertainty(
            iri,
            f"{name}-actor-type",
            self.km + "actorType",
            msg("participedia.uncertainty.actor-type"),
        )

    def involvement(
        self,
        name: str,
        ini: ox.NamedNode,
        actor: ox.NamedNode,
        role: str,
        stated: bool,
        sec: ox.NamedNode,
        comment: Text | None = None,
    ) -> Iterator[ox.Quad]:
        inv = self.n(f"{self.id}involvement/{name}")
        yield self.q(inv, RDF_TYPE, self.n(self.km + "Involvement"))
        yield self.q(inv, self.km + "initiative", ini)
        yield self.q(inv, self.km + "actor", actor)
        yield self.q(inv, self.km + "hasRole", self.n(role))
        yield self.q(
            inv,
            self.km + "roleStated",
            ox.Literal("true" if stated else "false", datatype=ox.NamedNode(XSD + "boolean")),
        )
        yield self.q(inv, PROV + "wasDerivedFrom", sec)
        if comment:
            yield from self.worded(inv, RDFS + "comment", comment)

    # -- methods --------------------------------------------------------------------------------
    def method(self, f: _File, row: Row, first_line: int) -> Iterator[ox.Quad]:
        c = row.cells
        rid = c["id"].strip()
        lang = self.language(row)
        title = self.title(f, row, "method")
        text = self.description(f, row, title)
        scheme = self.n(self.km + "participedia/method")
        if self.once(scheme.value):
            yield self.q(scheme, RDF_TYPE, self.n(SKOS + "ConceptScheme"))
            yield from self.worded(scheme, SKOS + "prefLabel", msg("participedia.methods.label"))
            yield from self.worded(
                scheme, SKOS + "definition", msg("participedia.methods.definition")
            )
        concept = self.methods[rid]
        yield self.q(concept, RDF_TYPE, self.n(SKOS + "Concept"))
        yield self.q(concept, SKOS + "inScheme", scheme)
        yield self.q(concept, SKOS + "notation", ox.Literal(rid))
        yield from self.texts(concept, SKOS + "prefLabel", title, lang)
        yield from self.texts(concept, SKOS + "definition", text, lang)
        yield self.q(concept, DCT + "source", self.n(f"{self.id}reference/participedia"))
        yield from self.entry("method", row, concept)
        for level in self.vocab.spectrum.get(self.single(f, row, "public_spectrum"), []):
            yield self.q(concept, SKOS + "relatedMatch", self.n(level))
        yield from self.kept_fields(f, row, concept)

    # -- organisations --------------------------------------------------------------------------
    def org(self, f: _File, row: Row, first_line: int) -> Iterator[ox.Quad]:
        c = row.cells
        rid = c["id"].strip()
        lang = self.language(row)
        types = self.actor_types(f, row, "sector")  # an unknown sector is warned of below
        types += [t for t in self.org_named_types.get(rid, []) if t not in types]
        self.org_types[rid] = types
        sec, sec_quads = self.section("organization", row, first_line)
        yield from sec_quads
        actor = self.n(f"{self.id}actor/participedia-organization-{rid}")
        title = self.title(f, row, "organization")
        self.once(f"actor {actor.value}")
        yield self.q(actor, RDF_TYPE, self.n(self.km + "Organisation"))
        yield from self.texts(actor, SKOS + "prefLabel", title, lang)
        yield from self.types(actor, types, f"participedia-organization-{rid}")
        yield self.q(actor, PROV + "wasDerivedFrom", sec)
        text = " ".join(c.get("description", "").split())
        if text:
            yield from self.texts(actor, DCT + "description", text, lang)
        yield from self.entry("organization", row, actor)
        yield from self.place(f, row, actor, f"{self.id}place/participedia-organization-{rid}")
        for part in column_parts(c, f.header, "specific_methods_tools_techniques"):
            ln = link(part)
            target = self.link_iri(ln) if ln else None
            if target is not None:
                yield self.q(actor, DCT + "relation", target)
            else:
                yield self.keep(
                    actor, "specific_methods_tools_techniques", ln.title if ln else part.strip()
                )
        yield from self.kept_fields(f, row, actor)


def _base_columns(header: list[str]) -> list[str]:

    return base_columns(header)


def _sniff(path: Path) -> bool:
    """Whether a CSV file starts like Participedia's export, whatever its name (the site's
    download is named by its export id, e.g. ``1231700000000.csv``)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(200).removeprefix(b"\xef\xbb\xbf").replace(b'"', b"")
    except OSError:
        return False
    return head.startswith(b"id,type,title,url,description,featured,")


@functools.cache
def _country_name(iso: str, lang: str) -> str | None:
    """The CLDR name of a country in Dutch or English."""

    name = Locale.parse(lang).territories.get(iso)
    return str(name) if name else None


def _int(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))


def _is_float(text: str, limit: float) -> bool:
    try:
        return abs(float(text)) <= limit
    except ValueError:
        return False
