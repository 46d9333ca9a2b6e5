"""Participedia's CSV export (cases, methods, organisations) onto the Kiemen model.

The export's columns are Participedia's (participedia/api, ``create-csv-data-dump.js``); lists
such as ``approaches`` are keys joined with ", ". Participedia's vocabularies and their mapping
onto Kiemen's schemes are data, in the bundled graph ``mappings`` (data/mappings/*.ttl); this
loader reads them from the store, so changing a mapping changes the import without code:

* a case becomes a ``km:Initiative``; its ``approaches`` give ``km:inferredForm`` through
  exactMatch, closeMatch or broadMatch (relatedMatch never classifies);
* its location a ``km:Place`` (with an ISO country code), its dates ``schema:startDate`` and
  ``schema:endDate``;
* its primary organiser and funder become actors (types through ``organizer_types`` or the
  organisation's ``sector``) with involvements as ``role:organiser`` and ``role:funder``; a
  government organiser also gets the government role that the case's ``public_spectrum``
  (IAP2) maps onto, and a government funder of a case others organise ``govrole:facilitating``
  (both marked ``km:roleStated false``: derived, not said);
* a method becomes a concept of the scheme of Participedia methods, an organisation a
  ``km:Organisation``; every row is a ``km:Section`` of the export (with its lines), so each
  statement can be traced to the export.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyoxigraph as ox

from loaders.base import LoadError, LoadStats, Location, Problem, Source, sha256_file
from loaders.countries import country_code
from loaders.tabular import Row, TableReader
from portal.config import CANONICAL_BASE, Settings

if TYPE_CHECKING:
    from loaders.checker import Session

SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
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


@dataclass
class Vocab:
    """Participedia keys to Kiemen concepts, read from the mappings in the store."""

    approach: dict[str, list[str]] = field(default_factory=dict)
    spectrum: dict[str, list[str]] = field(default_factory=dict)  # key -> iap2 concepts
    organizer_type: dict[str, list[str]] = field(default_factory=dict)
    sector: dict[str, list[str]] = field(default_factory=dict)
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


def keys(cell: str) -> list[str]:
    return [k.strip() for k in cell.split(",") if k.strip()]


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
        return path.name.lower().startswith("participedia") and path.suffix.lower() == ".csv"

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
        stats = LoadStats()
        problems: list[Problem] = []
        mapper = _Mapper(settings, vocab, graph, problems, stats)
        for kind, path in self.files(source):
            display = str(path)
            reader = TableReader(path, display, fmt="csv", delimiter=",")
            quads = mapper.file_quads(kind, path, display, reader)
            store.bulk_extend(check.through(quads) if check is not None else quads)
            stats.files.append((display, sha256_file(path)))
            if len(problems) >= 200:
                break
        if problems:
            raise LoadError(problems)
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
    ) -> None:
        self.s = settings
        self.vocab = vocab
        self.graph = graph
        self.problems = problems
        self.stats = stats
        self.methods: dict[str, ox.NamedNode] = {}  # title -> concept
        self.org_types: dict[str, list[str]] = {}  # organisation id -> actor types
        base = settings.base_uri
        self.km = base + "def/"
        self.id = base + "id/"
        self._doc_done: set[str] = set()

    # -- helpers ------------------------------------------------------------------------------
    def n(self, iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def q(self, s: Any, p: str, o: Any) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(p), o, self.graph)

    def texts(self, s: Any, p: str, text: str) -> Iterator[ox.Quad]:
        """The same text in Dutch and English: Participedia has one language per entry, and
        Kiemen's rule is to repeat a name that has no translation."""
        yield self.q(s, p, ox.Literal(text, language="nl"))
        yield self.q(s, p, ox.Literal(text, language="en"))

    def problem(self, display: str, row: Row, column: str, message: str, rule: str) -> None:
        self.problems.append(Problem(display, message, rule=rule, row=row.number, field=column))

    def date(self, display: str, row: Row, column: str) -> ox.Literal | None:
        text = row.cells.get(column, "").strip()
        if not text:
            return None
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+Z?)?", text)
        try:
            if m is None:
                raise ValueError("not an ISO 8601 date")
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            self.problem(
                display,
                row,
                column,
                f"{text!r} is not a date ({exc}); the export "
                "writes dates as 2016-10-15T00:00:00.000Z",
                "date",
            )
            return None
        return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))

    def document(self, kind: str, path: Path) -> Iterator[ox.Quad]:
        doc = self.n(f"{self.id}document/participedia-export-{kind}s")
        if doc.value in self._doc_done:
            return
        self._doc_done.add(doc.value)
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
        ]
        url = row.cells.get("url", "").strip()
        if url.startswith("http"):
            with contextlib.suppress(ValueError):
                quads.append(self.q(sec, SCHEMA + "url", ox.NamedNode(url)))
        return sec, quads

    def place(self, display: str, row: Row, iri: str) -> tuple[ox.NamedNode | None, list[ox.Quad]]:
        lat, long = row.cells.get("latitude", "").strip(), row.cells.get("longitude", "").strip()
        country = row.cells.get("country", "").strip()
        if not lat or not long:
            return None, []
        try:
            flat, flong = float(lat), float(long)
            if not (-90 <= flat <= 90 and -180 <= flong <= 180):
                raise ValueError("out of range")
        except ValueError:
            col = "latitude" if not _is_float(lat, 90) else "longitude"
            self.problem(
                display,
                row,
                col,
                f"coordinates {lat}, {long} are not a latitude and longitude in degrees",
                "coordinates",
            )
            return None, []
        code = country_code(country) if country else None
        if code is None:
            if country:
                self.problem(display, row, "country", f"unknown country {country!r}", "country")
            return None, []
        place = self.n(iri)
        city, province = row.cells.get("city", "").strip(), row.cells.get("province", "").strip()
        name = ", ".join(x for x in (city or province, country) if x)
        ptype = "city" if city else ("region" if province else "country")
        quads = [self.q(place, RDF_TYPE, self.n(self.km + "Place"))]
        quads += self.texts(place, SKOS + "prefLabel", name)
        quads += [
            self.q(place, self.km + "placeType", self.n(f"{self.km}place-type/{ptype}")),
            self.q(
                place,
                WGS + "lat",
                ox.Literal(f"{flat:.6f}", datatype=ox.NamedNode(XSD + "decimal")),
            ),
            self.q(
                place,
                WGS + "long",
                ox.Literal(f"{flong:.6f}", datatype=ox.NamedNode(XSD + "decimal")),
            ),
            self.q(place, self.km + "countryCode", ox.Literal(code)),
        ]
        return place, quads

    # -- files --------------------------------------------------------------------------------
    def file_quads(
        self, kind: str, path: Path, display: str, reader: TableReader
    ) -> Iterator[ox.Quad]:
        prev_line = 1
        checked = False
        for row in reader.rows():
            if not checked:
                checked = True
                missing = sorted(REQUIRED - set(reader.header))
                if missing:
                    for c in missing:
                        self.problems.append(
                            Problem(
                                display,
                                f"the export has no column {c!r}; is this a "
                                "Participedia CSV export?",
                                rule="column exists",
                                row=1,
                                field=c,
                            )
                        )
                    return
            row_kind = row.cells.get("type", "").strip() or kind
            if kind != "auto" and row_kind != kind:
                self.problem(
                    display, row, "type", f"a {row_kind!r} row in the {kind}s export", "entry type"
                )
                continue
            if row_kind not in KINDS:
                self.problem(
                    display,
                    row,
                    "type",
                    f"unknown entry type {row_kind!r}; expected case, method or organization",
                    "entry type",
                )
                continue
            rid = row.cells.get("id", "").strip()
            if not rid.isdigit():
                self.problem(
                    display, row, "id", f"{rid!r} is not a Participedia id (a number)", "id"
                )
                continue
            if not row.cells.get("title", "").strip():
                self.problem(display, row, "title", "the entry has no title", "required")
                continue
            yield from self.document(row_kind, path)
            first = prev_line + 1
            prev_line = row.line
            handler = {"case": self.case, "method": self.method, "organization": self.org}
            yield from handler[row_kind](display, row, first)
            if len(self.problems) >= 200:
                return
        if not checked:
            self.problems.append(
                Problem(display, "the export has a header but no rows", rule="not empty")
            )

    def description(self, display: str, row: Row) -> str | None:
        text = row.cells.get("description", "").strip()
        if not text:
            body = re.sub(r"<[^>]+>", " ", row.cells.get("body", ""))
            text = " ".join(body.split())[:600]
        if not text:
            self.problem(
                display,
                row,
                "description",
                "the entry has no description (nor body); Kiemen needs one",
                "required",
            )
            return None
        return text

    def case(self, display: str, row: Row, first_line: int) -> Iterator[ox.Quad]:
        c = row.cells
        rid = c["id"].strip()
        ini = self.n(f"{self.id}initiative/participedia-case-{rid}")
        text = self.description(display, row)
        start, end = self.date(display, row, "start_date"), self.date(display, row, "end_date")
        if text is None:
            return
        sec, sec_quads = self.section("case", row, first_line)
        yield from sec_quads
        yield self.q(ini, RDF_TYPE, self.n(self.km + "Initiative"))
        yield from self.texts(ini, SKOS + "prefLabel", c["title"].strip())
        yield from self.texts(ini, DCT + "description", text)
        forms: list[str] = []
        unknown = []
        for key in keys(c.get("approaches", "")):
            if key not in self.vocab.approach:
                unknown.append(key)
            forms += [f for f in self.vocab.approach.get(key, []) if f not in forms]
        for key in unknown:
            self.stats.warnings.append(
                Problem(
                    display,
                    f"approach {key!r} is not in Participedia's list; ignored",
                    rule="approach",
                    row=row.number,
                    field="approaches",
                    severity="warning",
                )
            )
        if forms:
            for f in forms:
                yield self.q(ini, self.km + "inferredForm", self.n(f))
        else:
            yield self.q(
                ini, self.km + "inferredForm", self.n(self.km + "form/public-participation")
            )
            unc = self.n(f"{self.id}uncertainty/participedia-case-{rid}-form")
            yield self.q(ini, self.km + "hasUncertainty", unc)
            yield self.q(unc, RDF_TYPE, self.n(self.km + "Uncertainty"))
            yield self.q(unc, self.km + "concerns", self.n(self.km + "inferredForm"))
            yield self.q(
                unc,
                RDFS + "comment",
                ox.Literal(
                    "Participedia noemt geen benadering die op een Kiemen-samenwerkingsvorm past; "
                    "als databank van publieke participatie is publieksparticipatie aangenomen.",
                    language="nl",
                ),
            )
            yield self.q(
                unc,
                RDFS + "comment",
                ox.Literal(
                    "Participedia names no approach that maps onto a Kiemen form of collaboration; "
                    "as a database of public participation, public participation is assumed.",
                    language="en",
                ),
            )
        if start is not None:
            yield self.q(ini, SCHEMA + "startDate", start)
        if end is not None:
            yield self.q(ini, SCHEMA + "endDate", end)
        if c.get("ongoing", "").strip() == "yes":
            yield self.q(
                ini,
                self.km + "periodNote",
                ox.Literal("Loopt nog volgens Participedia.", language="nl"),
            )
            yield self.q(
                ini,
                self.km + "periodNote",
                ox.Literal("Ongoing according to Participedia.", language="en"),
            )
        place, place_quads = self.place(display, row, f"{self.id}place/participedia-case-{rid}")
        if place is not None:
            yield from place_quads
            yield self.q(ini, DCT + "spatial", place)
        for title in [
            t.strip() for t in c.get("specific_methods_tools_techniques_titles", "").split(",")
        ]:
            if title in self.methods:
                yield self.q(ini, DCT + "relation", self.methods[title])
        yield self.q(ini, PROV + "wasDerivedFrom", sec)
        yield from self.roles(display, row, ini, sec)

    def roles(
        self, display: str, row: Row, ini: ox.NamedNode, sec: ox.NamedNode
    ) -> Iterator[ox.Quad]:
        c = row.cells
        rid = c["id"].strip()
        org_id = c.get("primary_organizer_id", "").strip()
        org_title = c.get("primary_organizer_title", "").strip()
        org_types = self.actor_types(c.get("organizer_types", ""), self.vocab.organizer_type)
        org_types += [t for t in self.org_types.get(org_id, []) if t not in org_types]
        organiser_is_gov = any(t.rsplit("/", 1)[-1] in GOVERNMENT_TYPES for t in org_types)
        organiser = None
        if org_title and org_types:
            organiser = self.n(
                f"{self.id}actor/participedia-organization-{org_id}"
                if org_id
                else f"{self.id}actor/participedia-{_slug(org_title)}"
            )
            yield from self.actor(organiser, org_title, org_types, sec)
            yield from self.involvement(
                f"participedia-case-{rid}--organiser",
                ini,
                organiser,
                self.km + "role/organiser",
                True,
                sec,
            )
            if organiser_is_gov:
                for level in self.vocab.spectrum.get(c.get("public_spectrum", "").strip(), []):
                    for govrole in self.vocab.govrole.get(level, []):
                        yield from self.involvement(
                            f"participedia-case-{rid}--organiser-government-role",
                            ini,
                            organiser,
                            govrole,
                            False,
                            sec,
                            comment=(
                                "Afgeleid uit het IAP2-niveau (public_spectrum) van het geval "
                                "via de koppeling in data/mappings.",
                                "Derived from the case's IAP2 level (public_spectrum) through "
                                "the mapping in data/mappings.",
                            ),
                        )
        elif org_title:
            self.stats.warnings.append(
                Problem(
                    display,
                    f"the organiser {org_title!r} has no known type; left out",
                    rule="actor type",
                    row=row.number,
                    field="organizer_types",
                    severity="warning",
                )
            )
        funder_title = c.get("funder", "").strip()
        funder_types = self.actor_types(c.get("funder_types", ""), self.vocab.organizer_type)
        if funder_title and funder_types:
            funder = (
                organiser
                if organiser is not None and funder_title == org_title
                else self.n(f"{self.id}actor/participedia-{_slug(funder_title)}")
            )
            if funder is not organiser:
                yield from self.actor(funder, funder_title, funder_types, sec)
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
                    comment=(
                        "Een overheid die het initiatief van anderen financiert, faciliteert.",
                        "A government funding an initiative that others organise facilitates it.",
                    ),
                )

    def actor_types(self, cell: str, table: dict[str, list[str]]) -> list[str]:
        out: list[str] = []
        actortype = self.km + "actor-type/"
        for key in keys(cell):
            out += [t for t in table.get(key, []) if t.startswith(actortype) and t not in out]
        return out

    def actor(
        self, iri: ox.NamedNode, title: str, types: list[str], sec: ox.NamedNode
    ) -> Iterator[ox.Quad]:
        yield self.q(iri, RDF_TYPE, self.n(self.km + "Organisation"))
        yield from self.texts(iri, SKOS + "prefLabel", title)
        for t in types:
            yield self.q(iri, self.km + "actorType", self.n(t))
        yield self.q(iri, PROV + "wasDerivedFrom", sec)

    def involvement(
        self,
        name: str,
        ini: ox.NamedNode,
        actor: ox.NamedNode,
        role: str,
        stated: bool,
        sec: ox.NamedNode,
        comment: tuple[str, str] | None = None,
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
            yield self.q(inv, RDFS + "comment", ox.Literal(comment[0], language="nl"))
            yield self.q(inv, RDFS + "comment", ox.Literal(comment[1], language="en"))

    def method(self, display: str, row: Row, first_line: int) -> Iterator[ox.Quad]:
        c = row.cells
        rid = c["id"].strip()
        text = self.description(display, row)
        if text is None:
            return
        scheme = self.n(self.km + "participedia/method")
        if scheme.value not in self._doc_done:
            self._doc_done.add(scheme.value)
            yield self.q(scheme, RDF_TYPE, self.n(SKOS + "ConceptScheme"))
            yield self.q(
                scheme, SKOS + "prefLabel", ox.Literal("Participedia-methoden", language="nl")
            )
            yield self.q(
                scheme, SKOS + "prefLabel", ox.Literal("Participedia methods", language="en")
            )
            yield self.q(
                scheme,
                SKOS + "definition",
                ox.Literal(
                    "De methoden van publieke participatie die Participedia beschrijft.",
                    language="nl",
                ),
            )
            yield self.q(
                scheme,
                SKOS + "definition",
                ox.Literal(
                    "The methods of public participation that Participedia describes.",
                    language="en",
                ),
            )
        concept = self.n(f"{self.km}participedia/method/{rid}")
        self.methods[c["title"].strip()] = concept
        yield self.q(concept, RDF_TYPE, self.n(SKOS + "Concept"))
        yield self.q(concept, SKOS + "inScheme", scheme)
        yield self.q(concept, SKOS + "notation", ox.Literal(rid))
        yield from self.texts(concept, SKOS + "prefLabel", c["title"].strip())
        yield from self.texts(concept, SKOS + "definition", text)
        yield self.q(concept, DCT + "source", self.n(f"{self.id}reference/participedia"))
        for level in self.vocab.spectrum.get(c.get("public_spectrum", "").strip(), []):
            yield self.q(concept, SKOS + "relatedMatch", self.n(level))
        url = c.get("url", "").strip()
        if url.startswith("http"):
            with contextlib.suppress(ValueError):
                yield self.q(concept, RDFS + "seeAlso", ox.NamedNode(url))

    def org(self, display: str, row: Row, first_line: int) -> Iterator[ox.Quad]:
        c = row.cells
        rid = c["id"].strip()
        types = self.actor_types(c.get("sector", ""), self.vocab.sector)
        self.org_types[rid] = types
        if not types:
            self.stats.warnings.append(
                Problem(
                    display,
                    "the organisation has no known sector; left out until a case names its type",
                    rule="actor type",
                    row=row.number,
                    field="sector",
                    severity="warning",
                )
            )
            return
        sec, sec_quads = self.section("organization", row, first_line)
        yield from sec_quads
        actor = self.n(f"{self.id}actor/participedia-organization-{rid}")
        yield from self.actor(actor, c["title"].strip(), types, sec)
        text = c.get("description", "").strip()
        if text:
            yield from self.texts(actor, DCT + "description", text)
        place, place_quads = self.place(
            display, row, f"{self.id}place/participedia-organization-{rid}"
        )
        if place is not None:
            yield from place_quads
            yield self.q(actor, DCT + "spatial", place)


def _int(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))


def _is_float(text: str, limit: float) -> bool:
    try:
        return abs(float(text)) <= limit
    except ValueError:
        return False


def _slug(text: str) -> str:
    from loaders.base import slugify

    return slugify(text)
