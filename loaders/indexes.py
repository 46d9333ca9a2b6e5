"""Build the portal's browsing index and full-text index inside a new store generation.

Registered in :data:`loaders.INDEX_HOOKS`: :func:`loaders.load` calls :func:`build_indexes`
after validation and before publishing, so the indexes in ``gen-*/search/`` always describe
exactly the data of their generation. Everything is read with the stored ``index-*`` queries.

Reading back from the on-disk store is slow (pyoxigraph decodes every term with a lookup: about
70 k statements a second here, as slow as loading them), so :func:`loaders.load` hands the hook a
:class:`Capture`: an in-memory store that receives, while the sources stream past the checker,
every statement whose predicate an index query reads (:data:`INDEX_PREDICATES`). Graphs that did
not stream (the ones this load left alone, provenance, unchecked graphs) are copied into it from
the generation when the hook runs, so the same stored queries see the same statements and give
the same rows — only faster.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from portal import facets, search
from portal.store import Generation, KiemenStore

SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"

#: Name properties, best first, for things that have several.
NAME_PROPS = (SKOS + "prefLabel", DCT + "title", RDFS + "label")


#: Every predicate the queries of :func:`collect` read, with the def namespace as a suffix of
#: the configured base (tests/test_loaders.py checks the queries against this list).
INDEX_PREDICATES = (
    RDF + "type",
    RDFS + "subClassOf",
    RDFS + "label",
    SKOS + "prefLabel",
    SKOS + "altLabel",
    SKOS + "definition",
    SKOS + "broader",
    SKOS + "inScheme",
    DCT + "title",
    DCT + "description",
    DCT + "subject",
    DCT + "spatial",
    DCT + "creator",
    SCHEMA + "startDate",
    SCHEMA + "endDate",
    SCHEMA + "containedInPlace",
    FOAF + "homepage",
    PROV + "wasDerivedFrom",
    WGS + "lat",
    WGS + "long",
    "def/statedForm",
    "def/inferredForm",
    "def/initiative",
    "def/actor",
    "def/hasRole",
    "def/roleStated",
    "def/actorType",
    "def/placeType",
    "def/usesChannel",
    "def/onPlatform",
    "def/channelType",
    "def/inDocument",
    "def/ownInitiativeScore",
    "def/jointnessScore",
)

#: Query names :func:`collect` runs (so the test can check them against INDEX_PREDICATES).
COLLECT_QUERIES = (
    "index-initiatives",
    "index-initiative-facets",
    "index-labels",
    "index-places",
    "index-form-scores",
    "index-involvements",
    "stats-by-kind",
    "document-supports",
    "index-search-things",
)


def index_predicates(base_uri: str) -> frozenset[str]:
    """:data:`INDEX_PREDICATES` as full IRIs under ``base_uri``."""
    return frozenset(p if ":" in p else base_uri + p for p in INDEX_PREDICATES)


class Capture:
    """An in-memory copy of what the index queries read, filled while the sources stream in."""

    def __init__(self, kstore: KiemenStore) -> None:
        self.predicates = index_predicates(kstore.settings.base_uri)
        self.store = ox.Store()
        #: Graphs whose statements streamed in whole (all others are copied at the end).
        self.streamed: set[str] = set()

    def replacing(self, graph: ox.NamedNode, session: Any | None) -> None:
        """A load replaces ``graph``: stream it through ``session``, or copy it later."""
        self.store.remove_graph(graph)
        if session is None or graph.value in self.streamed:
            self.streamed.discard(graph.value)
            return
        self.streamed.add(graph.value)
        session.capture(self.predicates, self.store.bulk_extend)

    def complete(self, store: ox.Store) -> ox.Store:
        """Copy the graphs that did not stream from ``store``; return the in-memory store."""
        mem = self.store
        graphs: list[Any] = [ox.DefaultGraph()]
        graphs += [g for g in store.named_graphs() if g.value not in self.streamed]
        for g in graphs:
            if isinstance(g, ox.NamedNode):
                mem.remove_graph(g)
            for p in self.predicates:
                mem.bulk_extend(store.quads_for_pattern(None, ox.NamedNode(p), None, g))
        return mem


#: The capture of each generation being written, set by :func:`loaders.load`.
_CAPTURES: dict[Path, Capture] = {}


def capture_for(gen: Generation, kstore: KiemenStore) -> Capture:
    """Start capturing for ``gen``; :func:`build_indexes` reads from it."""
    cap = Capture(kstore)
    _CAPTURES[gen.path] = cap
    return cap


def drop_capture(gen: Generation) -> None:
    """Forget the capture of ``gen`` (after the hooks ran, or when the load failed)."""
    _CAPTURES.pop(gen.path, None)


def _solutions(kstore: KiemenStore, name: str, store: ox.Store) -> Iterator[dict[str, Any]]:
    result = kstore.run(name, {}, store=store)
    names = [v.value for v in result.variables]
    for s in result:
        yield dict(zip(names, s, strict=True))


def _lang(term: Any) -> str:
    return (getattr(term, "language", None) or "") if isinstance(term, ox.Literal) else ""


def _put(target: dict[str, str], term: Any) -> None:
    """Keep one value per language: the least, so the choice never depends on row order."""
    lang = _lang(term)
    old = target.get(lang)
    if old is None or term.value < old:
        target[lang] = term.value


def collect(
    gen: Generation, kstore: KiemenStore, store: ox.Store | None = None
) -> tuple[facets.IndexInput, list[search.SearchDoc]]:
    """Read what the indexes need from the new generation (or ``store``, its capture)."""
    store = store if store is not None else gen.store
    settings = kstore.settings
    initiatives: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"label": {}, "description": {}, "alt": {}}
    )
    for row in _solutions(kstore, "index-initiatives", store):
        iri, p, o = row["initiative"].value, row["p"].value, row["o"]
        rec = initiatives[iri]
        if p == SKOS + "prefLabel":
            _put(rec["label"], o)
        elif p == SKOS + "altLabel":
            rec["alt"].setdefault(_lang(o), [])
            rec["alt"][_lang(o)].append(o.value)
        elif p == DCT + "description":
            _put(rec["description"], o)
        elif p == SCHEMA + "startDate":
            rec["start"] = min(rec.get("start") or o.value, o.value)
        elif p == SCHEMA + "endDate":
            rec["end"] = max(rec.get("end") or o.value, o.value)
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in _solutions(kstore, "index-initiative-facets", store):
        value = row["value"]
        if value is None:
            continue
        pairs[row["facet"].value].add((row["initiative"].value, value.value))
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    by_prop: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for row in _solutions(kstore, "index-labels", store):
        _put(by_prop[row["thing"].value][row["p"].value], row["label"])
    for iri, props in by_prop.items():
        for p in NAME_PROPS:
            if p in props:
                labels[iri] = dict(props[p])
                break
    places: dict[str, dict[str, Any]] = {}
    for row in _solutions(kstore, "index-places", store):
        try:
            lat, long = float(row["lat"].value), float(row["long"].value)
        except ValueError:
            continue
        places[row["place"].value] = {
            "lat": lat,
            "long": long,
            "type": row["type"].value if row["type"] is not None else None,
        }
    scores: dict[str, tuple[float, float]] = {}
    for row in _solutions(kstore, "index-form-scores", store):
        try:
            scores[row["form"].value] = (float(row["own"].value), float(row["joint"].value))
        except ValueError:
            continue
    involvements = []
    for row in _solutions(kstore, "index-involvements", store):
        stated = row["stated"] is not None and row["stated"].value == "true"
        involvements.append(
            (row["initiative"].value, row["actor"].value, row["role"].value, stated)
        )
    involvements.sort()
    for rec in initiatives.values():  # rows come in store order: make lists independent of it
        rec["alt"] = {lang: sorted(rec["alt"][lang]) for lang in sorted(rec["alt"])}
    kinds = {}
    for r in kstore.rows("stats-by-kind", {}, store=store):
        kinds[str(r["kind"]).rsplit("/", 1)[-1].rsplit("#", 1)[-1]] = int(r["count"] or 0)
    supports: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in kstore.rows("document-supports", {}, store=store):
        supports[str(r["document"])].append((str(r["kind"]), int(r["count"] or 0)))
    data = facets.IndexInput(
        base=settings.base_uri,
        initiatives=dict(initiatives),
        facet_pairs=dict(pairs),
        labels=dict(labels),
        places=places,
        form_scores=scores,
        involvements=involvements,
        kinds=kinds,
        supports=dict(supports),
    )
    return data, list(_search_docs(kstore, store, data))


def _search_docs(
    kstore: KiemenStore, store: ox.Store, data: facets.IndexInput
) -> Iterator[search.SearchDoc]:
    items = sorted(data.initiatives)
    related: dict[str, list[str]] = defaultdict(list)
    for key in ("actor", "place", "form", "theme"):
        for iri, value in data.facet_pairs.get(key, set()):
            names = data.labels.get(value, {})
            related[iri].extend(dict.fromkeys(sorted(names.values())))
    for n, iri in enumerate(items):
        rec = data.initiatives[iri]
        names = dict(rec["label"])
        texts = dict(rec["description"])
        alt = rec.get("alt", {})
        extra = [a for values in alt.values() for a in values]
        yield search.SearchDoc(
            iri=iri,
            kind="initiative",
            item=n,
            names=names,
            texts=texts,
            related=extra + sorted(set(related.get(iri, []))),
        )
    things: dict[str, dict[str, Any]] = {}
    for row in _solutions(kstore, "index-search-things", store):
        iri = row["thing"].value
        rec = things.setdefault(
            iri, {"kind": row["kind"].value, "names": {}, "texts": {}, "other": []}
        )
        p, o = row["p"].value, row["o"]
        if p in NAME_PROPS:
            _put(rec["names"], o)
        elif p in (DCT + "description", SKOS + "definition"):
            _put(rec["texts"], o)
        else:
            rec["other"].append(o.value)
    for iri, rec in sorted(things.items()):
        yield search.SearchDoc(
            iri=iri,
            kind=rec["kind"],
            names=rec["names"],
            texts=rec["texts"],
            related=sorted(rec["other"]),
        )


def build_indexes(gen: Generation, kstore: KiemenStore) -> None:
    """The INDEX_HOOKS entry: facets and sort keys, then the text index, in ``gen.search_dir``."""
    target = gen.search_dir
    if target.exists():
        shutil.rmtree(target)
    cap = _CAPTURES.pop(gen.path, None)
    data, docs = collect(gen, kstore, cap.complete(gen.store) if cap is not None else None)
    facets.build(data, target, generation=gen.path.name.strip(".").removesuffix(".tmp"))
    search.build(docs, target / search.TEXT_DIR)
