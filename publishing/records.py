"""A publisher's upload as records: the template's rows (or RDF subjects) as RDF in the
project's model, each record derived from a section of the publisher's register."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from core.config import Settings
from core.messages import bundled, msg
from core.store import KiemenStore
from core.vocab import (
    DCT,
    FOAF,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    WGS,
    XSD,
)
from loaders.rdf import rebase_term
from publishing.publishers import (
    Body,
    Publisher,
    reference,
)
from publishing.template import (
    TABLES,
    CheckedRow,
    Concept,
    Issue,
    Vocabulary,
    date_datatype,
    error,
)

KM = "https://w3id.org/kiemen/def/"
RDF_TYPE = ox.NamedNode(RDF + "type")


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
            *(
                t(register, DCT + "title", lit(said, lang=lang))
                for lang, said in bundled()
                .both(msg("publishing.register.title", name=publisher.name))
                .items()
            ),
            t(register, DCT + "publisher", n(publisher.agent)),
            t(register, DCT + "issued", lit(dt.date.today().year, "gYear")),
            t(register, DCT + "language", lit("nl")),
        ]
    return register


def _section(
    record: Record, publisher: Publisher, settings: Settings, title: str, line: int
) -> str:
    register = register_iri(publisher, settings)
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


def register_iri(publisher: Publisher, settings: Settings) -> str:
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


def without_our_own(
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
                            msg("upload.error.namespace", subject=s.value, namespace=ns),
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
    register = register_iri(publisher, settings)
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


def current_triples(kstore: KiemenStore, graph: str) -> set[ox.Triple]:
    store = kstore.reader()
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, n(graph))
    }
