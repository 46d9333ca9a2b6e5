"""What the page of each kind of thing shows beyond its statements (``kinds/{kind}.html``).

Listed in :func:`portal.wiring.default_wiring`: the ``/page/…`` view calls the provider of
the page's kind with ``(kstore, iri, lang)`` and hands the result to the template as ``extra``.
Details come from stored queries with bound parameters (a few milliseconds each); lists that
could be long (initiatives of a concept or place, related initiatives) come from the index
built at load and link to the browser, where they can be filtered further.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import pyoxigraph as ox
from flask import has_request_context, request

from core.indexes import facets
from core.indexes.facets import BrowseIndex
from core.store import KiemenStore, term_value
from core.vocab import DCT, FOAF, RDFS, SCHEMA, SKOS, WGS
from portal import listing
from portal.builtin_labels import builtin_labels
from portal.resource import page_path
from portal.titles import with_scheme

MAPPINGS = ("exactMatch", "closeMatch", "relatedMatch", "broadMatch", "narrowMatch")
#: Sections listed on a document page (the SPARQL link gives them all).
SECTIONS_SHOWN = 100
#: Initiatives listed on a concept, place, actor or document page before "all in the browser".
LIST_PREVIEW = 10

Row = dict[str, Any]


# -- helpers ------------------------------------------------------------------------------------


_val = term_value  # plain Python values for RDF terms (one definition, in core.store)


def _rows(kstore: KiemenStore, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of a stored query with the RDF terms kept (language tags matter here)."""
    result = kstore.run(name, params)
    names = [v.value for v in result.variables]
    return [{n: s[n] for n in names} for s in result]


class Statements:
    """What the graph says about one thing: ``{property: [terms]}``."""

    def __init__(self, kstore: KiemenStore, iri: str) -> None:
        self.by_prop: dict[str, list[Any]] = defaultdict(list)
        for row in _rows(kstore, "thing-statements", {"thing": ox.NamedNode(iri)}):
            self.by_prop[row["p"].value].append(row["o"])

    def text(self, prop: str, lang: str) -> str:
        texts = {
            (getattr(t, "language", None) or ""): t.value
            for t in self.by_prop.get(prop, [])
            if isinstance(t, ox.Literal)
        }
        return facets.pick(texts, lang)

    def texts(self, prop: str, lang: str) -> list[str]:
        """Literals in ``lang`` (else in the other language, else without one)."""
        lits = [t for t in self.by_prop.get(prop, []) if isinstance(t, ox.Literal)]
        for wanted in (lang, "en" if lang == "nl" else "nl", ""):
            found = [t.value for t in lits if (t.language or "") == wanted]
            if found:
                return found
        return [t.value for t in lits]

    def iris(self, prop: str) -> list[str]:
        return [t.value for t in self.by_prop.get(prop, []) if isinstance(t, ox.NamedNode)]

    def first(self, prop: str) -> Any:
        values = self.by_prop.get(prop, [])
        return _val(values[0]) if values else None

    def all(self, prop: str) -> list[Any]:
        return [_val(t) for t in self.by_prop.get(prop, [])]


class Namer:
    """Labels and page links for IRIs, from the index built at load."""

    def __init__(self, kstore: KiemenStore, idx: BrowseIndex, lang: str) -> None:
        self.kstore = kstore
        self.settings = kstore.settings
        self.idx = idx
        self.lang = lang

    def label(self, iri: str) -> str:
        """The name in the page's language; a concept's with its scheme where a concept of
        another scheme has the same name (``faciliteren (overheidsrol)``)."""

        return with_scheme(self.kstore, iri, self._label(iri), self.lang)

    def _label(self, iri: str) -> str:
        item = self.idx.item_lookup.get(iri)
        if item is not None:
            found = facets.pick(self.idx.info[item].get("label"), self.lang)
            if found:
                return found
        if iri in builtin_labels() and iri not in self.idx.labels:
            return facets.pick(builtin_labels()[iri], self.lang)
        return self.idx.label(iri, self.lang)

    def url(self, iri: str) -> str:
        path = page_path(self.settings, iri)
        return "/page/" + path if path else iri

    def link(self, iri: str) -> dict[str, str]:
        return {"iri": iri, "label": self.label(iri), "url": self.url(iri)}

    def links(self, iris: Iterable[str]) -> list[dict[str, str]]:
        return sorted((self.link(i) for i in dict.fromkeys(iris)), key=lambda x: x["label"].lower())


def _context(kstore: KiemenStore, lang: str) -> tuple[BrowseIndex, Namer]:
    idx = listing.browse_index(kstore)
    return idx, Namer(kstore, idx, lang)


NONE = "urn:kiemen:none"


def _present(term: Any) -> bool:
    return term is not None and term.value != NONE


def _sections(rows: list[Row], namer: Namer) -> dict[str, Row]:
    """Source passages keyed by section IRI, with what each supports."""
    out: dict[str, Row] = {}
    for r in rows:
        if not _present(r.get("section")):
            continue
        r = {k: (v if _present(v) else None) for k, v in r.items()}
        parent, document = r.get("parent"), r.get("document")
        if parent is not None and document is not None and parent.value == document.value:
            r["parentHeading"] = None
        section = r["section"].value
        rec = out.setdefault(
            section,
            {
                "section": section,
                "url": namer.url(section),
                "heading": _val(r.get("heading")) or namer.label(section),
                "type": namer.label(r["sectionType"].value) if r.get("sectionType") else "",
                "parent": _val(r.get("parentHeading")),
                "document": namer.link(r["document"].value) if r.get("document") else None,
                "document_title": _val(r.get("documentTitle")),
                "line_start": _val(r.get("lineStart")),
                "line_end": _val(r.get("lineEnd")),
                "about": [],
            },
        )
        about = r.get("about")
        if about is not None and about.value not in rec["about"]:
            rec["about"].append(about.value)
    return out


def _uncertainties(kstore: KiemenStore, iri: str, lang: str, namer: Namer) -> list[Row]:
    grouped: dict[str, Row] = {}
    for r in _rows(kstore, "thing-uncertainties", {"thing": ox.NamedNode(iri), "lang": lang}):
        rec = grouped.setdefault(
            r["uncertainty"].value,
            {"concerns": None, "comment": "", "alternatives": []},
        )
        if r.get("concerns") is not None:
            rec["concerns"] = namer.link(r["concerns"].value)
        if r.get("comment") is not None:
            rec["comment"] = r["comment"].value
        alt = r.get("alternative")
        if alt is not None:
            shown = namer.link(alt.value) if isinstance(alt, ox.NamedNode) else {"label": alt.value}
            if shown not in rec["alternatives"]:
                rec["alternatives"].append(shown)
    return list(grouped.values())


def _initiative_preview(
    idx: BrowseIndex, facet: str, value: str, lang: str, kstore: KiemenStore
) -> Row | None:
    """The first initiatives with a facet value, the count and links to browser and SPARQL."""
    f = idx.facets[facet]
    v = f.lookup.get(value)
    if v is None:
        return None
    members = f.items_of(v)
    if not len(members):
        return None
    order = idx.order("label", lang)
    mask = idx.facet_mask(facet, [v])
    items, total, _ = idx.page(mask, order, LIST_PREVIEW)
    return {
        "facet": facet,
        "count": total,
        "rows": [idx.row(i, lang) for i in items],
        "browse_url": listing.url_with("/browse", {facet: [f.tokens[v]]}),
        "sparql_url": listing.sparql_link(
            kstore.settings, "browse-initiatives", {facet: [value], "lang": [lang]}
        ),
    }


# -- initiative ---------------------------------------------------------------------------------


def initiative(kstore: KiemenStore, iri: str, lang: str) -> dict[str, Any]:
    idx, namer = _context(kstore, lang)
    node = ox.NamedNode(iri)
    st = Statements(kstore, iri)
    km = kstore.settings.def_ns
    forms = {"stated": [], "inferred": []}  # type: dict[str, list[Row]]
    for r in _rows(kstore, "initiative-forms", {"initiative": node, "lang": lang}):
        entry = namer.link(r["form"].value)
        entry["own"] = _val(r.get("own"))
        entry["joint"] = _val(r.get("joint"))
        key = "stated" if _val(r.get("stated")) else "inferred"
        if entry not in forms[key]:
            forms[key].append(entry)
    involvements: dict[str, Row] = {}
    for r in _rows(kstore, "initiative-involvements", {"initiative": node, "lang": lang}):
        inv = involvements.setdefault(
            r["involvement"].value,
            {
                "iri": r["involvement"].value,
                "actor": namer.link(r["actor"].value),
                "roles": [],
                "stated": _val(r.get("stated")),
                "start": _val(r.get("start")),
                "end": _val(r.get("end")),
                "comment": _val(r.get("comment")) or "",
                "sections": [],
            },
        )
        role = namer.link(r["role"].value)
        role["scheme"] = namer.label(r["scheme"].value) if r.get("scheme") is not None else ""
        if role not in inv["roles"]:
            inv["roles"].append(role)
        if r.get("section") is not None and r["section"].value not in inv["sections"]:
            inv["sections"].append(r["section"].value)
    channels: dict[str, Row] = {}
    for r in _rows(kstore, "initiative-channels", {"initiative": node}):
        channels.setdefault(
            r["channel"].value,
            {
                "label": _val(r.get("label"))
                or _val(r.get("handle"))
                or namer.label(r["channel"].value),
                "type": namer.label(r["type"].value) if r.get("type") is not None else "",
                "platform": namer.label(r["platform"].value)
                if r.get("platform") is not None
                else "",
                "url": _val(r.get("url")),
                "handle": _val(r.get("handle")),
            },
        )
    facts = []
    for r in _rows(kstore, "initiative-facts", {"initiative": node, "lang": lang}):
        facts.append(
            {
                "iri": r["fact"].value,
                "measure": namer.label(r["measure"].value) if r.get("measure") is not None else "",
                "value": _val(r.get("value")),
                "unit": _val(r.get("unit")) or "",
                "date": _val(r.get("date")) or "",
                "comment": _val(r.get("comment")) or "",
                "section": r["section"].value if r.get("section") is not None else None,
            }
        )
    places: dict[str, Row] = {}
    for r in _rows(kstore, "initiative-places", {"initiative": node}):
        rec = places.setdefault(r["place"].value, namer.link(r["place"].value))
        rec["lat"], rec["long"] = _val(r.get("lat")), _val(r.get("long"))
        if r.get("within") is not None:
            rec["within"] = namer.link(r["within"].value)
    sections = _sections(_rows(kstore, "initiative-sources", {"initiative": node}), namer)
    about_labels: dict[str, str] = {iri: namer.label(iri)}
    for inv in involvements.values():
        about_labels[inv["iri"]] = (
            inv["actor"]["label"] + " — " + ", ".join(x["label"] for x in inv["roles"])
        )
    for fact in facts:
        about_labels[fact["iri"]] = f"{fact['measure']}: {fact['value']} {fact['unit']}".strip()
    for rec in sections.values():
        rec["about_labels"] = [about_labels.get(a, namer.label(a)) for a in rec["about"]]
    section_numbers = {s: n + 1 for n, s in enumerate(sections)}
    item = idx.item_lookup.get(iri)
    related = []
    if item is not None:
        for other, _score, shared in idx.related(item):
            related.append(
                {
                    **idx.row(other, lang),
                    "url": namer.url(idx.items[other]),
                    "shared": [
                        {"facet": key, "things": [namer.label(x) for x in values]}
                        for key, values in shared.items()
                    ],
                }
            )
    start, end = st.first(SCHEMA + "startDate"), st.first(SCHEMA + "endDate")
    return {
        "label": namer.label(iri),
        "description": st.text(DCT + "description", lang),
        "alt_labels": st.texts(SKOS + "altLabel", lang),
        "homepages": st.iris(FOAF + "homepage"),
        "start": start,
        "end": end,
        "period_note": st.text(km + "periodNote", lang),
        "stage": namer.links(st.iris(km + "lifecycleStage")),
        "seed": namer.links(st.iris(km + "seedOf")),
        "themes": namer.links(st.iris(DCT + "subject")),
        "see_also": namer.links(st.iris(RDFS + "seeAlso")),
        "forms": forms,
        "involvements": sorted(
            involvements.values(), key=lambda x: (x["start"] or "", x["actor"]["label"].lower())
        ),
        "channels": sorted(channels.values(), key=lambda c: c["label"].lower()),
        "facts": facts,
        "places": list(places.values()),
        "sources": list(sections.values()),
        "section_numbers": section_numbers,
        "own_sections": [s for s, rec in sections.items() if iri in rec["about"]],
        "uncertainties": _uncertainties(kstore, iri, lang, namer),
        "related": related,
        "related_sparql": listing.sparql_link(
            kstore.settings, "initiative-related", {"initiative": [iri]}
        ),
        "sources_sparql": listing.sparql_link(
            kstore.settings, "initiative-sources", {"initiative": [iri]}
        ),
        "participants_sparql": listing.sparql_link(
            kstore.settings, "initiative-involvements", {"initiative": [iri], "lang": [lang]}
        ),
    }


# -- actor --------------------------------------------------------------------------------------


def actor(kstore: KiemenStore, iri: str, lang: str) -> dict[str, Any]:
    idx, namer = _context(kstore, lang)
    st = Statements(kstore, iri)
    km = kstore.settings.def_ns
    role_filter = None
    params: dict[str, Any] = {"actor": ox.NamedNode(iri)}
    if has_request_context() and request.args.get("role"):
        found = idx.resolve({"role": [request.args["role"]]}).get("role")
        if found:
            role_filter = idx.facets["role"].values[found[0]]
            params["role"] = ox.NamedNode(role_filter)
    involvements: dict[str, Row] = {}
    roles_seen: dict[str, str] = {}
    section_rows: list[Row] = []
    for r in _rows(kstore, "actor-involvements", params):
        inv = involvements.setdefault(
            r["involvement"].value,
            {
                "initiative": namer.link(r["initiative"].value),
                "roles": [],
                "stated": _val(r.get("stated")),
                "start": _val(r.get("start")),
                "end": _val(r.get("end")),
                "initiative_start": _val(r.get("initiativeStart")),
                "initiative_end": _val(r.get("initiativeEnd")),
                "sections": [],
            },
        )
        role = namer.link(r["role"].value)
        if role not in inv["roles"]:
            inv["roles"].append(role)
        if _present(r.get("section")) and r["section"].value not in inv["sections"]:
            inv["sections"].append(r["section"].value)
            section_rows.append(r)
    # Every role this actor plays, for the role filter (from the index: cheap).
    actor_value = idx.facets["actor"].lookup.get(iri)
    if actor_value is not None:
        rows = idx.inv_actor == actor_value
        for v in set(int(x) for x in idx.inv_role[rows]):
            role_iri = idx.facets["role"].values[v]
            roles_seen[idx.facets["role"].tokens[v]] = namer.label(role_iri)
    sections = _sections(section_rows, namer)
    sparql_params: dict[str, list[str]] = {"actor": [iri]}
    if role_filter:
        sparql_params["role"] = [role_filter]
    timeline = sorted(
        involvements.values(),
        key=lambda x: (
            str(x["start"] or x["initiative_start"] or "9999"),
            x["initiative"]["label"].lower(),
        ),
    )
    return {
        "label": namer.label(iri),
        "description": st.text(DCT + "description", lang),
        "types": namer.links(st.iris(km + "actorType")),
        "homepages": st.iris(FOAF + "homepage"),
        "places": namer.links(st.iris(DCT + "spatial")),
        "cbs": st.first(km + "cbsCode"),
        "timeline": timeline,
        "sections": sections,
        "roles": sorted(roles_seen.items(), key=lambda x: x[1].lower()),
        "role_filter": role_filter,
        "role_filter_label": namer.label(role_filter) if role_filter else "",
        "sparql_url": listing.sparql_link(kstore.settings, "actor-involvements", sparql_params),
        "browse": _initiative_preview(idx, "actor", iri, lang, kstore),
        "network_url": listing.url_with(
            "/network",
            {"actor": [idx.facets["actor"].tokens[actor_value]]} if actor_value is not None else {},
        ),
    }


# -- concept ------------------------------------------------------------------------------------


def concept(kstore: KiemenStore, iri: str, lang: str) -> dict[str, Any]:
    idx, namer = _context(kstore, lang)
    st = Statements(kstore, iri)
    km = kstore.settings.def_ns
    narrower = [
        r["narrower"].value
        for r in _rows(kstore, "concept-narrower", {"concept": ox.NamedNode(iri)})
    ]
    mappings = []
    for name in MAPPINGS:
        for target in st.iris(SKOS + name):
            mappings.append({"relation": namer.label(SKOS + name), **namer.link(target)})
    using = None
    for facet in ("form", "govrole", "actortype", "theme", "channel", "role", "period"):
        using = _initiative_preview(idx, facet, iri, lang, kstore)
        if using:
            break
    own, joint = st.first(km + "ownInitiativeScore"), st.first(km + "jointnessScore")
    return {
        "label": namer.label(iri),
        "definition": st.text(SKOS + "definition", lang),
        "alt_labels": st.texts(SKOS + "altLabel", lang),
        "schemes": namer.links(st.iris(SKOS + "inScheme")),
        "broader": namer.links(st.iris(SKOS + "broader")),
        "narrower": namer.links(narrower),
        "mappings": mappings,
        "sources": namer.links(st.iris(DCT + "source")),
        "scores": (own, joint) if own is not None and joint is not None else None,
        "using": using,
    }


# -- place --------------------------------------------------------------------------------------


def place(kstore: KiemenStore, iri: str, lang: str) -> dict[str, Any]:
    idx, namer = _context(kstore, lang)
    st = Statements(kstore, iri)
    km = kstore.settings.def_ns
    contains, actors = place_contents(kstore, idx, iri)
    lat, long = st.first(WGS + "lat"), st.first(WGS + "long")
    return {
        "label": namer.label(iri),
        "types": namer.links(st.iris(km + "placeType")),
        "lat": lat,
        "long": long,
        "country": st.first(km + "countryCode"),
        "cbs": st.first(km + "cbsCode"),
        "within": namer.links(st.iris(SCHEMA + "containedInPlace")),
        "contains": namer.links(contains),
        "actors": namer.links(actors),
        "using": _initiative_preview(idx, "place", iri, lang, kstore),
    }


def place_contents(kstore: KiemenStore, idx: BrowseIndex, iri: str) -> tuple[list[str], list[str]]:
    """The places within a place and its actors, each sorted by IRI (the page sorts them by
    name; the IRI orders things of the same name). From the index, where it keeps them (no
    store read: the query reads every thing's type); from ``place-contents`` where it does not
    (an index written by an older release)."""
    if idx.contents is not None:
        found = idx.contents.of(iri)
        return found["contains"], found["actor"]
    contains: set[str] = set()
    actors: set[str] = set()
    for r in _rows(kstore, "place-contents", {"place": ox.NamedNode(iri)}):
        if isinstance(r.get("contained"), ox.NamedNode):
            contains.add(r["contained"].value)
        if isinstance(r.get("actor"), ox.NamedNode):
            actors.add(r["actor"].value)
    return sorted(contains), sorted(actors)


# -- source document ----------------------------------------------------------------------------


def document(kstore: KiemenStore, iri: str, lang: str) -> dict[str, Any]:
    idx, namer = _context(kstore, lang)
    st = Statements(kstore, iri)
    km = kstore.settings.def_ns
    node = ox.NamedNode(iri)
    sections = []
    section_rows = _rows(kstore, "sections-described", {"document": node})
    for r in section_rows[:SECTIONS_SHOWN]:
        sections.append(
            {
                "url": namer.url(r["section"].value),
                "heading": _val(r.get("heading")) or namer.label(r["section"].value),
                "type": namer.label(r["sectionType"].value)
                if r.get("sectionType") is not None
                else "",
                "parent": _val(r.get("parentHeading"))
                if r.get("parent") is not None and r["parent"].value != iri
                else None,
                "line_start": _val(r.get("lineStart")),
                "line_end": _val(r.get("lineEnd")),
            }
        )
    # Counted at load (``document-supports``): a document may back tens of thousands of things.
    supports = [
        {"kind": namer.label(kind), "count": count}
        for kind, count in idx.supports.get(iri, [])
        if kind.startswith(km)
    ]
    creators = [
        namer.link(v.value) if isinstance(v, ox.NamedNode) else {"label": v.value}
        for v in st.by_prop.get(DCT + "creator", [])
    ]
    publishers = [
        namer.link(v.value) if isinstance(v, ox.NamedNode) else {"label": v.value}
        for v in st.by_prop.get(DCT + "publisher", [])
    ]
    return {
        "label": namer.label(iri),
        "description": st.text(DCT + "description", lang),
        "issued": st.first(DCT + "issued"),
        "date": st.first(DCT + "date"),
        "language": st.first(DCT + "language"),
        "seed_file": st.first(km + "seedFile"),
        "creators": creators,
        "publishers": publishers,
        "contributors": st.all(DCT + "contributor"),
        "sections": sections,
        "sections_total": len(section_rows),
        "sections_more": len(section_rows) >= SECTIONS_SHOWN,
        "supports": supports,
        "supports_sparql": listing.sparql_link(
            kstore.settings, "document-supports", {"document": [iri]}
        ),
        "uncertainties": _uncertainties(kstore, iri, lang, namer),
        "using": _initiative_preview(idx, "document", iri, lang, kstore),
        "sections_sparql": listing.sparql_link(
            kstore.settings, "sections-described", {"document": [iri]}
        ),
    }


# -- literature reference -----------------------------------------------------------------------


def reference(kstore: KiemenStore, iri: str, lang: str) -> dict[str, Any]:
    _idx, namer = _context(kstore, lang)
    st = Statements(kstore, iri)
    km = kstore.settings.def_ns
    return {
        "label": namer.label(iri),
        "title": st.text(DCT + "title", lang),
        "creators": st.all(DCT + "creator"),
        "date": st.first(DCT + "date"),
        "referenced_by": namer.links(st.iris(DCT + "isReferencedBy")),
        "supports": namer.links(st.iris(km + "supports")),
        "description": st.text(DCT + "description", lang),
    }


PROVIDERS: dict[str, Callable[[KiemenStore, str, str], Any]] = {
    "initiative": initiative,
    "actor": actor,
    "concept": concept,
    "place": place,
    "document": document,
    "reference": reference,
}
