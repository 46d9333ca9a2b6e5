"""Build the portal's browsing index and full-text index inside a new store generation.

Registered in :data:`loaders.INDEX_HOOKS`: every writer runs :func:`build_indexes` after
validation and before publishing, so the indexes in ``gen-*/search/`` always describe exactly
the data of their generation.

What the indexes hold is defined by the stored ``index-*`` queries (:data:`COLLECT_QUERIES`);
:func:`collect` runs them against the store. That is the path of SPARQL updates and uploads. A
load does not read its data back: reading from the on-disk store is slow (pyoxigraph decodes
every term with a lookup: about 70 k statements a second, as slow as loading them). Instead a
:class:`Collector` keeps, while the sources stream past the checker, a narrow record of each
subject (only the predicates of :data:`INDEX_PREDICATES`), and at the end answers the same
questions in Python over those records. Graphs that did not stream are read from the store.
``tests/test_index_collector.py`` holds the two paths to the same rows, edge cases included.
"""

from __future__ import annotations

import itertools
import operator
import shutil
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from core import digests
from core.indexes import contents, facets, search
from core.indexes import state as index_state
from core.store import Generation, KiemenStore, graph_iri
from core.vocab import DCT, PROV, RDF_TYPE, RDFS, SCHEMA, SKOS, WGS
from core.write.provenance import META_GRAPH

#: Name properties, best first, for things that have several.
NAME_PROPS = (SKOS + "prefLabel", DCT + "title", RDFS + "label")
#: Long texts of a thing for the search index.
TEXT_PROPS = (DCT + "description", SKOS + "definition")
#: What ``index-initiatives`` reads of an initiative.
INITIATIVE_PROPS = (
    SKOS + "prefLabel",
    SKOS + "altLabel",
    DCT + "description",
    SCHEMA + "startDate",
    SCHEMA + "endDate",
)
#: What ``index-search-things`` reads of other things.
SEARCH_PROPS = (*NAME_PROPS, SKOS + "altLabel", *TEXT_PROPS, DCT + "creator")
#: The classes of ``index-search-things`` (def/ names are under the base) and their search kind;
#: a thing of several kinds is filed under the first.
SEARCH_CLASSES = (
    ("def/Actor", "actor"),
    ("def/Organisation", "actor"),
    ("def/Person", "actor"),
    ("def/Place", "place"),
    (SKOS + "Concept", "concept"),
    ("def/SourceDocument", "document"),
    ("def/Reference", "reference"),
)
KIND_RANK = {kind: n for n, kind in enumerate(dict.fromkeys(k for _c, k in SEARCH_CLASSES))}
#: Facets whose values' names go into an initiative's search document.
RELATED_FACETS = ("actor", "place", "form", "theme")
#: The kinds ``stats-by-kind`` counts (with subclasses).
STAT_KINDS = (
    "def/Initiative",
    "def/Actor",
    "def/Organisation",
    "def/Person",
    "def/Involvement",
    "def/Place",
    "def/Fact",
    "def/Channel",
    "def/SourceDocument",
    "def/Section",
    "def/Reference",
    "def/Uncertainty",
    SKOS + "Concept",
    SKOS + "ConceptScheme",
)

#: Every predicate the queries of :func:`collect` read, with the def namespace as a suffix of
#: the configured base (tests/test_index_collector.py checks the queries against this list).
INDEX_PREDICATES = (
    RDF_TYPE,
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
    "place-contents",
)


def _full(base_uri: str, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(p if ":" in p else base_uri + p for p in names)


def index_predicates(base_uri: str) -> frozenset[str]:
    """:data:`INDEX_PREDICATES` as full IRIs under ``base_uri``."""
    return frozenset(_full(base_uri, INDEX_PREDICATES))


# -- what both paths share: rows in, index input out ------------------------------------------
def _lang(term: Any) -> str:
    return (getattr(term, "language", None) or "") if isinstance(term, ox.Literal) else ""


def _put_value(target: dict[str, str], value: str, lang: str) -> None:
    """Keep one value per language: the least, so the choice never depends on row order."""
    old = target.get(lang)
    if old is None or value < old:
        target[lang] = value


def _put(target: dict[str, str], term: Any) -> None:
    _put_value(target, term.value, _lang(term))


def _new_initiative() -> dict[str, Any]:
    return {"label": {}, "description": {}, "alt": {}}


def _initiative_value(rec: dict[str, Any], p: str, value: str, lang: str) -> None:
    if p == SKOS + "prefLabel":
        _put_value(rec["label"], value, lang)
    elif p == SKOS + "altLabel":
        rec["alt"].setdefault(lang, set()).add(value)
    elif p == DCT + "description":
        _put_value(rec["description"], value, lang)
    elif p == SCHEMA + "startDate":
        rec["start"] = min(rec["start"], value) if "start" in rec else value
    elif p == SCHEMA + "endDate":
        rec["end"] = max(rec["end"], value) if "end" in rec else value


def _finish_initiatives(initiatives: dict[str, dict[str, Any]]) -> None:
    for rec in initiatives.values():
        rec["alt"] = {lang: sorted(rec["alt"][lang]) for lang in sorted(rec["alt"])}


def _choose_place(rows: Iterable[tuple[str, str, str | None]]) -> dict[str, Any] | None:
    """One position per place: the least (lat, long, type) that reads as numbers."""
    best: tuple[str, str, str] | None = None
    found: dict[str, Any] | None = None
    for lat, long, kind in rows:
        try:
            at = (float(lat), float(long))
        except ValueError:
            continue
        key = (lat, long, kind or "")
        if best is None or key < best:
            best, found = key, {"lat": at[0], "long": at[1], "type": kind}
    return found


def _choose_scores(rows: Iterable[tuple[str, str]]) -> tuple[float, float] | None:
    """One pair of axis scores per form: the least pair that reads as numbers."""
    best: tuple[str, str] | None = None
    found: tuple[float, float] | None = None
    for own, joint in rows:
        try:
            pair = (float(own), float(joint))
        except ValueError:
            continue
        if best is None or (own, joint) < best:
            best, found = (own, joint), pair
    return found


def _new_thing(kind: str) -> dict[str, Any]:
    return {"kind": kind, "names": {}, "texts": {}, "other": set()}


def _thing_value(rec: dict[str, Any], kind: str, p: str, value: str, lang: str) -> None:
    if KIND_RANK[kind] < KIND_RANK[rec["kind"]]:
        rec["kind"] = kind
    if p in NAME_PROPS:
        _put_value(rec["names"], value, lang)
    elif p in TEXT_PROPS:
        _put_value(rec["texts"], value, lang)
    else:
        rec["other"].add(value)


def _first_names(by_prop: dict[str, dict[str, dict[str, str]]]) -> dict[str, dict[str, str]]:
    """Each thing's names under the first of :data:`NAME_PROPS` it has.

    The dicts are ``by_prop``'s own, not copies (every caller lets go of ``by_prop``): a copy
    of every thing's names was a tenth of what the index build ahead held at its end.
    """
    labels: dict[str, dict[str, str]] = {}
    for iri, props in by_prop.items():
        for p in NAME_PROPS:
            if p in props:
                labels[iri] = props[p]
                break
    return labels


def _kind_name(iri: str) -> str:
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


Supports = dict[str, list[tuple[str, int]]]


def _sorted_supports(supports: Supports) -> Supports:
    """Most supported kinds first; ties by kind, so the order never depends on the store."""
    return {d: sorted(v, key=lambda kc: (-kc[1], kc[0])) for d, v in sorted(supports.items())}


def _related(data: facets.IndexInput) -> dict[str, list[str]]:
    """Each initiative's related names for its search document: those of its actors, places,
    forms and themes."""
    related: dict[str, list[str]] = defaultdict(list)
    for key in RELATED_FACETS:
        _relate(related, data.labels, data.facet_pairs.get(key, set()))
    return related


def _relate(
    related: dict[str, list[str]],
    labels: dict[str, dict[str, str]],
    rows: Iterable[tuple[str, str]],
) -> None:
    # Only the set of each initiative's names counts (its document sorts them): no order here.
    for iri, value in rows:
        names = labels.get(value)
        if names:
            related[iri].extend(names.values())


def _initiative_docs(
    data: facets.IndexInput, related: dict[str, list[str]]
) -> Iterator[search.SearchDoc]:
    """The initiatives' search documents, in order (``item`` is the place in that order).

    Made one at a time as the text index takes them: all of them at once were about 1 KB an
    initiative alive beside the whole index input (see bench/README.md, loading).
    """
    for n, iri in enumerate(sorted(data.initiatives)):
        rec = data.initiatives[iri]
        alt = rec.get("alt", {})
        extra = [a for values in alt.values() for a in values]
        yield search.SearchDoc(
            iri=iri,
            kind="initiative",
            item=n,
            names=dict(rec["label"]),
            texts=dict(rec["description"]),
            related=extra + sorted(set(related.get(iri, []))),
        )


def _thing_docs(things: dict[str, dict[str, Any]]) -> list[search.SearchDoc]:
    return [
        search.SearchDoc(
            iri=iri,
            kind=rec["kind"],
            names=rec["names"],
            texts=rec["texts"],
            related=sorted(rec["other"]),
        )
        for iri, rec in sorted(things.items())
    ]


def _search_docs(
    data: facets.IndexInput, things: dict[str, dict[str, Any]]
) -> Iterator[search.SearchDoc]:
    yield from _initiative_docs(data, _related(data))
    yield from _thing_docs(things)


# -- the reference path: the stored queries against a store -----------------------------------
def _solutions(kstore: KiemenStore, name: str, store: ox.Store) -> Iterator[dict[str, Any]]:
    result = kstore.run(name, {}, store=store)
    names = [v.value for v in result.variables]
    for s in result:
        yield dict(zip(names, s, strict=True))


def _facet_pairs(kstore: KiemenStore, store: ox.Store) -> dict[str, set[tuple[str, str]]]:
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in _solutions(kstore, "index-initiative-facets", store):
        value = row["value"]
        if value is not None:
            pairs[row["facet"].value].add((row["initiative"].value, value.value))
    return dict(pairs)


def collect(
    gen: Generation, kstore: KiemenStore, store: ox.Store | None = None
) -> tuple[facets.IndexInput, list[search.SearchDoc]]:
    """Read what the indexes need from the new generation (or ``store``) with the queries."""
    store = store if store is not None else gen.store
    initiatives: dict[str, dict[str, Any]] = {}
    for row in _solutions(kstore, "index-initiatives", store):
        rec = initiatives.setdefault(row["initiative"].value, _new_initiative())
        if row["p"] is not None:
            _initiative_value(rec, row["p"].value, row["o"].value, _lang(row["o"]))
    _finish_initiatives(initiatives)
    by_prop: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for row in _solutions(kstore, "index-labels", store):
        _put(by_prop[row["thing"].value][row["p"].value], row["label"])
    labels = _first_names(by_prop)
    candidates: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for row in _solutions(kstore, "index-places", store):
        kind = row["type"].value if row["type"] is not None else None
        candidates[row["place"].value].append((row["lat"].value, row["long"].value, kind))
    places = {iri: p for iri, rows in candidates.items() if (p := _choose_place(rows))}
    score_rows: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in _solutions(kstore, "index-form-scores", store):
        score_rows[row["form"].value].append((row["own"].value, row["joint"].value))
    scores = {iri: s for iri, rows in score_rows.items() if (s := _choose_scores(rows))}
    involvements = {
        (
            row["initiative"].value,
            row["actor"].value,
            row["role"].value,
            row["stated"] is not None and row["stated"].value == "true",
        )
        for row in _solutions(kstore, "index-involvements", store)
    }
    kinds = {
        _kind_name(str(r["kind"])): int(r["count"] or 0)
        for r in kstore.rows("stats-by-kind", {}, store=store)
    }
    supports: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in kstore.rows("document-supports", {}, store=store):
        supports[str(r["document"])].append((str(r["kind"]), int(r["count"] or 0)))
    things: dict[str, dict[str, Any]] = {}
    for row in _solutions(kstore, "index-search-things", store):
        kind = row["kind"].value
        rec = things.setdefault(row["thing"].value, _new_thing(kind))
        _thing_value(rec, kind, row["p"].value, row["o"].value, _lang(row["o"]))
    data = facets.IndexInput(
        base=kstore.settings.base_uri,
        initiatives=initiatives,
        facet_pairs=_facet_pairs(kstore, store),
        labels=labels,
        places=places,
        form_scores=scores,
        involvements=sorted(involvements),
        kinds=kinds,
        supports=_sorted_supports(supports),
        contents=_place_contents(kstore, store),
    )
    return data, list(_search_docs(data, things))


def _place_contents(kstore: KiemenStore, store: ox.Store) -> dict[str, set[tuple[str, str]]]:
    """Every place's contents: the page's own query with no place given (IRIs only)."""
    rows: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in _solutions(kstore, "place-contents", store):
        place = row["place"]
        if type(place) is not ox.NamedNode:
            continue
        for relation, var in zip(contents.RELATIONS, ("contained", "actor"), strict=True):
            thing = row[var]
            if type(thing) is ox.NamedNode:
                rows[relation].add((thing.value, place.value))
    return dict(rows)


# -- the load path: narrow records of the streamed subjects ------------------------------------
#: A subject's record, packed flat: ``[p1, o1, p2, o2, ...]`` (IRIs and blank-node keys as str,
#: literals as is; a predicate repeats for each of its objects). A dict of lists per subject
#: took about 600 bytes more per subject, half of what the collector held.
Record = list[Any]
Records = dict[str, Record]


def _objects(rec: Record, p: str) -> list[Any]:
    """The objects of ``p`` in a packed record."""
    if p not in rec:  # most lookups miss: let C scan the list once
        return []
    return [rec[i + 1] for i in range(0, len(rec), 2) if rec[i] == p]


def _opened(rec: Record) -> dict[str, list[Any]]:
    """A packed record as predicate -> objects, for a moment's use."""
    out: dict[str, list[Any]] = {}
    for i in range(0, len(rec), 2):
        objects = out.get(rec[i])
        if objects is None:
            out[rec[i]] = [rec[i + 1]]
        else:
            objects.append(rec[i + 1])
    return out


class Collector:
    """Keeps, per streamed subject, only what the index queries read; answers them at the end.

    The checker hands over each subject's *block* (:meth:`core.validation.checker.Session.collect`).
    Blank nodes are keyed per stream, as the store keeps the nodes of two sources apart. Records
    are kept per graph, so that a load that replaces a graph drops what an earlier stream of it
    left.
    """

    def __init__(self, kstore: KiemenStore) -> None:
        self.kstore = kstore
        base = kstore.settings.base_uri
        self.predicates = index_predicates(base)
        self.graphs: dict[str, Records] = {}
        #: Graphs whose statements streamed in whole (all others are read at the end).
        self.streamed: set[str] = set()
        self._strings: dict[str, str] = {}
        self._streams = 0
        #: Statements fed after the indexes were built ahead (see :meth:`add_late`).
        self.late: Records = {}
        #: Set by :meth:`prepare`: the indexes built ahead, and what :meth:`finish` checks.
        self.prepared: Path | None = None
        #: Whether :meth:`prepare` used up the streamed records (even if it then failed).
        self.spent = False
        self._known: frozenset[str] = frozenset()
        self._shown: frozenset[str] = frozenset()
        self._subclass: dict[str, list[Any]] = {}

    def replacing(self, graph: ox.NamedNode, session: Any | None) -> None:
        """A load replaces ``graph``: collect it from ``session``'s stream, or read it later."""
        self.graphs.pop(graph.value, None)
        if session is None or graph.value in self.streamed:
            self.streamed.discard(graph.value)
            return
        self.streamed.add(graph.value)
        records: Records = {}
        self.graphs[graph.value] = records
        self._streams += 1
        session.collect(self.sink(records, f"_:{self._streams}:"))

    def sink(self, records: Records, blank: str) -> Callable[[str, dict[str, list[Any]]], None]:
        """What the checker calls with each subject's block (``key`` is ``_:label`` if blank)."""
        keep = {p: p for p in self.predicates}  # the block's keys are new strs every time
        # One str per IRI: most objects (types, concepts, sections, the initiative of an
        # involvement) repeat, or name a subject that is a key already.
        strings = self._strings
        named, literal, blank_node = ox.NamedNode, ox.Literal, ox.BlankNode

        def take(key: str, block: dict[str, list[Any]]) -> None:
            out: Record = []
            for name, objects in block.items():
                p = keep.get(name)
                if p is None:
                    continue
                for o in objects:
                    kind = type(o)
                    if kind is named:
                        v = o.value
                        out += (p, strings.setdefault(v, v))
                    elif kind is literal:
                        out += (p, o)
                    elif kind is blank_node:
                        out += (p, blank + o.value)
            if not out:
                return
            k = blank + key[2:] if key.startswith("_:") else key
            # A copy is exactly as long; ``out`` grew with room to spare (about 40 bytes a
            # subject, 55 MB at 10 M triples).
            exact = out[:]
            rec = records.setdefault(strings.setdefault(k, k), exact)
            if rec is not exact:
                rec += out

        return take

    def add_late(self, graph: ox.NamedNode, triples: Iterable[Any]) -> None:
        """Statements written into a streamed ``graph`` after its stream ended (links out's,
        once a bulk-loaded file is in the store), so no sink took them.

        Before the indexes are built ahead they join the graph's records; after, they wait in
        :attr:`late` for :meth:`finish`. Blank nodes are keyed as a stream of their own: the
        statements must not name the file's blank nodes (links out makes its own).
        """
        if graph.value not in self.streamed:
            return  # read from the store at the end, with everything else of the graph
        self._streams += 1
        records = self.late if self.spent else self.graphs.setdefault(graph.value, {})
        take = self.sink(records, f"_:{self._streams}:")
        for key, block in _blocks(triples).items():
            take(key, block)

    def _read(self, store: ox.Store, graphs: list[Any] | None = None) -> Records:
        """What ``graphs`` (default: those that did not stream) hold, read from ``store``."""
        records: Records = {}
        if graphs is None:
            graphs = [ox.DefaultGraph()]
            graphs += [g for g in store.named_graphs() if g.value not in self.streamed]
        take = self.sink(records, "_:store:")
        for g in graphs:
            for p in sorted(self.predicates):
                by_subject: dict[str, list[Any]] = defaultdict(list)
                for q in store.quads_for_pattern(None, ox.NamedNode(p), None, g):
                    s = q.subject
                    if type(s) is ox.NamedNode:
                        by_subject[s.value].append(q.object)
                    elif type(s) is ox.BlankNode:
                        by_subject["_:" + s.value].append(q.object)
                for key, objects in by_subject.items():
                    take(key, {p: objects})
        return records

    def complete(self, store: ox.Store) -> tuple[facets.IndexInput, list[search.SearchDoc]]:
        """Read the graphs that did not stream from ``store``; answer the index queries."""
        data, things, _records = self._answer(self._read(store))
        return data, list(_search_docs(data, things))

    def prepare(self, store: ox.Store, meta: ox.NamedNode, target: Path, generation: str) -> None:
        """Build the indexes ahead into ``target``, from everything but the ``meta`` graph.

        Called when the last source has streamed, usually while the bulk loader is still
        writing: the load's provenance (in ``meta``) is not written yet. :meth:`finish` adds
        it, if it only names things the indexes do not otherwise describe (it always does,
        unless someone wrote data of their own into the meta graph).
        """
        graphs: list[Any] = [ox.DefaultGraph()]
        graphs += [g for g in store.named_graphs() if g.value not in self.streamed and g != meta]
        self.spent = True
        related: dict[str, list[str]] = defaultdict(list)
        shown: set[str] = set()

        def seen(key: str, rows: set[tuple[str, str]], labels: dict[str, dict[str, str]]) -> None:
            if key in RELATED_FACETS:
                _relate(related, labels, rows)
                shown.update(map(operator.itemgetter(1), rows))

        prebuilt = facets.Prebuilt(seen)
        data, things, records = self._answer(self._read(store, graphs), prebuilt)
        self._known = frozenset(records)
        sub = RDFS + "subClassOf"
        self._subclass = {k: found for k, rec in records.items() if (found := _objects(rec, sub))}
        self._shown = frozenset(shown)
        del records
        if target.exists():
            shutil.rmtree(target)
        facets.build(data, target, generation=generation, prebuilt=prebuilt)
        # The initiatives' documents go to the text index one by one; only things' are kept
        # (for the state), with each initiative's key: its place in the sorted order.
        thing_docs = _thing_docs(things)
        del things
        docs = itertools.chain(_initiative_docs(data, related), thing_docs)
        search.build(docs, target / search.TEXT_DIR)
        items = sorted(data.initiatives)
        state = index_state.IndexState(
            data,
            {d.iri: d for d in thing_docs},
            {iri: n for n, iri in enumerate(items)},
            len(items),
        )
        index_state.save(state, target)
        index_state.forget()  # partial in memory (see finish): let it go before the wait
        self.prepared = target

    def finish(self, store: ox.Store, meta: ox.NamedNode, target: Path) -> bool:
        """Add the meta graph's names to the prepared indexes and move them to ``target``.

        False (and nothing prepared is kept) when the meta graph says more than names and
        provenance of things of its own: then the caller builds the indexes the reference way.
        """
        prepared, self.prepared = self.prepared, None
        if prepared is None:
            return False
        extra = self._meta_names(self._read(store, [meta]))
        late, self.late = self.late, {}
        kinds = self._late_kinds(late)
        if extra is None or kinds is None:
            shutil.rmtree(prepared, ignore_errors=True)
            return False
        facets.add_labels(prepared, extra)
        facets.add_kinds(prepared, kinds)
        # Only the state's parts these fall in are written again. Built ahead, its input in
        # memory keeps only some facets' rows (see facets.Prebuilt), so it is dropped: the next
        # write in this process reads the state from disk, where they are whole.
        index_state.amend(prepared, extra, kinds, digests.digest(store, meta.value))
        prepared.rename(target)
        return True

    def _meta_names(self, records: Records) -> dict[str, dict[str, str]] | None:
        """The names the meta graph adds, or None when it would change more than names."""
        base = self.kstore.settings.base_uri
        watched = {base + "def/Initiative"} | set(_full(base, STAT_KINDS))
        watched |= set(_full(base, (c for c, _k in SEARCH_CLASSES)))
        allowed = {RDF_TYPE, PROV + "wasDerivedFrom", *NAME_PROPS}
        by_prop: dict[str, dict[str, dict[str, str]]] = {}
        for key, packed in records.items():
            rec = _opened(packed)
            if key in self._known or key in self._shown or not rec.keys() <= allowed:
                return None
            for t in rec.get(RDF_TYPE, ()):
                if type(t) is not str or self._supers(t) & watched:
                    return None
            if any(s in self._known for s in rec.get(PROV + "wasDerivedFrom", ())):
                return None
            if key.startswith("_:"):
                continue
            for p in NAME_PROPS:
                for x in rec.get(p, ()):
                    if (vl := _text(x)) is not None:
                        _put_value(by_prop.setdefault(key, {}).setdefault(p, {}), *vl)
        return _first_names(by_prop)

    def _late_kinds(self, records: Records) -> dict[str, int] | None:
        """What the :attr:`late` statements add to the counts by kind, or None when they would
        change more: each must only type a blank node the indexes do not know (links out's
        link statements and doubts), which the queries only count."""
        stat_kinds = set(_full(self.kstore.settings.base_uri, STAT_KINDS))
        counts: dict[str, int] = defaultdict(int)
        for key, packed in records.items():
            rec = _opened(packed)
            if not key.startswith("_:") or key in self._known or rec.keys() != {RDF_TYPE}:
                return None
            kinds: set[str] = set()
            for t in rec[RDF_TYPE]:
                if type(t) is not str:
                    return None
                kinds |= self._supers(t) & stat_kinds
            for k in kinds:
                counts[_kind_name(k)] += 1
        return dict(counts)

    def _supers(self, cls: str) -> set[str]:
        found, todo = {cls}, [cls]
        while todo:
            for nxt in self._subclass.get(todo.pop(), ()):
                if type(nxt) is str and nxt not in found:
                    found.add(nxt)
                    todo.append(nxt)
        return found

    def _answer(
        self, read: Records, prebuilt: facets.Prebuilt | None = None
    ) -> tuple[facets.IndexInput, dict[str, dict[str, Any]], Records]:
        parts = sorted([*self.graphs.values(), read], key=len, reverse=True)
        merged = parts[0]
        for part in parts[1:]:
            for key, rec in part.items():
                mine = merged.get(key)
                if mine is None:
                    merged[key] = rec
                else:
                    mine += rec
        self.graphs.clear()
        data, things = _evaluated(self.kstore, merged, prebuilt)
        return data, things, merged


def _blocks(triples: Iterable[Any]) -> dict[str, dict[str, list[Any]]]:
    """Statements grouped by subject as the checker hands them on (``_:label`` if blank)."""
    blocks: dict[str, dict[str, list[Any]]] = {}
    for t in triples:
        s = t.subject
        if type(s) is ox.NamedNode:
            key = s.value
        elif type(s) is ox.BlankNode:
            key = "_:" + s.value
        else:
            continue
        blocks.setdefault(key, {}).setdefault(t.predicate.value, []).append(t.object)
    return blocks


def _out(x: Any) -> str | None:
    """A record value as the queries' ``?value.value`` — None for a blank node."""
    if type(x) is str:
        return None if x.startswith("_:") else x
    return str(x.value)


def _lexical(x: Any) -> str:
    """A record value as the queries' ``?x.value`` (a blank node keeps its key)."""
    return x if type(x) is str else str(x.value)


def _language(x: Any) -> str:
    """A literal's language tag, one shared str per tag: each read makes a new str, and the
    index input keeps one per label and description (about 75 MB at 10 M triples)."""
    lang = x.language
    return sys.intern(lang) if lang else ""


def _text(x: Any) -> tuple[str, str] | None:
    """(value, language) of a record value; None for a blank node."""
    if type(x) is str:
        return None if x.startswith("_:") else (x, "")
    return x.value, _language(x)


#: What :func:`evaluate` reads of a subject after its own turn in the one pass (through
#: ``get``: the facet rows, section documents, subclass closures). The pass trims each record
#: to these, so that its labels, texts and other literals are let go while their index rows
#: are made, not after (at 10 M triples the records are a third of the index build's peak).
FOLLOWED = (
    RDFS + "subClassOf",
    SKOS + "inScheme",
    SKOS + "broader",
    DCT + "subject",
    DCT + "spatial",
    SCHEMA + "startDate",
    SCHEMA + "containedInPlace",
    PROV + "wasDerivedFrom",
    "def/statedForm",
    "def/inferredForm",
    "def/hasRole",
    "def/actor",
    "def/actorType",
    "def/placeType",
    "def/usesChannel",
    "def/onPlatform",
    "def/channelType",
    "def/inDocument",
)


def _trimmed(rec: dict[str, list[Any]], followed: frozenset[str]) -> Record:
    """A subject's packed record with only the ``followed`` predicates."""
    out: Record = []
    for p, objects in rec.items():
        if p in followed:
            for o in objects:
                out += (p, o)
    return out


def evaluate(
    kstore: KiemenStore, records: Records
) -> tuple[facets.IndexInput, list[search.SearchDoc]]:
    """The answers of :data:`COLLECT_QUERIES` over ``records`` (all graphs merged by subject)."""
    data, things = _evaluated(kstore, records)
    return data, list(_search_docs(data, things))


def _evaluated(  # noqa: C901 - one pass over every record, the load's hot loop (see README)
    kstore: KiemenStore, records: Records, prebuilt: facets.Prebuilt | None = None
) -> tuple[facets.IndexInput, dict[str, dict[str, Any]]]:
    """:func:`evaluate`'s index input, and the search records of things (not initiatives).

    ``prebuilt``: the facets are made into their arrays there, group by group, and the input
    keeps only the rows it names in :attr:`~core.indexes.facets.Prebuilt.keep`.
    """
    base = kstore.settings.base_uri
    km = base + "def/"
    empty: Record = []

    def get(key: Any, p: str) -> list[Any]:
        if type(key) is not str:
            return []
        return _objects(records.get(key, empty), p)

    closures: dict[tuple[str, Any], set[Any]] = {}

    def closure(start: Any, p: str) -> set[Any]:
        """Everything ``start p* ?x`` reaches (``start`` itself included)."""
        found = closures.get((p, start))
        if found is not None:
            return found
        found = {start}
        todo = [start]
        while todo:
            for nxt in get(todo.pop(), p):
                if nxt not in found:
                    found.add(nxt)
                    todo.append(nxt)
        closures[(p, start)] = found
        return found

    initiative_class = km + "Initiative"
    initiatives: dict[str, dict[str, Any]] = {}
    by_prop: dict[str, dict[str, dict[str, str]]] = {}
    places: dict[str, dict[str, Any]] = {}
    scores: dict[str, tuple[float, float]] = {}
    involvements: set[tuple[str, str, str, bool]] = set()
    involved: dict[str, list[str]] = defaultdict(list)
    things: dict[str, dict[str, Any]] = {}
    search_classes = dict(
        zip(
            _full(base, (c for c, _k in SEARCH_CLASSES)),
            (k for _c, k in SEARCH_CLASSES),
            strict=True,
        )
    )
    stat_kinds = set(_full(base, STAT_KINDS))
    kind_counts: dict[str, int] = defaultdict(int)
    kinds_of: dict[tuple[str, ...], set[str]] = {}
    support_counts: dict[tuple[str, str], int] = defaultdict(int)
    form_scheme, lat_p, long_p = base + "def/form", WGS + "lat", WGS + "long"
    followed = frozenset(_full(base, FOLLOWED))
    actor_class = km + "Actor"
    located: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for key, packed in records.items():
        rec = _opened(packed)
        if not rec.keys() <= followed:
            records[key] = _trimmed(rec, followed)  # same key: no resize while iterating
        iri = not key.startswith("_:")
        types = [t for t in rec.get(RDF_TYPE, ()) if type(t) is str]
        actor = False
        if types:
            tkey = tuple(sorted(set(types)))
            kinds = kinds_of.get(tkey)
            if kinds is None:
                kinds = set()
                for t in tkey:
                    kinds |= closure(t, RDFS + "subClassOf") & stat_kinds
                kinds_of[tkey] = kinds
            for k in kinds:
                kind_counts[k] += 1
            actor = actor_class in kinds
            derived = rec.get(PROV + "wasDerivedFrom")
            if derived:
                pairs = {
                    (doc, t)
                    for s in derived
                    for d in get(s, km + "inDocument")
                    if (doc := _out(d)) is not None
                    for t in tkey
                }
                for pair in pairs:
                    support_counts[pair] += 1
        for i in rec.get(km + "initiative", ()):
            if type(i) is str:
                involved[i].append(key)
        actors, roles = rec.get(km + "actor"), rec.get(km + "hasRole")
        if actors and roles and km + "initiative" in rec:
            stated = {_out(s) == "true" for s in rec.get(km + "roleStated", ())} or {False}
            for i, a, r, st in itertools.product(rec[km + "initiative"], actors, roles, stated):
                ov = (_out(i), _out(a), _out(r))
                if None not in ov:
                    involvements.add((*ov, st))  # type: ignore[arg-type]
        if not iri:
            continue
        _locate(located, key, rec, actor)
        if initiative_class in types:
            irec = initiatives[key] = _new_initiative()
            for p in INITIATIVE_PROPS:
                for x in rec.get(p, ()):
                    if (vl := _text(x)) is not None:
                        _initiative_value(irec, p, *vl)
        for p in NAME_PROPS:
            for x in rec.get(p, ()):
                if (vl := _text(x)) is not None:
                    _put_value(by_prop.setdefault(key, {}).setdefault(p, {}), *vl)
        if lat_p in rec and long_p in rec:
            kinds_p = [_out(t) for t in rec.get(km + "placeType", ())] or [None]
            rows = itertools.product(
                [_lexical(x) for x in rec[lat_p]],
                [_lexical(x) for x in rec[long_p]],
                kinds_p,
            )
            if (place := _choose_place(rows)) is not None:
                places[key] = place
        if form_scheme in rec.get(SKOS + "inScheme", ()):
            own = [_lexical(x) for x in rec.get(km + "ownInitiativeScore", ())]
            joint = [_lexical(x) for x in rec.get(km + "jointnessScore", ())]
            if (score := _choose_scores(itertools.product(own, joint))) is not None:
                scores[key] = score
        for t in types:
            kind = search_classes.get(t)
            if kind is None:
                continue
            for p in SEARCH_PROPS:
                for x in rec.get(p, ()):
                    if type(x) is ox.Literal:
                        trec = things.setdefault(key, _new_thing(kind))
                        _thing_value(trec, kind, p, x.value, _language(x))
    _finish_initiatives(initiatives)
    labels = _first_names(by_prop)
    del by_prop
    if prebuilt is None:
        facet_rows = _evaluate_facets(kstore, initiatives, involved, get, closure)
    else:
        groups = _facet_groups(kstore, initiatives, involved, get, closure)
        facet_rows = prebuilt.take(groups, sorted(initiatives), labels)
    data = facets.IndexInput(
        base=base,
        initiatives=initiatives,
        facet_pairs=facet_rows,
        labels=labels,
        places=places,
        form_scores=scores,
        involvements=sorted(involvements),
        kinds={_kind_name(k): n for k, n in kind_counts.items()},
        supports=_supports(support_counts),
        contents={r: rows for r, rows in located.items() if rows},
    )
    return data, things


def _locate(
    located: dict[str, set[tuple[str, str]]], key: str, rec: dict[str, list[Any]], actor: bool
) -> None:
    """The rows of ``place-contents`` a named subject gives: the places it lies within, and
    where it is located when it is an actor (an IRI for a place, as the query's are kept)."""
    for relation, p, wanted in (
        ("contains", SCHEMA + "containedInPlace", True),
        ("actor", DCT + "spatial", actor),
    ):
        if wanted:
            for x in rec.get(p, ()):
                if type(x) is str and not x.startswith("_:"):
                    located[relation].add((key, x))


def _supports(counts: dict[tuple[str, str], int]) -> dict[str, list[tuple[str, int]]]:
    supports: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (doc, kind), n in counts.items():
        supports[doc].append((kind, n))
    return _sorted_supports(supports)


def _evaluate_facets(
    kstore: KiemenStore,
    initiatives: dict[str, dict[str, Any]],
    involved: dict[str, list[str]],
    get: Callable[[Any, str], list[Any]],
    closure: Callable[[Any, str], set[Any]],
) -> dict[str, set[tuple[str, str]]]:
    """The rows of ``index-initiative-facets`` (its start years come from Oxigraph's YEAR)."""
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for group in _facet_groups(kstore, initiatives, involved, get, closure):
        for facet, rows in group.items():
            pairs[facet] |= rows
    return {k: v for k, v in pairs.items() if v}


FacetRows = dict[str, set[tuple[str, str]]]


def _named(values: Iterable[Any]) -> list[str]:
    """Values as the queries give them, blank nodes left out."""
    return [v for x in values if (v := _out(x)) is not None]


class _Shared:
    """What a role, an actor, a section or a place gives an initiative's facets: the same for
    every initiative that names it, so worked out once each (most are named by thousands)."""

    def __init__(
        self,
        km: str,
        get: Callable[[Any, str], list[Any]],
        closure: Callable[[Any, str], set[Any]],
    ) -> None:
        self.km, self.get, self.closure = km, get, closure
        self._gov: dict[Any, bool] = {}
        self._types: dict[Any, list[str]] = {}
        self._documents: dict[Any, list[str]] = {}
        self._places: dict[Any, tuple[list[str], list[str], list[str]]] = {}

    def is_gov(self, role: Any) -> bool:
        found = self._gov.get(role)
        if found is None:
            scheme = self.km + "government-role"
            found = self._gov[role] = scheme in self.get(role, SKOS + "inScheme")
        return found

    def actor_types(self, actor: Any) -> list[str]:
        """Its actor types and every broader type (``km:actorType/skos:broader*``)."""
        found = self._types.get(actor)
        if found is None:
            types = self.get(actor, self.km + "actorType")
            broader = (self.closure(t, SKOS + "broader") for t in types)
            found = self._types[actor] = _named(itertools.chain.from_iterable(broader))
        return found

    def documents(self, section: Any) -> list[str]:
        found = self._documents.get(section)
        if found is None:
            found = self._documents[section] = _named(self.get(section, self.km + "inDocument"))
        return found

    def places(self, spatial: Any) -> tuple[list[str], list[str], list[str]]:
        """The places it lies within (itself included), the provinces and the municipalities
        among them."""
        found = self._places.get(spatial)
        if found is None:
            around = self.closure(spatial, SCHEMA + "containedInPlace")
            kind = self.km + "placeType"
            province = self.km + "place-type/province"
            town = self.km + "place-type/municipality"
            found = self._places[spatial] = (
                _named(around),
                _named(p for p in around if province in self.get(p, kind)),
                _named(p for p in around if town in self.get(p, kind)),
            )
        return found


def _facet_groups(
    kstore: KiemenStore,
    initiatives: dict[str, dict[str, Any]],
    involved: dict[str, list[str]],
    get: Callable[[Any, str], list[Any]],
    closure: Callable[[Any, str], set[Any]],
) -> Iterator[FacetRows]:
    """:func:`_evaluate_facets`'s rows a few facets at a time (no facet in two groups), so
    that a big load turns each group into its arrays before the next is made (the rows of
    all facets as tuples were a third of the index input)."""
    base = kstore.settings.base_uri
    km = base + "def/"

    def add(target: set[tuple[str, str]], i: str, values: Iterable[Any]) -> None:
        for x in values:
            v = _out(x)
            if v is not None:
                target.add((i, v))

    shared = _Shared(km, get, closure)

    group: FacetRows = {"form": set(), "statedform": set()}
    for i in initiatives:
        stated = get(i, km + "statedForm")
        add(group["form"], i, stated)
        add(group["form"], i, get(i, km + "inferredForm"))
        add(group["statedform"], i, stated)
    yield group
    group = {"role": set(), "govrole": set(), "actor": set(), "actortype": set()}
    for i in initiatives:
        for inv in dict.fromkeys(involved.get(i, ())):
            roles = get(inv, km + "hasRole")
            actors = get(inv, km + "actor")
            if roles:
                add(group["role"], i, roles)
                add(group["govrole"], i, [r for r in roles if shared.is_gov(r)])
            add(group["actor"], i, actors)
            for actor in actors:
                group["actortype"].update([(i, v) for v in shared.actor_types(actor)])
    yield group
    group = {"theme": set(), "channel": set(), "document": set()}
    for i in initiatives:
        add(group["theme"], i, get(i, DCT + "subject"))
        for c in get(i, km + "usesChannel"):
            add(group["channel"], i, get(c, km + "onPlatform"))
            add(group["channel"], i, get(c, km + "channelType"))
        for s in get(i, PROV + "wasDerivedFrom"):
            group["document"].update([(i, v) for v in shared.documents(s)])
    yield group
    group = {"spatial": set(), "place": set(), "province": set(), "municipality": set()}
    for i in initiatives:
        spatial = get(i, DCT + "spatial")
        add(group["spatial"], i, spatial)
        for sp in spatial:
            found = shared.places(sp)
            for key, values in zip(("place", "province", "municipality"), found, strict=True):
                group[key].update([(i, v) for v in values])
    yield group
    yield _years(kstore, initiatives, get)


def _years(
    kstore: KiemenStore,
    initiatives: dict[str, dict[str, Any]],
    get: Callable[[Any, str], list[Any]],
) -> FacetRows:
    """The start years: SPARQL's YEAR(), which knows every date type, so Oxigraph's own.

    The query runs over each distinct date once (a stand-in subject each), not over every
    initiative: many share a date, and at 4 M triples the store and query of every initiative
    took about 3 % of the index build ahead.
    """
    base = kstore.settings.base_uri
    dated: dict[str, list[ox.Literal]] = {}
    distinct: dict[ox.Literal, str] = {}
    for i in initiatives:
        dates = [d for d in get(i, SCHEMA + "startDate") if type(d) is ox.Literal]
        if dates:
            dated[i] = dates
            for d in dates:
                distinct.setdefault(d, f"{base}years/{len(distinct)}")
    if not distinct:
        return {}
    years = ox.Store()
    years_graph = ox.NamedNode(base + "graph/years")
    a, initiative_class = ox.NamedNode(RDF_TYPE), ox.NamedNode(base + "def/Initiative")
    start = ox.NamedNode(SCHEMA + "startDate")
    for d, stand_in in distinct.items():
        node = ox.NamedNode(stand_in)
        years.add(ox.Quad(node, a, initiative_class, years_graph))
        years.add(ox.Quad(node, start, d, years_graph))
    # A date YEAR() cannot read has no row (nor a stand-in that shares it).
    year_of = dict(_facet_pairs(kstore, years).get("period", set()))
    found = {d: year for d, stand_in in distinct.items() if (year := year_of.get(stand_in))}
    rows = {(i, found[d]) for i, dates in dated.items() for d in dates if d in found}
    return {"period": rows} if rows else {}


# -- the hook ------------------------------------------------------------------------------
#: The collector of each generation being written, set by :func:`loaders.load`.
_COLLECTORS: dict[Path, Collector] = {}


def collector_for(gen: Generation, kstore: KiemenStore) -> Collector:
    """Start collecting for ``gen``; :func:`build_indexes` answers from it."""
    col = Collector(kstore)
    _COLLECTORS[gen.path] = col
    return col


def drop_collector(gen: Generation) -> None:
    """Forget the collector of ``gen`` (after the hooks ran, or when the load failed)."""
    _COLLECTORS.pop(gen.path, None)


def generation_name(gen: Generation) -> str:
    return gen.path.name.strip(".").removesuffix(".tmp")


def prepared_dir(gen: Generation) -> Path:
    """Where :meth:`Collector.prepare` builds the indexes ahead, inside the generation."""
    return gen.path / "search.prepared"


def build_indexes(gen: Generation, kstore: KiemenStore) -> None:
    """The INDEX_HOOKS entry: facets and sort keys, then the text index, in ``gen.search_dir``."""
    target = gen.search_dir
    if target.exists():
        shutil.rmtree(target)
    col = _COLLECTORS.pop(gen.path, None)
    meta = graph_iri(kstore.settings, META_GRAPH)
    if col is not None and col.prepared is not None:
        if col.finish(gen.store, meta, target):
            return
        col = None  # the meta graph holds more than provenance: build the reference way
    if col is not None and col.spent:
        col = None  # building ahead failed halfway: build the reference way
    data, docs = col.complete(gen.store) if col is not None else collect(gen, kstore)
    facets.build(data, target, generation=generation_name(gen))
    search.build(docs, target / search.TEXT_DIR)
    seen = digests.digest(gen.store, meta.value)
    index_state.save(index_state.from_build(data, docs, seen), target)
