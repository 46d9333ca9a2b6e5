"""A publisher's upload as records in the project's model, each derived from a section of the
publisher's register: what they share (the places a publisher describes itself), and an RDF
upload's subjects as records. The template's rows become records in :mod:`publishing.mapped`."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from core.config import Settings
from core.messages import msg
from core.store import KiemenStore
from core.vocab import (
    DCT,
    FOAF,
    OWL,
    PROV,
    RDF,
    SCHEMA,
    SKOS,
    WGS,
    XSD,
)
from loaders.rdf import rebase_term
from publishing.diff import Records
from publishing.publishers import (
    Body,
    Publisher,
    reference,
)
from publishing.template import (
    TABLES,
    Concept,
    Issue,
    Vocabulary,
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


def place(
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
                    n(place(build, province, places, publisher, settings)),
                )
            )
        build.support[iri] = triples
    return iri


def add_place(build: Build, record: Record, iri: str) -> None:
    if iri not in build.support:
        return  # a place the store already describes
    record.refs.add(iri)
    # a province the place lies in is needed as well
    for tr in build.support.get(iri, []):
        if tr.predicate.value == SCHEMA + "containedInPlace":
            add_place(build, record, value(tr.object))


def rebased(build: Build, settings: Settings, records: bool = True) -> Build:
    """Terms written with the canonical base (``km:`` classes and properties) moved onto ours;
    ``records=False``: the support nodes only (the records' terms are ours already)."""

    def fix(trs: list[ox.Triple]) -> list[ox.Triple]:
        return [
            ox.Triple(
                rebase_term(tr.subject, settings),
                rebase_term(tr.predicate, settings),
                rebase_term(tr.object, settings),
            )
            for tr in trs
        ]

    for rec in build.records if records else []:
        rec.triples = fix(rec.triples)
    build.support = {k: fix(v) for k, v in build.support.items()}
    return build


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
    triples: list[ox.Triple],
    publisher: Publisher,
    settings: Settings,
    source: str,
    register_node: list[ox.Triple],
) -> tuple[Build, list[Issue]]:
    """Records from RDF: one per subject; statements about others' resources are refused.
    ``register_node``: the register's statements (:func:`publishing.mapped.register_triples`).
    """
    ns = publisher.id_ns(settings)
    build = Build()
    build.support[register_iri(publisher, settings)] = register_node
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
    return rebased(build, settings), issues


def current_triples(kstore: KiemenStore, graph: str) -> set[ox.Triple]:
    store = kstore.reader()
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, n(graph))
    }


#: The data graphs as this process last published them: (store, graph) → (generation,
#: triples, their records or None). A generation never changes once published, so the content
#: a publish wrote is the content read back from that generation; the next upload built on it
#: need not read the publisher's whole graph from the store again (~0.4 s at 50,000 triples),
#: nor make its records from every statement (~0.8 s at 136,000).
_PUBLISHED: dict[tuple[str, str], tuple[str, frozenset[ox.Triple], Records | None]] = {}
_PUBLISHED_LOCK = threading.Lock()


def remember(
    kstore: KiemenStore,
    graph: str,
    generation: str,
    triples: frozenset[ox.Triple],
    records: Records | None = None,
) -> None:
    """``graph`` holds exactly ``triples`` in the published ``generation`` (its writer knows),
    whose records (:func:`publishing.diff.records_of` in the publisher's namespace) are
    ``records`` when given."""
    with _PUBLISHED_LOCK:
        _PUBLISHED[(str(kstore.root.resolve()), graph)] = (generation, triples, records)


def current_records(kstore: KiemenStore, graph: str, generation: str | None) -> Records | None:
    """The records of ``graph`` in ``generation`` when this process published it with them
    (the records of what :func:`current_state` gave for that generation); None otherwise."""
    with _PUBLISHED_LOCK:
        known = _PUBLISHED.get((str(kstore.root.resolve()), graph))
    if known is None or generation is None or known[0] != generation:
        return None
    return known[2]


def current_state(kstore: KiemenStore, graph: str) -> tuple[set[ox.Triple], str | None]:
    """The graph's triples and the generation they were read from: a write that builds on
    that generation may replace the graph by writing only the difference."""
    with kstore.one_generation():
        gen = kstore.current_generation()
        if gen is None:
            return current_triples(kstore, graph), None
        with _PUBLISHED_LOCK:
            known = _PUBLISHED.get((str(kstore.root.resolve()), graph))
        if known is not None and known[0] == gen.name:
            return set(known[1]), gen.name
        return current_triples(kstore, graph), gen.name
