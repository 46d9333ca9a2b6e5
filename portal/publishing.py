"""The upload pipeline: parse → validate → report → publish as a new version of the dataset.

An upload (the template as CSV or Excel, or RDF through the Graph Store Protocol) becomes the
publisher's *data graph* ``{base}graph/publishers/{code}/data``:

1. the files are read and every cell meets the template's own rules
   (:mod:`portal.publish_template`): encoding, columns, identifiers, dates, codes, formulas;
2. the rows become RDF in the project's model (initiatives, organisations, involvements), each
   record derived from a section of the publisher's register, so the project's SHACL shapes
   (``ontology/shapes.ttl``) apply unchanged; those are checked by the loaders
   (:func:`loaders.load` with :class:`PublisherLoader`), exactly as for any other source;
3. the report names file, row, column and problem in Dutch and English, as HTML, JSON or a
   SHACL ``sh:ValidationReport``;
4. only when everything is valid — or the publisher asked for the valid rows only — the graph
   is replaced in one atomic store generation, which is a new *version*: its triples are kept
   under ``{store}/publishers/{code}/versions/{n}/`` and stay downloadable; a rollback
   publishes an earlier version's triples again as the newest;
5. every attempt, accepted or not, goes to the audit log (who, when, what, triples added and
   removed).

The publisher's DCAT record in the ``meta`` graph (publisher, licence, contact point,
modification date) is completed by :func:`annotate_meta`, an index hook that runs inside the
same generation, so the catalogue (:mod:`portal.catalogue`) lists it without special cases.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pyoxigraph as ox

import loaders
from core import formats
from core.config import Settings
from core.effects import Delta, delta
from core.failpoints import failpoint
from core.problems import LoadStats, Problem
from core.store import Generation, KiemenStore, StoreError, graph_iri
from core.validation.graphs import validate_graphs
from core.validation.shacl import shapes_path
from core.vocab import (
    CSVW,
    DCAT,
    DCT,
    EU,
    FOAF,
    IANA,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SH,
    SKOS,
    VCARD,
    WGS,
    XSD,
)
from core.write import pipeline, provenance
from loaders.base import LoadError, Location, Source
from loaders.rdf import rebase_term
from portal import linking
from portal.publish_template import (
    TABLES,
    CheckedRow,
    Concept,
    Issue,
    Parsed,
    UploadFile,
    Vocabulary,
    check_rows,
    date_datatype,
    error,
    read_uploads,
)
from portal.publishers import (
    Auth,
    Body,
    Publisher,
    Registry,
    connect,
    files_dir,
    now,
    reference,
)
from portal.upload_diff import ADD, REPLACE, Diff, diff, merged, records_of

KM = "https://w3id.org/kiemen/def/"
ADMS_TYPE = "http://purl.org/adms/publishertype/"
RDF_TYPE = ox.NamedNode(RDF + "type")

#: Most problems a report lists; the counts always cover all.
MAX_ISSUES = 500
#: Rounds of "drop the rows the shapes reject and check again" when publishing valid rows only.
MAX_ROUNDS = 4


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def value(term: Any) -> str:
    """The lexical value of an IRI, blank node or literal ('' for anything else)."""
    return str(getattr(term, "value", ""))


def lit(value: object, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(str(value), language=lang)
    if datatype:
        return ox.Literal(str(value), datatype=n(XSD + datatype))
    return ox.Literal(str(value))


def t(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(n(s), n(p), o)


# -------------------------------------------------------------------------------------------------
# reference data from the store


@functools.lru_cache(maxsize=8)
def _vocabulary(generation: str | None, root: str, base: str) -> Vocabulary:
    kstore = KiemenStore(Settings(store_path=Path(root), base_uri=base))
    schemes = {
        kstore.settings.def_ns + s: s
        for spec in TABLES.values()
        for c in spec.columns
        for s in c.scheme
    }
    by_concept: dict[tuple[str, str], dict[str, str]] = {}
    for row in kstore.rows("publish-concepts"):
        scheme = schemes.get(str(row["scheme"]))
        if scheme is None:
            continue
        labels = by_concept.setdefault((str(row["concept"]), scheme), {})
        if row["label"]:
            labels[str(row["lang"] or "")] = str(row["label"])
    return Vocabulary(
        Concept(
            iri,
            iri.rsplit("/", 1)[-1],
            scheme,
            tuple(labels.values()),
            labels.get("nl", ""),
            labels.get("en", ""),
        )
        for (iri, scheme), labels in by_concept.items()
    )


def vocabulary(kstore: KiemenStore) -> Vocabulary:
    """The concepts the template's columns accept, as the published store knows them."""
    return _vocabulary(kstore.generation_id(), str(kstore.root), kstore.settings.base_uri)


def existing_places(kstore: KiemenStore) -> dict[str, str]:
    """CBS code → IRI of a place described outside the publishers' graphs."""
    rows = kstore.rows("publish-places")
    out: dict[str, str] = {}
    for row in rows:
        out.setdefault(str(row["code"]), str(row["place"]))
    return out


# -------------------------------------------------------------------------------------------------
# records


@dataclass
class Record:
    """One published thing (initiative, organisation, involvement) and where it came from."""

    key: str
    kind: str  # initiative | actor | involvement | rdf
    table: str
    file: str
    row: int | None
    ident: str
    triples: list[ox.Triple]
    refs: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)
    homepage: str = ""
    codes: tuple[str, ...] = ()


@dataclass
class Build:
    records: list[Record] = field(default_factory=list)
    #: Nodes several records share (the register, the publisher's own places): IRI → triples.
    support: dict[str, list[ox.Triple]] = field(default_factory=dict)

    def by_key(self) -> dict[str, Record]:
        return {r.key: r for r in self.records}

    def triples(self, keep: Iterable[Record] | None = None) -> list[ox.Triple]:
        records = list(keep) if keep is not None else self.records
        out: dict[ox.Triple, None] = {}
        used = {ref for r in records for ref in r.refs} | {
            k for k in self.support if "/register" in k
        }
        for key, triples in self.support.items():
            if key in used:
                out.update(dict.fromkeys(triples))
        for r in records:
            out.update(dict.fromkeys(r.triples))
        return list(out)


def _register(build: Build, publisher: Publisher, settings: Settings) -> str:
    ns = publisher.id_ns(settings)
    register = ns + "register"
    if register not in build.support:
        build.support[register] = [
            t(register, RDF + "type", n(KM + "SourceDocument")),
            t(register, DCT + "title", lit(f"Register van {publisher.name}", lang="nl")),
            t(register, DCT + "title", lit(f"Register of {publisher.name}", lang="en")),
            t(register, DCT + "publisher", n(publisher.agent)),
            t(register, DCT + "issued", lit(dt.date.today().year, "gYear")),
            t(register, DCT + "language", lit("nl")),
        ]
    return register


def _section(
    record: Record, publisher: Publisher, settings: Settings, title: str, line: int
) -> str:
    register = _register_iri(publisher, settings)
    section = f"{register}/{record.table}/{record.ident}"
    record.triples += [
        t(section, RDF + "type", n(KM + "Section")),
        t(section, KM + "sectionType", n(settings.def_ns + "section-type/section")),
        t(section, DCT + "title", lit(title, lang="nl")),
        t(section, DCT + "isPartOf", n(register)),
        t(section, KM + "inDocument", n(register)),
        t(section, KM + "lineStart", lit(line, "integer")),
        t(section, KM + "lineEnd", lit(line, "integer")),
        t(record.key, PROV + "wasDerivedFrom", n(section)),
    ]
    record.refs.add(register)
    return section


def _register_iri(publisher: Publisher, settings: Settings) -> str:
    return publisher.id_ns(settings) + "register"


def _place(
    build: Build, body: Body, places: dict[str, str], publisher: Publisher, settings: Settings
) -> str:
    """The place of a CBS code: the one the store has, else one the publisher describes."""
    if body.code in places:
        return places[body.code]
    iri = publisher.id_ns(settings) + f"place/{body.code}"
    if iri not in build.support:
        kind = "municipality" if body.type == "gemeente" else "province"
        triples = [
            t(iri, RDF + "type", n(KM + "Place")),
            t(iri, SKOS + "prefLabel", lit(body.name, lang="nl")),
            t(iri, SKOS + "prefLabel", lit(body.name_en or body.name, lang="en")),
            t(iri, KM + "placeType", n(settings.def_ns + f"place-type/{kind}")),
            t(iri, KM + "countryCode", lit("NL")),
            t(iri, KM + "cbsCode", lit(body.code)),
            t(iri, OWL + "sameAs", n(body.tooi)),
            # The canonical place of this CBS code (loaders.places.cbs_iri).
            t(iri, OWL + "sameAs", n(f"{settings.id_ns}place/cbs/{body.code}")),
        ]
        if body.lat and body.long:  # the CBS list has no centre for every municipality
            triples += [
                t(iri, WGS + "lat", lit(body.lat, "decimal")),
                t(iri, WGS + "long", lit(body.long, "decimal")),
            ]
        province = reference().get(body.province) if body.province else None
        if province is not None:
            triples.append(
                t(
                    iri,
                    SCHEMA + "containedInPlace",
                    n(_place(build, province, places, publisher, settings)),
                )
            )
        build.support[iri] = triples
    return iri


def _add_place(build: Build, record: Record, iri: str) -> None:
    if iri not in build.support:
        return  # a place the store already describes
    record.refs.add(iri)
    # a province the place lies in is needed as well
    for tr in build.support.get(iri, []):
        if tr.predicate.value == SCHEMA + "containedInPlace":
            _add_place(build, record, value(tr.object))


def _rebased(build: Build, settings: Settings) -> Build:
    """Terms written with the canonical base (``km:`` classes and properties) moved onto ours."""

    def fix(trs: list[ox.Triple]) -> list[ox.Triple]:
        return [
            ox.Triple(
                rebase_term(tr.subject, settings),
                rebase_term(tr.predicate, settings),
                rebase_term(tr.object, settings),
            )
            for tr in trs
        ]

    for rec in build.records:
        rec.triples = fix(rec.triples)
    build.support = {k: fix(v) for k, v in build.support.items()}
    return build


def _named_record(
    c: CheckedRow,
    ns: str,
    kind: str,
    table: str,
    rdf_class: str,
    keys: dict[tuple[str, str], str],
) -> Record:
    """The start every named row shares: IRI, type, identifier and names in nl and en."""
    v = c.values
    key = ns + f"{kind}/{v['id']}"
    keys[(table, v["id"])] = key
    name_en = v.get("name_en") or v["name_nl"]
    rec = Record(
        key,
        kind,
        table,
        c.row.file,
        c.row.number,
        v["id"],
        [],
        labels={"nl": v["name_nl"], "en": name_en},
        homepage=v.get("homepage", ""),
    )
    rec.triples += [
        t(key, RDF + "type", n(rdf_class)),
        t(key, DCT + "identifier", lit(v["id"])),
        t(key, SKOS + "prefLabel", lit(v["name_nl"], lang="nl")),
        t(key, SKOS + "prefLabel", lit(name_en, lang="en")),
    ]
    return rec


def build_records(
    checked: dict[str, list[CheckedRow]],
    publisher: Publisher,
    settings: Settings,
    places: dict[str, str],
) -> Build:
    """RDF for every row that met the template's rules."""
    build = Build()
    _register(build, publisher, settings)
    ctx = _RowContext(build, publisher, settings, places, publisher.id_ns(settings), {})
    makers = (
        ("initiatives", _initiative_record),
        ("actors", _actor_record),
        ("roles", _role_record),
    )
    for table, make in makers:
        for c in checked.get(table, []):
            if c.ok:
                build.records.append(make(ctx, c))
    return _rebased(build, settings)


@dataclass
class _RowContext:
    """What turning one checked row into a record needs besides the row."""

    build: Build
    publisher: Publisher
    settings: Settings
    places: dict[str, str]
    ns: str
    #: (table, identifier) -> record IRI, of the rows read so far (roles refer to them).
    keys: dict[tuple[str, str], str]

    def spatial(self, rec: Record, body: Any) -> None:
        """The record's municipality as a place (CBS code), when the row names one."""
        if body is None:
            return
        place = _place(self.build, body, self.places, self.publisher, self.settings)
        rec.triples.append(t(rec.key, DCT + "spatial", n(place)))
        _add_place(self.build, rec, place)
        rec.codes = (body.code,)


def _dates(rec: Record, v: dict[str, Any]) -> None:
    for prop, col in ((SCHEMA + "startDate", "start_date"), (SCHEMA + "endDate", "end_date")):
        if v.get(col):
            rec.triples.append(t(rec.key, prop, lit(v[col], date_datatype(v[col]))))


def _texts(rec: Record, v: dict[str, Any], prop: str, column: str) -> None:
    """``column_nl`` and ``column_en`` as language-tagged values of ``prop``, where given."""
    for lang in ("nl", "en"):
        if v.get(f"{column}_{lang}"):
            rec.triples.append(t(rec.key, prop, lit(v[f"{column}_{lang}"], lang=lang)))


def _initiative_record(ctx: _RowContext, c: CheckedRow) -> Record:
    v = c.values
    rec = _named_record(c, ctx.ns, "initiative", "initiatives", KM + "Initiative", ctx.keys)
    key = rec.key
    rec.triples += [
        t(key, DCT + "description", lit(v["description_nl"], lang="nl")),
        t(key, DCT + "description", lit(v["description_en"], lang="en")),
        t(key, DCT + "publisher", n(ctx.publisher.agent)),
    ]
    for concept in v.get("form", []):
        rec.triples.append(t(key, KM + "statedForm", n(concept.iri)))
    for concept in v.get("theme", []):
        rec.triples.append(t(key, DCT + "subject", n(concept.iri)))
    if v.get("homepage"):
        rec.triples.append(t(key, FOAF + "homepage", n(v["homepage"])))
    _dates(rec, v)
    ctx.spatial(rec, v.get("municipality_code"))
    _section(rec, ctx.publisher, ctx.settings, v["name_nl"], c.row.number)
    return rec


def _actor_record(ctx: _RowContext, c: CheckedRow) -> Record:
    v = c.values
    rec = _named_record(c, ctx.ns, "actor", "actors", KM + "Organisation", ctx.keys)
    key = rec.key
    for concept in v.get("actor_type", []):
        rec.triples.append(t(key, KM + "actorType", n(concept.iri)))
    if v.get("homepage"):
        rec.triples.append(t(key, FOAF + "homepage", n(v["homepage"])))
    _texts(rec, v, DCT + "description", "description")
    ctx.spatial(rec, v.get("municipality_code"))
    _section(rec, ctx.publisher, ctx.settings, v["name_nl"], c.row.number)
    return rec


def _role_record(ctx: _RowContext, c: CheckedRow) -> Record:
    v = c.values
    ns = ctx.ns
    initiative = ctx.keys.get(("initiatives", v["initiative_id"]))
    actor = ctx.keys.get(("actors", v["actor_id"]))
    ident = f"{v['initiative_id']}--{v['actor_id']}"
    key = ns + f"involvement/{ident}"
    rec = Record(key, "involvement", "roles", c.row.file, c.row.number, ident, [])
    # a role whose initiative or actor has errors depends on a record that is not there
    rec.refs.add(initiative or ns + f"initiative/{v['initiative_id']}")
    rec.refs.add(actor or ns + f"actor/{v['actor_id']}")
    rec.triples += [
        t(key, RDF + "type", n(KM + "Involvement")),
        t(key, DCT + "identifier", lit(ident)),
        t(key, KM + "initiative", n(ns + f"initiative/{v['initiative_id']}")),
        t(key, KM + "actor", n(ns + f"actor/{v['actor_id']}")),
        t(key, KM + "roleStated", lit("true", "boolean")),
    ]
    for concept in v.get("role", []):
        rec.triples.append(t(key, KM + "hasRole", n(concept.iri)))
    _dates(rec, v)
    _texts(rec, v, RDFS + "comment", "comment")
    label = f"{v['initiative_id']} – {v['actor_id']}"
    _section(rec, ctx.publisher, ctx.settings, label, c.row.number)
    return rec


def _without_our_own(
    kstore: KiemenStore, publisher: Publisher, triples: list[ox.Triple]
) -> list[ox.Triple]:
    """Drop statements about others' resources that Kiemen itself wrote into this graph.

    A publisher's data as downloaded holds what Kiemen added to it (shared places, the
    register's sections); sending that file back must not be refused for them.
    """
    ns = publisher.id_ns(kstore.settings)
    outside = [
        tr
        for tr in triples
        if isinstance(tr.subject, ox.NamedNode) and not tr.subject.value.startswith(ns)
    ]
    if not outside:
        return triples
    ours = current_triples(kstore, publisher.data_graph(kstore.settings))
    drop = {tr for tr in outside if tr in ours}
    return [tr for tr in triples if tr not in drop] if drop else triples


def build_from_rdf(
    triples: list[ox.Triple], publisher: Publisher, settings: Settings, source: str
) -> tuple[Build, list[Issue]]:
    """Records from RDF: one per subject; statements about others' resources are refused."""
    ns = publisher.id_ns(settings)
    build = Build()
    _register(build, publisher, settings)
    issues: list[Issue] = []
    by_subject: dict[str, list[ox.Triple]] = {}
    blank: list[ox.Triple] = []
    refused: set[str] = set()
    for tr in triples:
        s = tr.subject
        if isinstance(s, ox.NamedNode):
            if not s.value.startswith(ns):
                if s.value not in refused:
                    refused.add(s.value)
                    issues.append(
                        error(
                            f"statements about <{s.value}> lie outside your namespace <{ns}>: a "
                            "publisher describes only its own records (link to others' with "
                            "owl:sameAs from your own record, or confirm a suggested link)",
                            f"uitspraken over <{s.value}> vallen buiten uw naamruimte <{ns}>: een "
                            "uitgever beschrijft alleen de eigen records (verwijs naar die van "
                            "anderen met owl:sameAs vanuit uw eigen record, of bevestig een "
                            "voorgestelde koppeling)",
                            file=source,
                            focus=s.value,
                            rule="namespace",
                        )
                    )
                continue
            by_subject.setdefault(s.value, []).append(tr)
        else:
            blank.append(tr)
    types = {
        value(tr.subject): settings.canonical(value(tr.object))
        for trs in by_subject.values()
        for tr in trs
        if tr.predicate == RDF_TYPE and isinstance(tr.object, ox.NamedNode)
    }
    register = _register_iri(publisher, settings)
    for i, (key, trs) in enumerate(by_subject.items(), start=1):
        if key == register or key.startswith(register + "/"):
            continue  # the register and its sections are made here, never uploaded
        # a source passage in the register is made again for each record, as on first upload
        trs = [
            tr
            for tr in trs
            if not (
                tr.predicate.value == PROV + "wasDerivedFrom"
                and value(tr.object).startswith(register + "/")
            )
        ]
        cls = types.get(key, "")
        kind = {
            KM + "Initiative": "initiative",
            KM + "Organisation": "actor",
            KM + "Person": "actor",
            KM + "Actor": "actor",
            KM + "Involvement": "involvement",
        }.get(cls, "rdf")
        rec = Record(key, kind, "rdf", source, None, key[len(ns) :], list(trs))
        for tr in trs:
            p = tr.predicate.value
            if p == SKOS + "prefLabel" and isinstance(tr.object, ox.Literal):
                rec.labels.setdefault(tr.object.language or "nl", tr.object.value)
            elif p == FOAF + "homepage" and isinstance(tr.object, ox.NamedNode):
                rec.homepage = tr.object.value
            elif isinstance(tr.object, ox.NamedNode) and tr.object.value.startswith(ns):
                rec.refs.add(tr.object.value)
        needs_source = kind in ("initiative", "actor", "involvement") and not any(
            tr.predicate.value == PROV + "wasDerivedFrom" for tr in trs
        )
        if needs_source:
            rec.table = {"initiative": "initiatives", "actor": "actors"}.get(kind, "roles")
            title = rec.labels.get("nl") or rec.labels.get("en") or rec.ident
            _section(rec, publisher, settings, title, i)
            rec.table = "rdf"
        build.records.append(rec)
    if blank:
        build.support["_:blank"] = blank
        for rec in build.records:
            rec.refs.add("_:blank")
    return _rebased(build, settings), issues


# -------------------------------------------------------------------------------------------------
# the loader that writes a publisher's graph (so loaders.load validates, records and publishes)


@loaders.register
class PublisherLoader:
    """Writes triples prepared by the publishing pipeline into a publisher's graph."""

    name: ClassVar[str] = "publisher"
    title: ClassVar[str] = "Publisher upload"

    @classmethod
    def accepts(cls, source: Source) -> bool:
        return source.location.startswith("publisher:")

    def default_graph_name(self, source: Source) -> str:
        return source.graph or "publishers/unknown/data"

    def write(
        self,
        source: Source,
        store: ox.Store,
        graph: ox.NamedNode,
        settings: Settings,
        check: Any = None,
    ) -> LoadStats:
        triples: list[ox.Triple] = sorted(
            source.options.get("triples", []), key=lambda tr: str(tr.subject)
        )
        quads = [ox.Quad(tr.subject, tr.predicate, tr.object, graph) for tr in triples]
        if check is not None:
            check.feed(quads)
        store.extend(quads)
        return LoadStats(files=list(source.options.get("files", [])))

    def locate(self, source: Source, iris: set[str], settings: Settings) -> dict[str, Location]:
        where: dict[str, Location] = source.options.get("where", {})
        return {i: where[i] for i in iris if i in where}


def _source(
    publisher: Publisher,
    settings: Settings,
    triples: list[ox.Triple],
    label: str,
    graph: str = "data",
    where: dict[str, Location] | None = None,
    files: list[tuple[str, str]] | None = None,
) -> Source:
    return Source(
        f"publisher:{publisher.code}/{label}",
        graph=f"publishers/{publisher.code}/{graph}",
        options={"triples": triples, "where": where or {}, "files": files or []},
    )


# -------------------------------------------------------------------------------------------------
# SHACL problems in the template's terms

_PATH_COLUMNS = {
    "prefLabel": "name",
    "description": "description",
    "statedForm | inferredForm": "form",
    "subject": "theme",
    "spatial": "municipality_code",
    "homepage": "homepage",
    "startDate": "start_date",
    "endDate": "end_date",
    "actorType": "actor_type",
    "role": "role",
    "initiative": "initiative_id",
    "actor": "actor_id",
    "comment": "comment",
    "identifier": "id",
}


@functools.cache
def _shape_texts() -> dict[str, dict[str, str]]:
    """From the shapes: English message → Dutch comment; rule name → path and component."""

    store = ox.Store()
    store.load(path=str(shapes_path()), format=ox.RdfFormat.TURTLE)
    dutch: dict[str, str] = {}
    paths: dict[str, str] = {}
    components: dict[str, str] = {}
    names = {}
    for q in store.quads_for_pattern(None, n(SH + "name"), None):
        if isinstance(q.object, ox.Literal) and q.object.language == "en":
            names[q.subject] = q.object.value
    constraint = {
        "minCount": "MinCount",
        "maxCount": "MaxCount",
        "qualifiedMinCount": "QualifiedMinCount",
        "datatype": "Datatype",
        "class": "Class",
        "node": "Node",
        "nodeKind": "NodeKind",
        "pattern": "Pattern",
        "uniqueLang": "UniqueLang",
        "languageIn": "LanguageIn",
        "minInclusive": "MinInclusive",
        "maxInclusive": "MaxInclusive",
        "or": "Or",
        "hasValue": "HasValue",
        "lessThanOrEquals": "LessThanOrEquals",
        "not": "Not",
    }
    for shape, name in names.items():
        messages = [
            q.object.value
            for q in store.quads_for_pattern(shape, n(SH + "message"), None)
            if isinstance(q.object, ox.Literal)
        ]
        comments = [
            q.object.value
            for q in store.quads_for_pattern(shape, n(RDFS + "comment"), None)
            if isinstance(q.object, ox.Literal) and q.object.language == "nl"
        ]
        if messages and comments:
            dutch[messages[0]] = comments[0]
        path = next(iter(store.quads_for_pattern(shape, n(SH + "path"), None)), None)
        if path is not None and isinstance(path.object, ox.NamedNode):
            paths[name] = path.object.value
        for local, comp in constraint.items():
            if next(iter(store.quads_for_pattern(shape, n(SH + local), None)), None) is not None:
                components[name] = f"{SH}{comp}ConstraintComponent"
                break
    return {"dutch": dutch, "paths": paths, "components": components}


def issue_from_problem(p: Problem, build: Build) -> Issue:
    records = build.by_key()
    rec = records.get(p.focus or "")
    message = p.message
    suffix = ""
    if " (value: " in message and message.endswith(")"):
        message, _, rest = message.partition(" (value: ")
        suffix = rest[:-1]
    texts = _shape_texts()
    nl = texts["dutch"].get(message, message)
    rule_name, _, short_path = p.rule.partition(" / ")
    column = ""
    if rec is not None and rec.table in TABLES:
        column = _PATH_COLUMNS.get(short_path, "")
        if column in ("name", "description", "comment"):
            column += "_en" if "English" in message else "_nl"
    if suffix:
        message += f" (value: {suffix})"
        nl += f" (waarde: {suffix})"
    return Issue(
        severity="error" if p.severity == "error" else "warning",
        en=message,
        nl=nl,
        file=rec.file if rec else "",
        table=rec.table if rec else "",
        row=rec.row if rec else None,
        column=column,
        value=suffix,
        rule=f"shape: {p.rule}",
        focus=p.focus or "",
        path=texts["paths"].get(rule_name, ""),
        component=texts["components"].get(rule_name, ""),
    )


def _internal(issue: Issue, build: Build, publisher: Publisher, settings: Settings) -> bool:
    """Advice about nodes the pipeline makes (register, sections, places): not the publisher's."""
    if issue.severity == "error" or not issue.focus:
        return False
    return issue.focus not in build.by_key()


def _where(records: Iterable[Record]) -> dict[str, Location]:
    return {r.key: (r.file, None, r.row, None) for r in records}


def shacl_check(
    kstore: KiemenStore,
    publisher: Publisher,
    build: Build,
    records: list[Record],
    triples: list[ox.Triple] | None = None,
) -> list[Issue]:
    """Validate what would be published (``triples``, by default the records alone) with the
    project's shapes: a dry-run load, which writes nothing and builds no indexes."""
    if triples is None:
        triples = build.triples(records)
    if not triples:
        return []
    source = _source(publisher, kstore.settings, triples, "check", where=_where(records))
    try:
        report = loaders.load(kstore, [source], dry_run=True, small=True)
        problems = report.problems
    except LoadError as exc:
        problems = exc.problems
    issues = [issue_from_problem(p, build) for p in problems]
    return [i for i in issues if not _internal(i, build, publisher, kstore.settings)]


# -------------------------------------------------------------------------------------------------
# the report


@dataclass
class Report:
    publisher: str
    action: str
    issues: list[Issue] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    records: int = 0
    triples: int = 0
    added: int = 0
    removed: int = 0
    valid_only: bool = False
    published: bool = False
    version: int | None = None
    left_out: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    structural: bool = False  # a file could not be read as the template: nothing can be published
    #: The client's Idempotency-Key; a retry with the same key answers with the first publish.
    idempotency_key: str | None = None
    replayed: bool = False
    #: ``add`` (records not mentioned stay) or ``replace`` (they go, once confirmed).
    mode: str = ADD
    #: What publishing does (or did) to the records: the check step's preview.
    diff: Diff | None = None
    #: A replace that would remove records was not (or not for this preview) confirmed.
    needs_confirmation: bool = False

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity != "error"]

    @property
    def conforms(self) -> bool:
        return not self.errors

    def summary(self, lang: str = "en") -> str:
        e, w = len(self.errors), len(self.warnings)
        if self.needs_confirmation and self.diff is not None:
            gone = len(self.diff.removed)
            if lang == "nl":
                return (
                    f"Vervangen verwijdert {gone} record(s) die de upload niet noemt; er is "
                    "niets gepubliceerd. Bekijk de voorvertoning en bevestig om te publiceren."
                )
            return (
                f"Replacing removes {gone} record(s) the upload does not mention; nothing was "
                "published. Review the preview and confirm to publish."
            )
        if self.published:
            if lang == "nl":
                text = f"Gepubliceerd als versie {self.version}: {self.records} records"
                text += f", {self.added} tripels toegevoegd en {self.removed} verwijderd."
                if self.left_out:
                    text += f" {len(self.left_out)} rij(en) met fouten zijn weggelaten."
                return text
            text = f"Published as version {self.version}: {self.records} records"
            text += f", {self.added} triples added and {self.removed} removed."
            if self.left_out:
                text += f" {len(self.left_out)} row(s) with errors were left out."
            return text
        if e:
            if lang == "nl":
                return f"{e} fout(en) en {w} advies gevonden; er is niets gepubliceerd."
            return f"{e} error(s) and {w} piece(s) of advice found; nothing was published."
        if lang == "nl":
            return (
                f"Geldig: {self.records} records, {w} advies. Er is (nog) niets gepubliceerd."
                + self._would(lang)
            )
        return (
            f"Valid: {self.records} records, {w} piece(s) of advice. Nothing published (yet)."
            + self._would(lang)
        )

    def _would(self, lang: str) -> str:
        if self.diff is None:
            return ""
        a, c, r = len(self.diff.added), len(self.diff.changed), len(self.diff.removed)
        if lang == "nl":
            return f" Publiceren voegt {a} record(s) toe, wijzigt er {c} en verwijdert er {r}."
        return f" Publishing adds {a} record(s), changes {c} and removes {r}."

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(
            self.issues,
            key=lambda i: (i.severity != "error", i.file, i.table, i.row or 0, i.column),
        )
        body: dict[str, Any] = {
            "ok": self.conforms or self.published,
            "publisher": self.publisher,
            "action": self.action,
            "published": self.published,
            "version": self.version,
            "replayed": self.replayed,
            "valid_only": self.valid_only,
            "mode": self.mode,
            "needs_confirmation": self.needs_confirmation,
            "preview": self.diff.as_json() if self.diff is not None else None,
            "summary": self.summary("en"),
            "summary_nl": self.summary("nl"),
            "counts": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "records": self.records,
                "triples": self.triples,
                "added": self.added,
                "removed": self.removed,
                "tables": self.tables,
            },
            "rows": [i.as_json() for i in ordered[:MAX_ISSUES]],
            "truncated": len(ordered) > MAX_ISSUES,
            "next": None,
            "next_url": None,
            "files": self.files,
            "left_out": self.left_out,
            "suggestions": self.suggestions,
        }
        if not body["ok"]:
            body["error"] = self.summary("en")
            body["status"] = 422
        return body


def shacl_report(report: Report, settings: Settings) -> list[ox.Triple]:
    """The report as a SHACL validation report (``sh:ValidationReport``), one result per issue.

    Rows and columns of the template are given with CSVW's ``csvw:rownum`` and ``csvw:name``;
    problems of a whole file are reported with the file as focus node.
    """
    root = ox.BlankNode()
    out = [
        ox.Triple(root, RDF_TYPE, n(SH + "ValidationReport")),
        ox.Triple(root, n(SH + "conforms"), lit("true" if report.conforms else "false", "boolean")),
    ]
    for issue in report.issues[:MAX_ISSUES]:
        node = ox.BlankNode()
        focus = issue.focus or _upload_iri(settings, report.publisher, issue)
        out += [
            ox.Triple(root, n(SH + "result"), node),
            ox.Triple(node, RDF_TYPE, n(SH + "ValidationResult")),
            ox.Triple(node, n(SH + "focusNode"), n(focus)),
            ox.Triple(
                node,
                n(SH + "resultSeverity"),
                n(SH + ("Violation" if issue.severity == "error" else "Warning")),
            ),
            ox.Triple(node, n(SH + "resultMessage"), lit(issue.en, lang="en")),
            ox.Triple(node, n(SH + "resultMessage"), lit(issue.nl, lang="nl")),
            ox.Triple(
                node,
                n(SH + "sourceConstraintComponent"),
                n(issue.component or _template_component(issue.rule)),
            ),
        ]
        if issue.path:
            out.append(ox.Triple(node, n(SH + "resultPath"), n(issue.path)))
        if issue.value:
            out.append(ox.Triple(node, n(SH + "value"), lit(issue.value)))
        if issue.row is not None:
            out.append(ox.Triple(node, n(CSVW + "rownum"), lit(issue.row, "integer")))
        if issue.column:
            out.append(ox.Triple(node, n(CSVW + "name"), lit(issue.column)))
        if issue.file:
            out.append(ox.Triple(node, n(DCT + "source"), lit(issue.file)))
        if issue.rule:
            out.append(ox.Triple(node, n(RDFS + "comment"), lit(issue.rule)))
    return out


def _upload_iri(settings: Settings, code: str, issue: Issue) -> str:

    where = quote(issue.file or issue.table or "upload", safe="")
    row = f"/row/{issue.row}" if issue.row is not None else ""
    return f"{settings.base_uri}publish/{code}/upload/{where}{row}"


def _template_component(rule: str) -> str:
    return SH + {
        "required": "MinCountConstraintComponent",
        "missing column": "MinCountConstraintComponent",
        "date": "DatatypeConstraintComponent",
        "url": "NodeKindConstraintComponent",
        "value list": "InConstraintComponent",
        "municipality code": "InConstraintComponent",
        "reference": "ClassConstraintComponent",
        "period": "LessThanOrEqualsConstraintComponent",
        "id": "PatternConstraintComponent",
        "ref": "PatternConstraintComponent",
        "name": "MaxLengthConstraintComponent",
        "text": "MaxLengthConstraintComponent",
        "namespace": "ClosedConstraintComponent",
        "extra column": "ClosedConstraintComponent",
        "columns": "ClosedConstraintComponent",
    }.get(rule, "SPARQLConstraintComponent")


# -------------------------------------------------------------------------------------------------
# the pipeline


@contextlib.contextmanager
def publisher_lock(settings: Settings, code: str) -> Iterator[None]:
    """One upload of a publisher at a time (versions are numbered, diffs computed, in order)."""
    folder = files_dir(settings, code)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def current_triples(kstore: KiemenStore, graph: str) -> set[ox.Triple]:
    store = kstore.reader()
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, n(graph))
    }


def _replayed(settings: Settings, report: Report) -> bool:
    """A retry of a publish that already happened: answer with that version, publish nothing."""
    if not report.idempotency_key:
        return False
    earlier = published_with_key(settings, report.publisher, report.idempotency_key)
    if earlier is None:
        return False
    report.published, report.replayed, report.version = True, True, int(earlier["number"])
    report.triples, report.added, report.removed = (
        int(earlier["triples"]),
        int(earlier["added"]),
        int(earlier["removed"]),
    )
    return True


def _errors_by_record(issues: list[Issue], build: Build) -> set[str]:
    keys = build.by_key()
    bad = {i.focus for i in issues if i.severity == "error" and i.focus in keys}
    # support nodes (places) with errors take the records that use them along
    for i in issues:
        if i.severity == "error" and i.focus and i.focus not in keys:
            bad |= {r.key for r in build.records if i.focus in r.refs}
    return bad


def _closure(
    records: list[Record], bad: set[str], build: Build, present: frozenset[str] = frozenset()
) -> list[Record]:
    """Records left when ``bad`` ones go, with everything that refers to them.

    ``present``: records the dataset keeps whatever the upload holds (``add`` mode), which
    the upload's records may refer to.
    """
    keys = {r.key for r in records} | (present - bad)
    dropped = set(bad)
    changed = True
    while changed:
        changed = False
        for r in records:
            if r.key in dropped:
                continue
            own = {ref for ref in r.refs if ref not in build.support}
            if any(ref in dropped or ref not in keys for ref in own):
                dropped.add(r.key)
                changed = True
    return [r for r in records if r.key not in dropped]


def process_upload(
    kstore: KiemenStore,
    auth: Auth,
    files: list[UploadFile],
    *,
    publish: bool,
    valid_only: bool = False,
    idempotency_key: str | None = None,
    mode: str = ADD,
    confirm: bool = False,
    expect: str | None = None,
) -> Report:
    """Check (and with ``publish``, publish) the template's tables from CSV or Excel files.

    ``mode`` ``add`` keeps the records the upload does not mention; ``replace`` removes them,
    but only with ``confirm`` (and, when given, ``expect`` = the digest of the preview the
    publisher saw); otherwise the report asks for confirmation and nothing is published.
    """
    publisher = auth.publisher
    settings = kstore.settings
    report = Report(publisher.code, "upload" if publish else "check", valid_only=valid_only)
    report.idempotency_key = idempotency_key if publish else None
    report.mode = mode
    with publisher_lock(settings, publisher.code):
        if _replayed(settings, report):
            return report
        old = current_triples(kstore, publisher.data_graph(settings))
        present = _present(old, publisher, settings, mode)
        parsed: Parsed = read_uploads(files, settings.max_body_bytes)
        report.files = parsed.files
        report.structural = bool(parsed.broken)
        known = {
            table: {k.rsplit("/", 1)[-1] for k in present if f"/{kind}/" in k}
            for table, kind in (("initiatives", "initiative"), ("actors", "actor"))
        }
        checked = check_rows(parsed, vocabulary(kstore), publisher.code, known)
        report.issues += parsed.issues
        build = build_records(checked, publisher, settings, existing_places(kstore))
        target = _target(build, build.records, old, mode, publisher, settings)
        report.issues += shacl_check(kstore, publisher, build, build.records, target)
        for name, rows in checked.items():
            if rows or name in parsed.rows:
                report.tables[name] = {"rows": len(rows), "valid": sum(1 for c in rows if c.ok)}
        _finish(
            kstore,
            auth,
            report,
            build,
            old,
            publish=publish,
            valid_only=valid_only,
            present=present,
            confirmed=confirm,
            expect=expect,
        )
    return report


def _present(
    old: Iterable[ox.Triple], publisher: Publisher, settings: Settings, mode: str
) -> frozenset[str]:
    """The records an ``add`` upload keeps whatever it holds (none for ``replace``)."""
    if mode == REPLACE:
        return frozenset()
    return frozenset(records_of(old, settings, publisher.id_ns(settings)))


def _target(
    build: Build,
    keep: list[Record],
    old: set[ox.Triple],
    mode: str,
    publisher: Publisher,
    settings: Settings,
) -> list[ox.Triple]:
    """The data graph publishing ``keep`` would leave: the records alone (``replace``), or
    the old graph with them in place of their earlier state (``add``)."""
    triples = build.triples(keep)
    if mode == REPLACE:
        return triples
    register = _register_iri(publisher, settings)
    return merged(old, triples, {r.key for r in keep}, register)


def process_rdf(
    kstore: KiemenStore,
    auth: Auth,
    data: bytes,
    media_type: str,
    *,
    merge: bool,
    publish: bool,
    valid_only: bool = False,
    action: str = "graph-store",
    idempotency_key: str | None = None,
    mode: str = ADD,
    confirm: bool = False,
    expect: str | None = None,
) -> Report:
    """Check (and publish) RDF for the publisher's data graph.

    ``merge`` (Graph Store POST) adds the triples to the graph as they are; otherwise each
    subject is a record, and ``mode``/``confirm`` act as for :func:`process_upload`.
    """

    publisher = auth.publisher
    settings = kstore.settings
    report = Report(publisher.code, action if publish else "check", valid_only=valid_only)
    report.idempotency_key = idempotency_key if publish else None
    report.mode = REPLACE if merge else mode
    name = "request body"
    report.files = [{"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}]
    fmt = formats.by_key(media_type.split(";")[0].strip(), formats.RDF_FORMATS)
    with publisher_lock(settings, publisher.code):
        if _replayed(settings, report):
            return report
        if len(data) > settings.max_body_bytes:
            report.issues.append(
                error(
                    f"the body is larger than the limit of {settings.max_body_bytes} bytes",
                    f"de inhoud is groter dan de grens van {settings.max_body_bytes} bytes",
                    file=name,
                    rule="size",
                )
            )
        elif fmt is None or fmt.rdf is None or fmt.rdf in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            report.issues.append(
                error(
                    f"cannot read {media_type or 'a body without Content-Type'} as the triples of "
                    "one graph; send Turtle, N-Triples, RDF/XML or JSON-LD",
                    f"{media_type or 'een inhoud zonder Content-Type'} is niet te lezen als de "
                    "tripels van één graaf; stuur Turtle, N-Triples, RDF/XML of JSON-LD",
                    file=name,
                    rule="format",
                )
            )
        if report.issues:
            report.structural = True
            _audit(settings, auth, report)
            return report
        assert fmt is not None and fmt.rdf is not None
        try:
            triples = [
                ox.Triple(
                    rebase_term(tr.subject, settings),
                    rebase_term(tr.predicate, settings),
                    rebase_term(tr.object, settings),
                )
                for tr in ox.parse(
                    data,
                    format=fmt.rdf,
                    base_iri=publisher.data_graph(settings),
                    rename_blank_nodes=True,
                )
            ]
        except SyntaxError as exc:
            report.issues.append(
                error(
                    f"the body is not valid {fmt.label}: {exc}",
                    f"de inhoud is geen geldige {fmt.label}: {exc}",
                    file=name,
                    rule="syntax",
                )
            )
            report.structural = True
            _audit(settings, auth, report)
            return report
        old = current_triples(kstore, publisher.data_graph(settings))
        if merge:
            register = _register_iri(publisher, settings)
            kept = [
                tr
                for tr in old
                # the register and the links to its sections are made again for every record
                if not value(tr.subject).startswith(register)
                and not value(tr.object).startswith(register)
            ]
            triples = kept + triples
        triples = _without_our_own(kstore, publisher, triples)
        build, issues = build_from_rdf(triples, publisher, settings, name)
        report.issues += issues
        report.structural = bool(issues)
        present = _present(old, publisher, settings, report.mode)
        target = _target(build, build.records, old, report.mode, publisher, settings)
        report.issues += shacl_check(kstore, publisher, build, build.records, target)
        report.tables["rdf"] = {"rows": len(build.records), "valid": len(build.records)}
        _finish(
            kstore,
            auth,
            report,
            build,
            old,
            publish=publish,
            valid_only=valid_only,
            present=present,
            # a Graph Store POST keeps every record: it removes nothing to confirm
            confirmed=confirm or merge,
            expect=expect,
        )
    return report


def _finish(
    kstore: KiemenStore,
    auth: Auth,
    report: Report,
    build: Build,
    old: set[ox.Triple],
    *,
    publish: bool,
    valid_only: bool,
    present: frozenset[str] = frozenset(),
    confirmed: bool = False,
    expect: str | None = None,
) -> None:
    """Decide what to publish, publish it as a version, suggest links, write the audit log.

    A ``replace`` that removes records publishes only when confirmed for exactly the removals
    the preview showed; anything else stops with the preview and publishes nothing.
    """

    settings = kstore.settings
    publisher = auth.publisher
    ns = publisher.id_ns(settings)
    keep = build.records
    bad = _errors_by_record(report.issues, build)
    rows_with_errors = {
        (i.table, i.row) for i in report.errors if i.row is not None and i.table in TABLES
    }
    if report.errors:
        keep = _closure(build.records, bad, build, present)
    report.records = len(keep)
    would = bool(keep) and not report.structural and (valid_only or not report.errors)
    if would:  # what publishing would change: the check step's preview
        target = _target(build, keep, old, report.mode, publisher, settings)
        new = set(target)
        report.triples = len(new)
        report.added, report.removed = len(new - old), len(old - new)
        report.diff = diff(old, target, settings, ns)
    pool = linking.candidates(kstore, publisher)  # the publish below leaves them as they are
    report.suggestions = [s.as_json() for s in linking.suggest(kstore, publisher, keep, pool)]
    may_publish = publish and not report.structural and (valid_only or not report.errors)
    if not may_publish or not keep:
        if publish and not keep and not report.errors:
            report.issues.append(
                error("the upload holds no records", "de upload bevat geen records", rule="empty")
            )
        _audit(settings, auth, report)
        return
    assert report.diff is not None
    accepted = {r["iri"] for r in report.diff.removed} if confirmed else set()
    if expect is not None and expect != report.diff.digest:
        accepted = set()  # the dataset (or the upload) changed since the preview was shown
    # publish the valid rows only: what the shapes still reject goes too, round by round
    for _round in range(MAX_ROUNDS):
        version = next_version(settings, publisher.code)
        triples = _target(build, keep, old, report.mode, publisher, settings)
        planned = diff(old, triples, settings, ns)
        if {r["iri"] for r in planned.removed} - accepted:
            report.diff, report.needs_confirmation = planned, True
            _audit(
                settings,
                auth,
                report,
                detail=f"replace not confirmed: {len(planned.removed)} record(s) would be removed",
            )
            return
        try:
            publish_version(
                kstore,
                auth,
                triples,
                version,
                action=report.action,
                files=report.files,
                records=len(keep),
                where=_where(keep),
                old=old,
                report=report,
            )
        except LoadError as exc:
            more = [issue_from_problem(p, build) for p in exc.problems if p.severity == "error"]
            known = {(i.focus, i.en) for i in report.issues}
            report.issues += [i for i in more if (i.focus, i.en) not in known]
            keep = _closure(keep, _errors_by_record(more, build), build, present)
            if not keep:
                break
            continue
        kept = {r.key for r in keep}
        report.left_out = sorted(
            (
                {"table": r.table, "row": r.row, "id": r.ident, "file": r.file}
                for r in build.records
                if r.key not in kept
            ),
            key=lambda d: (d["table"], d["row"] or 0),
        )
        for table, row in sorted(rows_with_errors, key=lambda x: (x[0], x[1] or 0)):
            if not any(d["table"] == table and d["row"] == row for d in report.left_out):
                report.left_out.append({"table": table, "row": row})
        report.published, report.version = True, version
        report.records = len(keep)
        report.diff = planned
        new = set(triples)
        report.triples = len(new)
        report.added, report.removed = len(new - old), len(old - new)
        linking.store_suggestions(
            settings, publisher.code, linking.suggest(kstore, publisher, keep, pool)
        )
        report.suggestions = linking.open_suggestions(settings, publisher.code)
        return  # its audit entry was written with the version, atomically with the publish
    _audit(settings, auth, report)


def next_version(settings: Settings, code: str) -> int:
    known = versions(settings, code)
    return int(known[0]["number"]) + 1 if known else 1


def version_dir(settings: Settings, code: str, number: int) -> Path:
    return files_dir(settings, code) / "versions" / str(number)


def _true_rows(settings: Settings, rows: list[Any]) -> list[dict[str, Any]]:
    """The rows whose generation was published (see KiemenStore.lineage)."""
    lineage = KiemenStore(settings).lineage()
    out = []
    for r in rows:
        entry = dict(r)
        if entry.get("generation") is None or entry["generation"] in lineage:
            entry["files"] = json.loads(entry["files"] or "[]")
            out.append(entry)
    return out


def _forget_unpublished(db: Any, kstore: KiemenStore) -> None:
    """Drop records of generations that never became current (a writer killed before publish).

    Called under the store's write lock, so no other writer is between its records and its
    publish.
    """
    lineage = kstore.lineage(latest=True)
    for select, delete in (
        ("SELECT rowid, generation FROM versions", "DELETE FROM versions WHERE rowid = ?"),
        ("SELECT rowid, generation FROM audit", "DELETE FROM audit WHERE rowid = ?"),
    ):
        dead = [(r[0],) for r in db.execute(select) if r[1] is not None and r[1] not in lineage]
        db.executemany(delete, dead)


def published_with_key(settings: Settings, code: str, key: str) -> dict[str, Any] | None:
    """The version an earlier request with this Idempotency-Key published, if any."""
    return next((v for v in versions(settings, code) if v.get("idempotency_key") == key), None)


def publish_version(
    kstore: KiemenStore,
    auth: Auth,
    triples: list[ox.Triple],
    version: int,
    *,
    action: str,
    files: list[dict[str, Any]],
    records: int,
    where: dict[str, Location] | None = None,
    old: set[ox.Triple] | None = None,
    based_on: int | None = None,
    report: Report | None = None,
    detail: str = "",
) -> None:
    """Replace the data graph with ``triples`` in one generation and keep them as ``version``.

    The version record and the audit entry are written under the store's write lock just
    before the generation is published, naming it: they are true exactly when it is. A process
    killed before the switch leaves records that never become true (and are dropped by the next
    writer); killed after it, both the data and its records stand.
    Raises LoadError (nothing written) when the shapes reject the data.
    """
    settings = kstore.settings
    publisher = auth.publisher
    graph = publisher.data_graph(settings)
    if old is None:
        old = current_triples(kstore, graph)
    new = set(triples)
    folder = version_dir(settings, publisher.code, version)
    tmp = folder.with_name(f".{version}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    data = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES) or b""
    digest = hashlib.sha256(data).hexdigest()

    def record(generation: str) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        with connect(settings) as db:
            _forget_unpublished(db, kstore)
            db.execute(
                "INSERT INTO versions (code, number, at, token_id, action, based_on, triples, "
                "added, removed, records, files, sha256, generation, idempotency_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    publisher.code,
                    version,
                    now(),
                    auth.token.id,
                    action,
                    based_on,
                    len(new),
                    len(new - old),
                    len(old - new),
                    records,
                    json.dumps(files),
                    digest,
                    generation,
                    report.idempotency_key if report is not None else None,
                ),
            )
            if report is not None:
                outcome = Report(
                    report.publisher,
                    report.action,
                    issues=report.issues,
                    files=report.files,
                    added=len(new - old),
                    removed=len(old - new),
                    published=True,
                    version=version,
                )
                _insert_audit(db, auth, outcome, detail, generation)

    try:
        (tmp / "data.nt").write_bytes(data)
        checksums = [(f"publisher:{publisher.code}/v{version}/data.nt", digest)]
        checksums += [
            (f"publisher:{publisher.code}/v{version}/{f['name']}", f["sha256"]) for f in files
        ]
        source = _source(publisher, settings, triples, f"v{version}", where=where, files=checksums)
        failpoint("publish:before-load")
        loaders.load(kstore, [source], before_publish=record, small=True)
        failpoint("publish:after-switch")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _audit(settings: Settings, auth: Auth, report: Report, detail: str = "") -> None:
    """An audit entry for something that published nothing (checks, refusals)."""
    with connect(settings) as db:
        _insert_audit(db, auth, report, detail, None)


def _insert_audit(db: Any, auth: Auth, report: Report, detail: str, generation: str | None) -> None:
    outcome = "published" if report.published else ("checked" if report.conforms else "rejected")
    if report.action == "check":
        outcome = "valid" if report.conforms else "invalid"
    if not detail and report.errors:
        first = report.errors[0]
        where = ", ".join(
            x for x in (first.file, f"row {first.row}" if first.row else "", first.column) if x
        )
        detail = f"{where}: {first.en}" if where else first.en
        detail = detail[:300]
    db.execute(
        "INSERT INTO audit (at, code, token_id, action, outcome, version, files, added, "
        "removed, errors, warnings, detail, generation) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            now(),
            auth.publisher.code,
            auth.token.id,
            report.action,
            outcome,
            report.version,
            json.dumps(report.files),
            report.added if report.published else 0,
            report.removed if report.published else 0,
            len(report.errors),
            len(report.warnings),
            detail,
            generation,
        ),
    )


def audit_log(settings: Settings, code: str) -> list[dict[str, Any]]:
    with connect(settings) as db:
        rows = db.execute("SELECT * FROM audit WHERE code = ? ORDER BY id DESC", (code,)).fetchall()
    return _true_rows(settings, rows)


def versions(settings: Settings, code: str) -> list[dict[str, Any]]:
    with connect(settings) as db:
        rows = db.execute(
            "SELECT * FROM versions WHERE code = ? ORDER BY number DESC", (code,)
        ).fetchall()
    return _true_rows(settings, rows)


def version_triples(settings: Settings, code: str, number: int) -> list[ox.Triple] | None:
    path = version_dir(settings, code, number) / "data.nt"
    if not path.exists() or not any(v["number"] == number for v in versions(settings, code)):
        return None
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    ]


def rollback(kstore: KiemenStore, auth: Auth, to_version: int) -> Report:
    """Publish an earlier version's triples again, as the newest version."""
    settings = kstore.settings
    publisher = auth.publisher
    report = Report(publisher.code, "rollback")
    with publisher_lock(settings, publisher.code):
        triples = version_triples(settings, publisher.code, to_version)
        if triples is None:
            report.issues.append(
                error(
                    f"{publisher.code} has no version {to_version}",
                    f"{publisher.code} heeft geen versie {to_version}",
                    rule="version",
                )
            )
            _audit(settings, auth, report)
            return report
        old = current_triples(kstore, publisher.data_graph(settings))
        version = next_version(settings, publisher.code)
        new = set(triples)
        try:
            publish_version(
                kstore,
                auth,
                triples,
                version,
                action="rollback",
                files=[],
                records=len(
                    [
                        tr
                        for tr in triples
                        if tr.predicate == RDF_TYPE
                        and settings.canonical(value(tr.object))
                        in (KM + "Initiative", KM + "Organisation", KM + "Involvement")
                    ]
                ),
                old=old,
                based_on=to_version,
                report=report,
                detail=f"rollback to version {to_version}",
            )
        except LoadError as exc:
            report.issues += [issue_from_problem(p, Build()) for p in exc.problems]
            _audit(settings, auth, report, detail=f"rollback to version {to_version} refused")
            return report
        report.published, report.version = True, version
        report.triples, report.added, report.removed = len(new), len(new - old), len(old - new)
        report.diff = diff(old, triples, settings, publisher.id_ns(settings))
    return report


# -------------------------------------------------------------------------------------------------
# the publisher's record in the meta graph (catalogue), completed inside each generation


def annotate_meta(gen: Generation, kstore: KiemenStore) -> None:
    """Give every publisher graph's DCAT record its publisher, licence and contact point.

    Runs as an index hook (after the loaders recorded provenance, before publishing), so the
    record and the data change in the same atomic generation.
    """
    settings = kstore.settings
    store = gen.store
    meta = graph_iri(settings, "meta")
    prefix = settings.graph_ns + "publishers/"
    graphs = [
        q.subject.value
        for q in store.quads_for_pattern(None, RDF_TYPE, n(DCAT + "Dataset"), meta)
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix)
    ]
    if not graphs:
        return
    registry = Registry(settings)
    for graph in graphs:
        code, _, part = graph[len(prefix) :].partition("/")
        publisher = registry.get(code)
        if publisher is None:
            continue
        source = next(iter(store.quads_for_pattern(n(graph), n(DCT + "source"), None, meta)), None)
        version = ""
        if source is not None and "/v" in value(source.object):
            version = value(source.object).rsplit("/v", 1)[-1]
        _describe(store, meta, settings, publisher, graph, part, version)


_MANAGED = (
    DCT + "title",
    DCT + "description",
    DCT + "publisher",
    DCT + "creator",
    DCT + "license",
    DCAT + "contactPoint",
    DCT + "identifier",
    DCAT + "landingPage",
    DCAT + "version",
    DCAT + "distribution",
    DCAT + "keyword",
    DCT + "spatial",
)


def _describe(
    store: ox.Store,
    meta: ox.NamedNode,
    settings: Settings,
    publisher: Publisher,
    graph: str,
    part: str,
    version: str,
) -> None:
    g = n(graph)
    for p in _MANAGED:
        for q in list(store.quads_for_pattern(g, n(p), None, meta)):
            store.remove(q)
    base = settings.base_uri
    agent = publisher.agent
    contact = publisher.id_ns(settings) + "contact"
    page = f"{base}publish/{publisher.code}"
    licence = publisher.licence
    kind = "LocalAuthority" if publisher.body.type == "gemeente" else "RegionalAuthority"
    dist = publisher.id_ns(settings) + "distribution/turtle"
    download = f"{base}publish/{publisher.code}/versions/latest.ttl"
    for node in (agent, contact, page, dist, download):
        for q in list(store.quads_for_pattern(n(node), None, None, meta)):
            store.remove(q)
    if part == "links":
        titles = {"nl": f"Koppelingen van {publisher.name}", "en": f"Links of {publisher.name}"}
        texts = {
            "nl": f"Door {publisher.name} bevestigde koppelingen (owl:sameAs, skos:exactMatch) "
            "tussen de eigen initiatieven en actoren en die elders in Kiemen, met herkomst.",
            "en": f"Links {publisher.name} confirmed (owl:sameAs, skos:exactMatch) between its "
            "own initiatives and actors and those elsewhere in Kiemen, with provenance.",
        }
    else:
        titles = {
            "nl": f"Lokale initiatieven van {publisher.name}",
            "en": f"Local initiatives of {publisher.name}",
        }
        texts = {
            "nl": f"Initiatieven, actoren en rollen die {publisher.name} zelf publiceert in "
            "Kiemen, gekoppeld aan de rest van de kennisgraaf.",
            "en": f"Initiatives, actors and roles that {publisher.name} publishes itself in "
            "Kiemen, linked to the rest of the knowledge graph.",
        }
    quads: list[tuple[str, str, ox.NamedNode | ox.Literal]] = []
    for lang, text in titles.items():
        quads.append((graph, DCT + "title", lit(text, lang=lang)))
    for lang, text in texts.items():
        quads.append((graph, DCT + "description", lit(text, lang=lang)))
    quads += [
        (graph, DCT + "identifier", lit(graph)),
        (graph, DCT + "publisher", n(agent)),
        (graph, DCT + "creator", n(agent)),
        (graph, DCAT + "contactPoint", n(contact)),
        (graph, DCT + "license", n(licence.iri)),
        (graph, DCAT + "landingPage", n(page)),
        (page, RDF + "type", n(FOAF + "Document")),
        (agent, RDF + "type", n(FOAF + "Agent")),
        (agent, RDF + "type", n(FOAF + "Organization")),
        (agent, FOAF + "name", lit(publisher.name, lang="nl")),
        (agent, DCT + "type", n(ADMS_TYPE + kind)),
        (agent, DCT + "identifier", lit(publisher.code)),
        (ADMS_TYPE + kind, RDF + "type", n(SKOS + "Concept")),
        (
            ADMS_TYPE + kind,
            SKOS + "prefLabel",
            lit("Local Authority" if kind == "LocalAuthority" else "Regional Authority", lang="en"),
        ),
        (ADMS_TYPE + kind, SKOS + "inScheme", n(ADMS_TYPE + "1.0")),
        (contact, RDF + "type", n(VCARD + "Kind")),
        (contact, RDF + "type", n(VCARD + "Organization")),
        # the public contact point is the organisation and its page; the contact person and
        # address given at registration stay private (publishers.sqlite3, never a graph)
        (contact, VCARD + "fn", lit(publisher.name)),
        (contact, VCARD + "hasURL", n(publisher.contact_url or page)),
        (licence.iri, RDF + "type", n(DCT + "LicenseDocument")),
        (licence.iri, RDFS + "label", lit(licence.label)),
        (licence.iri, RDFS + "seeAlso", n(licence.url)),
    ]
    if version:
        quads.append((graph, DCAT + "version", lit(version)))
    if part != "links":
        quads += [
            (graph, DCAT + "distribution", n(dist)),
            (dist, RDF + "type", n(DCAT + "Distribution")),
            (dist, DCT + "title", lit(f"{titles['nl']} (Turtle, nieuwste versie)", lang="nl")),
            (dist, DCT + "title", lit(f"{titles['en']} (Turtle, latest version)", lang="en")),
            (
                dist,
                DCT + "description",
                lit(
                    "De nieuwste versie als Turtle; eerdere versies staan op de pagina van de "
                    "uitgever.",
                    lang="nl",
                ),
            ),
            (
                dist,
                DCT + "description",
                lit(
                    "The latest version as Turtle; earlier versions are on the publisher's page.",
                    lang="en",
                ),
            ),
            (dist, DCAT + "accessURL", n(download)),
            (dist, DCAT + "downloadURL", n(download)),
            (download, RDF + "type", n(RDFS + "Resource")),
            (dist, DCAT + "mediaType", n(IANA + "text/turtle")),
            (IANA + "text/turtle", RDF + "type", n(DCT + "MediaType")),
            (dist, DCT + "format", n(EU + "file-type/RDF_TURTLE")),
            (EU + "file-type/RDF_TURTLE", RDF + "type", n(DCT + "MediaTypeOrExtent")),
            (dist, DCT + "license", n(licence.iri)),
            (dist, FOAF + "page", n(page)),
        ]
    store.extend(ox.Quad(n(s), n(p), o, meta) for s, p, o in quads)


class _WithdrawLinks:
    """Removing a publisher's links graph, as a writer of :func:`core.write.pipeline.run`."""

    def __init__(
        self, kstore: KiemenStore, publisher: Publisher, agent: str, agent_label: str
    ) -> None:
        settings = kstore.settings
        self.kstore = kstore
        self.graph = n(publisher.links_graph(settings))
        self.data = publisher.data_graph(settings)
        self.meta = graph_iri(settings, provenance.META_GRAPH)
        self.agent = agent
        self.agent_label = agent_label
        self.started = dt.datetime.now(dt.UTC)
        self.removed = 0

    def authorise(self, gen: Generation) -> None:
        """The caller has checked the publisher's token; the graph is that publisher's own."""

    def write(self, gen: Generation) -> None:
        self.removed = sum(1 for _ in gen.store.quads_for_pattern(None, None, None, self.graph))
        gen.store.remove_graph(self.graph)
        for q in list(gen.store.quads_for_pattern(self.graph, None, None, self.meta)):
            gen.store.remove(q)

    def validate(self, gen: Generation) -> None:
        """The publisher's data, which the links described, still meets the shapes."""
        problems = validate_graphs(self.kstore, gen, [self.data])
        if any(p.severity == "error" for p in problems):
            raise LoadError(problems)

    def provenance(self, gen: Generation) -> None:
        provenance.record_write(
            gen.store,
            self.kstore.settings,
            {self.graph.value: (0, self.removed)},
            kind="unlink",
            agent=self.agent,
            agent_label=self.agent_label,
            started=self.started,
        )

    def close(self) -> None:
        pass

    def index_delta(self, gen: Generation) -> Delta | None:
        """The links graph and the meta graph, diffed against the parent generation."""
        return delta(gen, [self.graph.value, self.meta.value], {})


def withdraw_links_graph(
    kstore: KiemenStore,
    publisher: Publisher,
    agent: str,
    agent_label: str = "",
    before_publish: Callable[[str], None] | None = None,
) -> bool:
    """Remove the links graph and its record (when the last confirmed link is undone), through
    the write pipeline; ``agent`` (a token's id) and its label go into the write record, and
    ``before_publish(generation)`` writes the caller's records that become true with it.
    False (nothing written) when the publisher has no links graph."""
    if not kstore.reader().contains_named_graph(n(publisher.links_graph(kstore.settings))):
        return False
    writer = _WithdrawLinks(kstore, publisher, agent, agent_label)
    pipeline.run(kstore, writer, before_publish=before_publish)
    return True


__all__ = [
    "Build",
    "PublisherLoader",
    "Record",
    "Report",
    "StoreError",
    "annotate_meta",
    "audit_log",
    "process_rdf",
    "process_upload",
    "rollback",
    "shacl_report",
    "versions",
]
