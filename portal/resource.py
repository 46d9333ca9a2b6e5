"""What the graph says about one IRI: the shared core of resource pages and data documents.

:func:`describe` gathers a resource's own statements (grouped by property, with labels of the
properties and of the values in the visitor's language, falling back to the other language),
the blank nodes it points to, and its incoming links grouped by relation with counts, read in
pages. The same :class:`Resource` feeds the HTML page (``resource.html`` or a kind-specific
template) and the data document, whose quads it also collects — so a page and its data never
disagree. Every SPARQL query here is a stored query (``queries/resource-*.rq``).

Kind-specific pages have a context provider listed in :func:`portal.wiring.default_wiring`
(``kind -> callable(kstore, iri, lang)``) and a template ``kinds/{kind}.html``; the generic page
needs neither.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from core.config import Settings
from core.namespaces import curie
from core.sparql.text import valid_iri
from core.store import KiemenStore
from core.vocab import DCT, FOAF, OWL, RDF_TYPE, RDFS, SCHEMA, SKOS, WGS, XSD
from portal import titles
from portal.builtin_labels import builtin_labels
from portal.listing import bind_many
from publishing.licensing import licence_for

#: Properties that point out of Kiemen, shown under "elsewhere" on entity pages.
LINK_PROPERTIES = (
    OWL + "sameAs",
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    RDFS + "seeAlso",
    FOAF + "homepage",
    SCHEMA + "url",
)

#: Known datasets by the start of their IRIs: (prefix, name); anything else is "website".
LINK_TARGETS = (
    ("https://sws.geonames.org/", "GeoNames"),
    ("http://sws.geonames.org/", "GeoNames"),
    ("https://participedia.net/", "Participedia"),
    ("https://www.wikidata.org/", "Wikidata"),
    ("http://www.wikidata.org/", "Wikidata"),
)

#: Label properties, most preferred first (the stored queries fetch exactly these).
LABEL_PROPERTIES = (
    SKOS + "prefLabel",
    RDFS + "label",
    DCT + "title",
    FOAF + "name",
    SCHEMA + "name",
)
#: Properties whose text describes the resource, most preferred first.
DESCRIPTION_PROPERTIES = (DCT + "description", SKOS + "definition", RDFS + "comment")
#: Shown first on a page, in this order; the rest follow sorted by label.
LEADING_PROPERTIES = (
    RDF_TYPE,
    *LABEL_PROPERTIES,
    SKOS + "altLabel",
    *DESCRIPTION_PROPERTIES,
    SKOS + "inScheme",
    SKOS + "broader",
)


@dataclass
class Term:
    """An RDF term ready for display: IRIs carry labels and the path of their page."""

    value: str
    kind: str  # "iri", "literal" or "bnode"
    lang: str = ""
    datatype: str = ""
    label: str = ""
    label_lang: str = ""
    curie: str = ""  # IRIs: CURIE (or last segment) to show when unlabelled; literals: datatype
    path: str | None = None  # page path for IRIs this portal serves
    nested: list[PropertyValues] = field(default_factory=list)  # blank node contents

    @property
    def is_iri(self) -> bool:
        return self.kind == "iri"

    @property
    def text(self) -> str:
        if self.kind != "iri":
            return self.value
        return self.label or self.curie or self.value


@dataclass
class PropertyValues:
    iri: str
    curie: str
    label: str
    values: list[Term]


@dataclass
class IncomingGroup:
    iri: str
    curie: str
    label: str
    count: int
    items: list[Term]
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class Resource:
    iri: str
    path: str | None
    kind: str
    label: str
    label_lang: str
    other_labels: list[tuple[str, str]]
    description: str
    description_lang: str
    types: list[Term]
    properties: list[PropertyValues]
    incoming: list[IncomingGroup]
    incoming_page: int
    incoming_property: str | None
    graphs: list[str]
    quads: list[ox.Quad]
    page_size: int

    @property
    def incoming_total(self) -> int:
        return sum(g.count for g in self.incoming)

    @property
    def has_next_incoming(self) -> bool:
        return any(g.has_next for g in self.incoming)

    @property
    def elsewhere(self) -> list[tuple[str, str, Term]]:
        """Outgoing links to other datasets and websites: (dataset name, property, target).

        Only IRIs this portal does not serve count; the dataset name comes from the IRI's
        start (GeoNames, Participedia, Wikidata), anything else is a website.
        """
        out: list[tuple[str, str, Term]] = []
        for p in self.properties:
            if p.iri not in LINK_PROPERTIES:
                continue
            for v in p.values:
                safe = v.value.startswith(("https://", "http://"))  # no other link schemes
                if v.kind != "iri" or v.path is not None or not safe:
                    continue
                name = next((n for pre, n in LINK_TARGETS if v.value.startswith(pre)), "")
                out.append((name, p.label, v))
        out.sort(key=lambda item: (item[0] == "", item[0], item[2].value))
        return out

    def value(self, prop: str) -> Term | None:
        for p in self.properties:
            if p.iri == prop and p.values:
                return p.values[0]
        return None

    def values(self, prop: str) -> list[Term]:
        for p in self.properties:
            if p.iri == prop:
                return p.values
        return []


# -- IRIs and paths ------------------------------------------------------------------------


#: Highest page of incoming links a request may ask for (beyond it: the same empty page).
MAX_INCOMING_PAGE = 1_000_000

#: First path segments of ``/page/`` and ``/data/`` that are not ``/id/`` kinds.
RESERVED_KINDS = ("def", "graph")


def page_path(settings: Settings, iri: str) -> str | None:
    """The path under ``/page/`` (and ``/data/``) of an IRI this portal serves, else None.

    ``{base}id/{kind}/{slug}`` -> ``{kind}/{slug}``; ``{base}def/{scheme}[/{concept}]`` ->
    ``def/{scheme}[/{concept}]``; the named graph ``{base}graph/{name}`` -> ``graph/{name}``.
    The ontology IRI ``{base}def/`` is the codebook's (``/def/``) and has no page path.
    """
    return _page_path(settings.id_ns, settings.def_ns, settings.graph_ns, iri)


def page_paths(settings: Settings) -> Callable[[str], str | None]:
    """:func:`page_path` with the namespaces read once, for an answer that asks for thousands
    of paths (a map: ~2,400; each ``page_path`` call builds the three namespaces again)."""
    return functools.partial(_page_path, settings.id_ns, settings.def_ns, settings.graph_ns)


@functools.lru_cache(maxsize=1 << 16)
def _page_path(id_ns: str, def_ns: str, graph_ns: str, iri: str) -> str | None:
    # Memoised: a map or list answer asks for thousands of paths, mostly the same places and
    # initiatives on every request; the answer depends on the namespaces and the IRI only.
    if iri.startswith(id_ns):
        rest = iri[len(id_ns) :]
        kind = rest.split("/", 1)[0]
        ok = "/" in rest.strip("/") and kind not in RESERVED_KINDS and _clean(rest)
        return rest if ok else None
    for prefix, ns in (("def/", def_ns), ("graph/", graph_ns)):
        if iri.startswith(ns):
            rest = iri[len(ns) :]
            return prefix + rest if rest and _clean(rest) else None
    return None


def iri_for_path(settings: Settings, path: str) -> str:
    """Inverse of :func:`page_path`."""
    if path.startswith("def/"):
        return settings.def_ns + path[4:]
    if path.startswith("graph/"):
        return settings.graph_ns + path[6:]
    return settings.id_ns + path


_UNCLEAN = re.compile(r'[?#\\ <>"]|/$')


def _clean(rest: str) -> bool:
    """No character that would make the path ambiguous, and no trailing slash."""
    return _UNCLEAN.search(rest) is None


def kind_of(settings: Settings, iri: str, type_iris: Iterable[str] = ()) -> str:
    """The kind that picks a page template: the ``/id/{kind}/`` segment; ``graph`` for a named
    graph; for ``/def/`` IRIs ``scheme``, ``concept`` or ``term`` (an ontology class or
    property)."""
    if iri.startswith(settings.id_ns):
        return iri[len(settings.id_ns) :].split("/", 1)[0]
    if iri.startswith(settings.graph_ns):
        return "graph"
    types = set(type_iris)
    if SKOS + "ConceptScheme" in types:
        return "scheme"
    if SKOS + "Concept" in types:
        return "concept"
    rest = iri[len(settings.def_ns) :] if iri.startswith(settings.def_ns) else iri
    return "concept" if "/" in rest else "term"


# -- language ------------------------------------------------------------------------------


def pick_lang(by_lang: dict[str, str], lang: str) -> tuple[str, str]:
    """(text, language) in ``lang``, else the other of nl/en, else language-less, else any."""
    other = "en" if lang == "nl" else "nl"
    for key in (lang, other, "", *sorted(by_lang)):
        if by_lang.get(key):
            return by_lang[key], key
    return "", ""


class _Labels:
    """Labels of IRIs gathered from query rows: {iri: {label property: {lang: text}}}."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, dict[str, str]]] = {}

    def add(self, iri: str, prop: str, literal: ox.Literal) -> None:
        by_prop = self.data.setdefault(iri, {})
        by_lang = by_prop.setdefault(prop, {})
        by_lang.setdefault(literal.language or "", literal.value)

    def best(self, iri: str, lang: str) -> tuple[str, str]:
        by_prop = self.data.get(iri, {})
        for prop in LABEL_PROPERTIES:
            if prop in by_prop:
                return pick_lang(by_prop[prop], lang)
        builtin = builtin_labels().get(iri)
        if builtin:
            return pick_lang(builtin, lang)
        return "", ""


def _term_label_fallback(settings: Settings, iri: str) -> str:
    """A readable stand-in for an unlabelled IRI: its CURIE, its path under the base, or its
    last path segment."""
    c = curie(iri, settings)
    if c != iri:
        return c
    if iri.startswith(settings.base_uri) and len(iri) > len(settings.base_uri):
        return iri[len(settings.base_uri) :]
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return tail or iri


# -- describe ------------------------------------------------------------------------------


def exists(kstore: KiemenStore, iri: str, store: ox.Store | None = None) -> bool:
    """Whether the graph says anything with ``iri`` as subject or object."""
    if not valid_iri(iri):
        return False  # no such thing: a 404, not the engine's error about a broken IRI
    return bool(kstore.run("resource-exists", {"iri": ox.NamedNode(iri)}, store=store))


def describe(
    kstore: KiemenStore,
    iri: str,
    lang: str = "nl",
    incoming_page: int = 1,
    incoming_property: str | None = None,
    page_size: int | None = None,
    store: ox.Store | None = None,
) -> Resource:
    """Everything a page or data document shows about ``iri`` (see the module docstring).

    ``incoming_page`` pages every incoming relation by ``page_size`` (default: the
    ``page_size`` setting); with ``incoming_property`` only that relation is listed.
    """
    settings = kstore.settings
    size = max(1, page_size or settings.page_size)
    # Past the last page a page is empty; the bound keeps islice's offsets within a C long.
    page = min(max(1, incoming_page), MAX_INCOMING_PAGE)
    d = _Describing(kstore, iri, lang, store)
    d.read_outgoing()
    d.read_blank_nodes()
    d.read_property_labels()
    properties = [
        _group(settings, p, vals, d.prop_labels, d.labels, lang, d.show)
        for p, vals in d.outgoing.items()
    ]
    properties.sort(key=lambda pv: _property_order(pv))
    types = next((pv.values for pv in properties if pv.iri == RDF_TYPE), [])
    label, label_lang = d.labels.best(iri, lang)
    description, description_lang = d.description()
    incoming = d.incoming(page, size, incoming_property)
    kind = kind_of(settings, iri, (t.value for t in types))
    if store is None:
        label = _name_in_words(kstore, iri, kind, label, lang)
        _name_terms(kstore, properties, incoming, lang)
    return Resource(
        iri=iri,
        path=page_path(settings, iri),
        kind=kind,
        label=label or _term_label_fallback(settings, iri),
        label_lang=label_lang,
        other_labels=d.other_labels(label, label_lang),
        description=description,
        description_lang=description_lang,
        types=types,
        properties=properties,
        incoming=incoming,
        incoming_page=page,
        incoming_property=incoming_property,
        graphs=d.graphs,
        quads=d.quads,
        page_size=size,
    )


class _Describing:
    """The reads behind :func:`describe`, and the statements they saw (for data documents)."""

    def __init__(self, kstore: KiemenStore, iri: str, lang: str, store: ox.Store | None) -> None:
        self.kstore, self.settings = kstore, kstore.settings
        self.iri, self.node, self.lang, self.store = iri, ox.NamedNode(iri), lang, store
        self.labels = _Labels()
        self.prop_labels = _Labels()
        self.quads: list[ox.Quad] = []
        self._seen: set[ox.Quad] = set()
        self.outgoing: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]] = {}
        self.graphs: list[str] = []
        self.blank: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = {}

    def keep(self, q: ox.Quad) -> None:
        if q not in self._seen:
            self._seen.add(q)
            self.quads.append(q)

    def _rows(self, name: str) -> Any:
        return self.kstore.run(name, {"iri": self.node}, store=self.store)

    def read_outgoing(self) -> None:
        """Own statements, with the labels of the values."""
        for row in self._rows("resource-outgoing"):
            p, o, g = row["p"], row["o"], row["g"]
            self.keep(ox.Quad(self.node, p, o, g))
            if g.value not in self.graphs:
                self.graphs.append(g.value)
            values = self.outgoing.setdefault(p.value, [])
            if o not in values:
                values.append(o)
            lp, label = row["lp"], row["label"]
            if lp is not None and isinstance(label, ox.Literal) and isinstance(o, ox.NamedNode):
                self.labels.add(o.value, lp.value, label)
                self.keep(ox.Quad(o, lp, label, row["lg"]))
        # Labels of the resource itself come from its own statements.
        for prop in LABEL_PROPERTIES:
            for o in self.outgoing.get(prop, []):
                if isinstance(o, ox.Literal):
                    self.labels.add(self.iri, prop, o)

    def read_blank_nodes(self) -> None:
        """Blank nodes it points to (one level), shown nested and kept in the data document."""
        for row in self._rows("resource-blank-nodes"):
            b, bp, bo, g = row["b"], row["bp"], row["bo"], row["g"]
            self.keep(ox.Quad(b, bp, bo, g))
            self.blank.setdefault(b.value, {}).setdefault(bp.value, []).append(bo)

    def read_property_labels(self) -> None:
        for row in self._rows("resource-property-labels"):
            for column in ("label", "prefLabel"):
                if row[column] is not None:
                    self.prop_labels.add(row["p"].value, RDFS + "label", row[column])

    def show(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Term:
        settings = self.settings
        if isinstance(term, ox.Literal):
            dt = term.datatype.value if term.datatype else ""
            if term.language or dt == XSD + "string":
                dt = ""
            return Term(
                term.value,
                "literal",
                lang=term.language or "",
                datatype=dt,
                curie=curie(dt, settings) if dt else "",
            )
        if isinstance(term, ox.BlankNode):
            nested = [
                _group(settings, bp, bvals, self.prop_labels, self.labels, self.lang, self.show)
                for bp, bvals in self.blank.get(term.value, {}).items()
            ]
            return Term(term.value, "bnode", nested=nested)
        text, tlang = self.labels.best(term.value, self.lang)
        return Term(
            term.value,
            "iri",
            label=text,
            label_lang=tlang,
            curie=_term_label_fallback(settings, term.value),
            path=page_path(settings, term.value),
        )

    def other_labels(self, label: str, label_lang: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for prop in LABEL_PROPERTIES:
            for o in self.outgoing.get(prop, []):
                if isinstance(o, ox.Literal) and (o.language or "") != label_lang:
                    pair = (o.language or "", o.value)
                    if o.value != label and pair not in out:
                        out.append(pair)
        return out

    def description(self) -> tuple[str, str]:
        for prop in DESCRIPTION_PROPERTIES:
            texts = {
                (o.language or ""): o.value
                for o in self.outgoing.get(prop, [])
                if isinstance(o, ox.Literal)
            }
            if texts:
                return pick_lang(texts, self.lang)
        return "", ""

    def distinct_subjects(self, p_iri: str, graphs: dict[str, int]) -> int:
        """Resources linking through ``p_iri`` from the per-graph counts: a link stated in
        several graphs counts once (the graphs other than the biggest are read for those)."""
        if len(graphs) == 1:
            return next(iter(graphs.values()))
        biggest = max(graphs, key=lambda g: (graphs[g], g))
        others = sorted(g for g in graphs if g != biggest)
        # The graphs counted as VALUES; the rest as constants (bound by substitution: as
        # VALUES the engine read every link in the biggest graph, 0.2 -> 12 ms).
        text = bind_many(self.settings, "resource-incoming-subjects-beyond", {"in": others})
        bound = {"iri": self.node, "p": ox.NamedNode(p_iri), "graph": ox.NamedNode(biggest)}
        rows = self.kstore.query(text, {ox.Variable(k): v for k, v in bound.items()}, self.store)
        beyond = sum(int(row["count"].value) for row in rows)  # no row: none beyond
        return graphs[biggest] + beyond

    def incoming(self, page: int, size: int, only: str | None) -> list[IncomingGroup]:
        """Incoming links, grouped by relation, counted, and read one page at a time."""
        in_labels = _Labels()
        by_graph: dict[str, dict[str, int]] = {}
        for row in self._rows("resource-incoming-graph-counts"):
            by_graph.setdefault(row["p"].value, {})[row["g"].value] = int(row["count"].value)
            if row["label"] is not None:
                in_labels.add(row["p"].value, RDFS + "label", row["label"])
        counts = {p: self.distinct_subjects(p, graphs) for p, graphs in by_graph.items()}
        groups: list[IncomingGroup] = []
        for p_iri, count in counts.items():
            p_label = in_labels.best(p_iri, self.lang)[0] or _term_label_fallback(
                self.settings, p_iri
            )
            group = IncomingGroup(p_iri, curie(p_iri, self.settings), p_label, count, [], 1, size)
            if only is None or only == p_iri:
                group.page = page
                group.items = _incoming_items(
                    self.kstore, self.node, p_iri, page, size, self.lang, self.keep, self.store
                )
            groups.append(group)
        groups.sort(key=lambda g: g.label.lower())
        return groups


#: Unnamed nodes titled in words on one page at most (each costs a small query).
MAX_TITLED = 200


def _name_in_words(
    kstore: KiemenStore,
    iri: str,
    kind: str,
    label: str,
    lang: str,
    words: str | None = None,
) -> str:
    """A title in words for an unnamed node; a concept's label with its scheme where another
    scheme shares the label (:mod:`portal.titles`). ``words``: the node's title when the
    caller read it already (:func:`titles.titles`)."""

    if kind == "channel":
        # A channel's own label is its address: say whose channel and what kind, then that.
        if words is None:
            words = titles.title(kstore, iri, kind, lang)
        return f"{words} ({label})" if words and label else (words or label)
    if not label and kind in titles.TITLED:
        return titles.title(kstore, iri, kind, lang) if words is None else words
    if label and kind == "concept":
        return titles.with_scheme(kstore, iri, label, lang)
    return label


def _name_terms(
    kstore: KiemenStore, properties: list[PropertyValues], incoming: list[IncomingGroup], lang: str
) -> None:
    """Give the IRIs a page lists the same names (see :func:`_name_in_words`); the unnamed
    nodes among them are titled from one query."""
    settings = kstore.settings
    terms: dict[str, list[Term]] = {}

    def visit(term: Term) -> None:
        if term.kind == "bnode":
            for pv in term.nested:
                for inner in pv.values:
                    visit(inner)
            return
        if term.kind != "iri":
            return
        if term.value not in terms:
            if len(terms) >= MAX_TITLED:
                return
            terms[term.value] = []
        terms[term.value].append(term)

    for pv in properties:
        for term in pv.values:
            visit(term)
    for group in incoming:
        for term in group.items:
            visit(term)
    kinds = {iri: kind_of(settings, iri) for iri in terms}
    untitled = {
        iri: kind
        for iri, kind in kinds.items()
        if kind == "channel" or (kind in titles.TITLED and not terms[iri][0].label)
    }
    words = titles.titles(kstore, untitled, lang)
    for iri, found in terms.items():
        name = _name_in_words(kstore, iri, kinds[iri], found[0].label, lang, words.get(iri))
        for term in found:
            term.label = name or term.label


def _property_order(pv: PropertyValues) -> tuple[int, str]:
    try:
        return (LEADING_PROPERTIES.index(pv.iri), "")
    except ValueError:
        return (len(LEADING_PROPERTIES), pv.label.lower())


def _group(
    settings: Settings,
    p: str,
    values: list[Any],
    prop_labels: _Labels,
    labels: _Labels,
    lang: str,
    show: Callable[[Any], Term],
) -> PropertyValues:
    text = prop_labels.best(p, lang)[0] or labels.best(p, lang)[0]
    terms = [show(v) for v in values]
    other = "en" if lang == "nl" else "nl"

    def order(t: Term) -> tuple[int, str]:
        if t.kind == "literal":
            rank = 0 if t.lang == lang else 1 if t.lang in ("", other) else 2
            return (rank, t.value.lower())
        return (3, t.text.lower())

    terms.sort(key=order)
    return PropertyValues(p, curie(p, settings), text or _term_label_fallback(settings, p), terms)


def _incoming_items(
    kstore: KiemenStore,
    node: ox.NamedNode,
    p_iri: str,
    page: int,
    size: int,
    lang: str,
    keep: Callable[[ox.Quad], None],
    store: ox.Store | None,
) -> list[Term]:
    """One page of the resources linking to ``node`` through ``p_iri``, labelled.

    Rows stream in the store's index order; only the rows up to the end of the page are read.
    """
    settings = kstore.settings
    skip = (page - 1) * size
    order: list[ox.NamedNode | ox.BlankNode] = []
    position: dict[ox.NamedNode | ox.BlankNode, int] = {}
    labels = _Labels()
    pending: list[tuple[int, ox.Quad]] = []
    rows = kstore.run("resource-incoming", {"iri": node, "p": ox.NamedNode(p_iri)}, store=store)
    for row in rows:
        s = row["s"]
        if s not in position:
            if len(order) >= skip + size:
                break
            position[s] = len(order)
            order.append(s)
        idx = position[s]
        if idx < skip:
            continue
        pending.append((idx, ox.Quad(s, row["p"], node, row["g"])))
        lp, label = row["lp"], row["label"]
        if lp is not None and isinstance(label, ox.Literal):
            labels.add(s.value, lp.value, label)
            pending.append((idx, ox.Quad(s, lp, label, row["lg"])))
    for _idx, q in pending:
        keep(q)
    items: list[Term] = []
    for s in itertools.islice(order, skip, skip + size):
        if isinstance(s, ox.BlankNode):
            items.append(Term(s.value, "bnode"))
            continue
        text, tlang = labels.best(s.value, lang)
        items.append(
            Term(
                s.value,
                "iri",
                label=text,
                label_lang=tlang,
                curie=_term_label_fallback(settings, s.value),
                path=page_path(settings, s.value),
            )
        )
    # The page is a stable slice of the index order; within it, alphabetical reads best.
    items.sort(key=lambda t: t.text.lower())
    return items


# -- schema.org ----------------------------------------------------------------------------

_SCHEMA_TYPES = (
    ("def/Initiative", "Project"),
    ("def/Person", "Person"),
    ("def/Organisation", "Organization"),
    ("def/Actor", "Organization"),
    ("def/Place", "Place"),
    ("def/SourceDocument", "CreativeWork"),
    ("def/Section", "CreativeWork"),
    ("def/Reference", "CreativeWork"),
)


def schema_org(settings: Settings, resource: Resource, page_url: str) -> dict[str, Any]:
    """A schema.org description of the resource for embedding as JSON-LD in its page."""
    type_iris = {t.value for t in resource.types}
    kind = "Thing"
    for suffix, schema_type in _SCHEMA_TYPES:
        if settings.base_uri + suffix in type_iris:
            kind = schema_type
            break
    else:
        if SKOS + "Concept" in type_iris:
            kind = "DefinedTerm"
        elif SKOS + "ConceptScheme" in type_iris:
            kind = "DefinedTermSet"
    if kind == "Organization" and any(
        v.value.startswith(settings.def_ns + "actor-type/") and "government" in v.value
        for v in resource.values(settings.def_ns + "actorType")
    ):
        kind = "GovernmentOrganization"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": kind,
        "@id": resource.iri,
        "name": resource.label,
        "url": page_url,
        "mainEntityOfPage": page_url,
    }
    if resource.label_lang:
        data["inLanguage"] = resource.label_lang
    alternates = [text for _lang, text in resource.other_labels]
    alternates += [t.value for t in resource.values(SKOS + "altLabel")]
    if alternates:
        data["alternateName"] = alternates
    if resource.description:
        data["description"] = resource.description
    homepage = resource.value(FOAF + "homepage") or resource.value(SCHEMA + "url")
    if homepage is not None:
        data["sameAs"] = homepage.value
    for prop, key in ((SCHEMA + "startDate", "startDate"), (SCHEMA + "endDate", "endDate")):
        value = resource.value(prop)
        if value is not None:
            data[key] = value.value
    lat, long = resource.value(WGS + "lat"), resource.value(WGS + "long")
    if lat is not None and long is not None:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": lat.value, "longitude": long.value}
    scheme = resource.value(SKOS + "inScheme")
    if scheme is not None and kind == "DefinedTerm":
        data["inDefinedTermSet"] = scheme.value
    spatial = resource.values(DCT + "spatial")
    if spatial and kind != "Place":
        data["location"] = [{"@type": "Place", "@id": s.value, "name": s.text} for s in spatial]
    data["license"] = licence_for(settings, resource.iri).url
    return data
