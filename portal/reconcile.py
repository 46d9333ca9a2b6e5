"""Reconciliation (W3C Entity Reconciliation CG, Reconciliation Service API 0.2): the model.

A researcher's spreadsheet names initiatives, organisations, places and concepts in its own
spelling ("riot clean up", "Gemeente Alphen a/d Rijn"); this module finds the things of the
graph they mean. :mod:`portal.views.reconcile` speaks the protocol; everything it answers comes
from here, read from the text index (candidates) and the stored query ``reconcile-things``
(names, types and property values of the candidates, parameters bound as validated IRIs).

Identifiers are the paths of the things' pages (``initiative/riotcleanup``,
``def/form/civic-initiative``): short, and the same whatever base the portal is served under.

How a candidate is scored (documented in the README, section "Reconciliation"):

* ``name`` (0-100): the best similarity of the query text to any of the candidate's names and
  alternative names, in any language, after :func:`normalise` (100 when equal);
* with property constraints, each satisfied constraint counts: score = 0.7 × name + 30 ×
  (satisfied constraints / constraints), so an equal name with every constraint met is 100;
* without a name, only constraints: score = 100 × (satisfied constraints / constraints);
* ``match`` is true only when the name is equal after normalisation (or no name was given), no
  other candidate qualifies as well, and every property constraint is satisfied.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import tantivy
from rapidfuzz import fuzz

from core.config import Settings
from core.indexes import search
from core.messages import Text, bundled, msg
from core.store import KiemenStore
from core.vocab import DCT, FOAF, PROV, RDF_TYPE, RDFS, SCHEMA, SKOS
from portal import listing
from portal.resource import iri_for_path, page_path

#: Most queries in one batch, candidates per query, suggestions per request.
MAX_BATCH = 100
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
MAX_SUGGEST = 25
#: Most ids one data extension request may ask for, and properties per request.
MAX_EXTEND_IDS = 200
MAX_EXTEND_PROPERTIES = 20
#: Names scoring at least this much count as "the same" for a string property constraint.
VALUE_MATCH = 90.0
NAME_WEIGHT = 0.7


class ReconcileError(ValueError):
    """A request the service cannot answer (400, with this message)."""


@dataclass(frozen=True)
class Named:
    """A type or property of the service: its id, and its name and description as catalogue
    texts (``reconcile.type.*`` / ``reconcile.property.*``)."""

    id: str
    name: Text
    description: Text

    @property
    def names(self) -> dict[str, str]:
        """The name in each language (the manifest shows one, suggestions match either)."""
        return bundled().both(self.name)

    @property
    def descriptions(self) -> dict[str, str]:
        return bundled().both(self.description)


@dataclass(frozen=True)
class Kind(Named):
    """A reconciliation type: a class of the graph and its kind in the text index."""

    classes: tuple[str, ...]  # under the def namespace unless a full IRI
    search_kind: str


TYPES: tuple[Kind, ...] = (
    Kind(
        "Initiative",
        msg("reconcile.type.Initiative.name"),
        msg("reconcile.type.Initiative.description"),
        ("Initiative",),
        "initiative",
    ),
    Kind(
        "Actor",
        msg("reconcile.type.Actor.name"),
        msg("reconcile.type.Actor.description"),
        ("Actor", "Organisation", "Person"),
        "actor",
    ),
    Kind(
        "Place",
        msg("reconcile.type.Place.name"),
        msg("reconcile.type.Place.description"),
        ("Place",),
        "place",
    ),
    Kind(
        "Concept",
        msg("reconcile.type.Concept.name"),
        msg("reconcile.type.Concept.description"),
        (SKOS + "Concept",),
        "concept",
    ),
)
TYPE_BY_ID = {k.id: k for k in TYPES}


@dataclass(frozen=True)
class Prop(Named):
    """A property that a query may constrain on and a table may fetch (data extension)."""

    predicates: tuple[str, ...]  # full IRIs, or names under the def namespace
    types: tuple[str, ...]  # the type ids that have it
    entity: bool  # values are things (with id and name) rather than text


PROPERTIES: tuple[Prop, ...] = (
    Prop(
        "place",
        msg("reconcile.property.place.name"),
        msg("reconcile.property.place.description"),
        (DCT + "spatial", SCHEMA + "containedInPlace"),
        ("Initiative", "Actor", "Place"),
        True,
    ),
    Prop(
        "form",
        msg("reconcile.property.form.name"),
        msg("reconcile.property.form.description"),
        ("statedForm", "inferredForm"),
        ("Initiative",),
        True,
    ),
    Prop(
        "theme",
        msg("reconcile.property.theme.name"),
        msg("reconcile.property.theme.description"),
        (DCT + "subject",),
        ("Initiative",),
        True,
    ),
    Prop(
        "actor",
        msg("reconcile.property.actor.name"),
        msg("reconcile.property.actor.description"),
        ("actor",),
        ("Initiative",),
        True,
    ),
    Prop(
        "initiative",
        msg("reconcile.property.initiative.name"),
        msg("reconcile.property.initiative.description"),
        ("initiative",),
        ("Actor",),
        True,
    ),
    Prop(
        "role",
        msg("reconcile.property.role.name"),
        msg("reconcile.property.role.description"),
        ("hasRole",),
        ("Initiative", "Actor"),
        True,
    ),
    Prop(
        "source",
        msg("reconcile.property.source.name"),
        msg("reconcile.property.source.description"),
        (PROV + "wasDerivedFrom",),
        ("Initiative", "Actor", "Place", "Concept"),
        True,
    ),
    Prop(
        "document",
        msg("reconcile.property.document.name"),
        msg("reconcile.property.document.description"),
        ("inDocument",),
        ("Initiative", "Actor", "Place", "Concept"),
        True,
    ),
    Prop(
        "actorType",
        msg("reconcile.property.actorType.name"),
        msg("reconcile.property.actorType.description"),
        ("actorType",),
        ("Actor",),
        True,
    ),
    Prop(
        "placeType",
        msg("reconcile.property.placeType.name"),
        msg("reconcile.property.placeType.description"),
        ("placeType",),
        ("Place",),
        True,
    ),
    Prop(
        "scheme",
        msg("reconcile.property.scheme.name"),
        msg("reconcile.property.scheme.description"),
        (SKOS + "inScheme",),
        ("Concept",),
        True,
    ),
    Prop(
        "cbsCode",
        msg("reconcile.property.cbsCode.name"),
        msg("reconcile.property.cbsCode.description"),
        ("cbsCode",),
        ("Actor", "Place"),
        False,
    ),
    Prop(
        "homepage",
        msg("reconcile.property.homepage.name"),
        msg("reconcile.property.homepage.description"),
        (FOAF + "homepage",),
        ("Initiative", "Actor"),
        False,
    ),
    Prop(
        "startDate",
        msg("reconcile.property.startDate.name"),
        msg("reconcile.property.startDate.description"),
        (SCHEMA + "startDate",),
        ("Initiative",),
        False,
    ),
    Prop(
        "endDate",
        msg("reconcile.property.endDate.name"),
        msg("reconcile.property.endDate.description"),
        (SCHEMA + "endDate",),
        ("Initiative",),
        False,
    ),
    Prop(
        "altLabel",
        msg("reconcile.property.altLabel.name"),
        msg("reconcile.property.altLabel.description"),
        (SKOS + "altLabel",),
        ("Initiative", "Actor", "Place", "Concept"),
        False,
    ),
    Prop(
        "description",
        msg("reconcile.property.description.name"),
        msg("reconcile.property.description.description"),
        (DCT + "description", SKOS + "definition"),
        ("Initiative", "Actor", "Place", "Concept"),
        False,
    ),
)
PROP_BY_ID = {p.id: p for p in PROPERTIES}
#: How several types combine (the spec's type_strict; a candidate of any of them qualifies).
TYPE_STRICT = ("any", "should", "all")
#: Deepest a suggestion list can be paged.
MAX_CURSOR = 1_000
#: The reconciliation type of the values of entity properties (sections, documents and code
#: lists are things of their own kinds, which the service does not reconcile).
VALUE_TYPES = {
    "place": "Place",
    "actor": "Actor",
    "initiative": "Initiative",
    "form": "Concept",
    "theme": "Concept",
    "role": "Concept",
    "actorType": "Concept",
    "placeType": "Concept",
}
NAME_PREDICATES = (SKOS + "prefLabel", DCT + "title", RDFS + "label")


# -- normalisation: the one place where spellings are made comparable ---------------------------

#: Abbreviations of Dutch place names that spreadsheets use ("Alphen a/d Rijn").
_ABBREVIATIONS = (
    (re.compile(r"\ba\s*/\s*d\b\.?", re.I), " aan den "),
    (re.compile(r"\ba\.\s*d\.", re.I), " aan den "),
    (re.compile(r"\bo\s*/\s*d\b\.?", re.I), " op den "),
    (re.compile(r"\bv\s*/\s*d\b\.?", re.I), " van der "),
    (re.compile(r"\bi\s*/\s*d\b\.?", re.I), " in den "),
    (re.compile(r"\bgem\.\s", re.I), " gemeente "),
    (re.compile(r"\bprov\.\s", re.I), " provincie "),
    (re.compile(r"\bst\.\s", re.I), " sint "),
    (re.compile(r"&"), " en "),
)


def _fallback_normalise(text: str) -> str:
    """Lower case, no diacritics, hyphens and punctuation as spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(search.WORD.findall(plain))


#: ``core.indexes.search.normalise`` (hyphens, diacritics) where the search module has it.
_SEARCH_NORMALISE: Callable[[str], str] | None = getattr(search, "normalise", None)


def spelled(text: str) -> str:
    """A spreadsheet spelling with its abbreviations written out (``a/d`` -> ``aan den``)."""
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def normalise(text: str) -> str:
    """The single call that makes two spellings comparable: abbreviations written out, then
    the search index's normalisation (lower case, diacritics, hyphens and punctuation)."""
    written = spelled(text)
    base = _SEARCH_NORMALISE(written) if _SEARCH_NORMALISE is not None else written
    return _fallback_normalise(base)


def similarity(query: str, name: str) -> float:
    """0-100: how alike two normalised names are (100 only when equal, spaces aside)."""
    if not query or not name:
        return 0.0
    if query == name or query.replace(" ", "") == name.replace(" ", ""):
        return 100.0
    best = max(
        fuzz.ratio(query, name),
        fuzz.ratio(query.replace(" ", ""), name.replace(" ", "")),
        fuzz.token_sort_ratio(query, name),
    )
    return min(float(best), 99.0)


# -- things as the service sees them ---------------------------------------------------------------


@dataclass
class Value:
    """One value of a property: a thing (id, names) or a text."""

    text: str
    id: str | None = None
    iri: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return _pick(self.labels, lang) or self.text


@dataclass
class Thing:
    """A candidate: its id, types, names in every language, and property values."""

    iri: str
    id: str
    types: list[Kind] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # every name, alternative names included
    descriptions: dict[str, str] = field(default_factory=dict)
    values: dict[str, list[Value]] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return _pick(self.labels, lang) or (self.names[0] if self.names else self.id)

    def description(self, lang: str) -> str:
        return _pick(self.descriptions, lang)


def _pick(by_lang: Mapping[str, str], lang: str) -> str:
    other = "en" if lang == "nl" else "nl"
    for key in (lang, other, ""):
        if by_lang.get(key):
            return by_lang[key]
    return next((v for _k, v in sorted(by_lang.items()) if v), "")


def _put(target: dict[str, str], lang: str, value: str) -> None:
    """One value per language, the least, so the choice never depends on row order."""
    if lang not in target or value < target[lang]:
        target[lang] = value


@dataclass
class _Prepared:
    """A checked query: its normalised text, types, limit, constraints and candidates."""

    wanted: str
    kinds: list[Kind]
    limit: int
    constraints: list[tuple[Prop, list[Any]]]
    iris: list[str]


class Reconciler:
    """The service's model: candidates, scores, suggestions, previews and property values."""

    def __init__(self, kstore: KiemenStore) -> None:
        self.kstore = kstore
        self.settings: Settings = kstore.settings

    # -- ids --------------------------------------------------------------------------------
    def id_of(self, iri: str) -> str | None:
        return page_path(self.settings, iri)

    def iri_of(self, ident: str) -> str | None:
        """The IRI of an id (a page path, or the IRI itself); None for what is no id of ours."""
        ident = ident.strip()
        if not ident or len(ident) > 500:
            return None
        if ident.startswith(("http://", "https://")):
            iri = self.settings.rebase(ident)
            return iri if self.id_of(iri) is not None else None
        iri = iri_for_path(self.settings, ident.strip("/"))
        return iri if self.id_of(iri) == ident.strip("/") else None

    def _full(self, name: str) -> str:
        return name if ":" in name else self.settings.def_ns + name

    # -- reading things ---------------------------------------------------------------------
    def things(self, iris: Sequence[str]) -> dict[str, Thing]:
        """Names, types and property values of some things, from one stored query."""
        wanted = [i for i in dict.fromkeys(iris) if self.id_of(i) is not None]
        if not wanted:
            return {}
        reading = _ThingsReading(self)
        for start in range(0, len(wanted), 500):
            text = listing.bind_many(
                self.settings, "reconcile-things", {"thing": wanted[start : start + 500]}
            )
            for solution in self.kstore.query(text):
                reading.add(solution["thing"].value, solution["p"].value, solution["o"])
        out = reading.finish()
        return {i: out[i] for i in wanted if i in out and out[i].types}

    def labels(self, iris: Sequence[str]) -> dict[str, dict[str, str]]:
        """Names of some things by language (one per language: the least)."""
        out: dict[str, dict[str, str]] = {}
        wanted = [i for i in iris if i.startswith(("http://", "https://", "urn:"))]
        for start in range(0, len(wanted), 500):
            text = listing.bind_many(
                self.settings, "reconcile-labels", {"thing": wanted[start : start + 500]}
            )
            for solution in self.kstore.query(text):
                label = solution["label"]
                _put(
                    out.setdefault(solution["thing"].value, {}),
                    getattr(label, "language", None) or "",
                    label.value,
                )
        return out

    # -- candidates -------------------------------------------------------------------------
    def _text_index(self) -> search.TextIndex:
        return listing.text_index(self.kstore)

    def _search(self, text: str, kinds: Sequence[Kind], limit: int) -> list[str]:
        """IRIs of things of ``kinds`` whose names (or texts) match ``text``, best first.

        First every word must match (the portal's search, typo-tolerant); if that finds fewer
        than ``limit``, any word may match, so a spelling with an extra or a missing word still
        finds its thing.
        """
        index = self._text_index()
        searcher = index.index.searcher()
        words = [w.lower() for w in search.WORD.findall(text)][:20]
        if not words:
            return []
        found: dict[str, float] = {}
        kind_query = tantivy.Query.boolean_query(
            [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.term_query(index.schema, "kind", k.search_kind),
                )
                for k in kinds
            ]
        )
        strict = index.query(" ".join(words))
        # any of the words (the strict query needs all of them), each as search reads it
        each = [q for q in (index.query(w) for w in words) if q is not None]
        lenient = (
            tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in each]) if each else None
        )
        for base in (strict, lenient):
            if base is None or len(found) >= limit:
                continue
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, base), (tantivy.Occur.Must, kind_query)]
            )
            for score, address in searcher.search(query, limit=limit).hits:
                iri = str(searcher.doc(address).get_first("iri"))
                found.setdefault(iri, float(score))
        return list(found)[:limit]

    def _kinds(self, types: Any) -> list[Kind]:
        if types is None or types == "" or types == []:
            return list(TYPES)
        if isinstance(types, str):
            types = [types]
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise ReconcileError("type must be a type id or a list of type ids")
        kinds = []
        for t in types:
            kind = TYPE_BY_ID.get(t)
            if kind is None:
                known = ", ".join(k.id for k in TYPES)
                raise ReconcileError(f"unknown type {t[:80]!r}; the types are {known}")
            if kind not in kinds:
                kinds.append(kind)
        return kinds

    def reconcile(self, queries: Mapping[str, Any], lang: str) -> dict[str, Any]:
        """Answer a batch of reconciliation queries (the spec's query batch object)."""
        if len(queries) > MAX_BATCH:
            raise ReconcileError(f"a batch holds at most {MAX_BATCH} queries")
        prepared = {key: self._prepare(key, q) for key, q in queries.items()}
        # One read of every candidate of the batch (OpenRefine sends ten queries at a time).
        things = self.things([i for p in prepared.values() if p for i in p.iris])
        return {
            key: {"result": self._score(p, things, lang) if p else []}
            for key, p in prepared.items()
        }

    def _prepare(self, key: str, q: Any) -> _Prepared | None:
        """A query checked, with its candidates; None for an empty cell."""
        if not isinstance(q, dict):
            raise ReconcileError(f"query {key[:40]!r} must be an object")
        unknown = set(q) - {"query", "type", "limit", "properties", "type_strict"}
        if unknown:
            raise ReconcileError(f"query {key[:40]!r} has unknown fields: {sorted(unknown)}")
        text = q.get("query", "")
        if not isinstance(text, str):
            raise ReconcileError(f"query {key[:40]!r}: 'query' must be a string")
        text = text[: search.MAX_QUERY_CHARS]
        kinds = self._kinds(q.get("type"))
        if q.get("type_strict", "any") not in TYPE_STRICT:
            raise ReconcileError(f"query {key[:40]!r}: 'type_strict' is one of {TYPE_STRICT}")
        limit = q.get("limit", DEFAULT_LIMIT)
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int | float)
            or not math.isfinite(limit)
            or limit < 1
        ):
            raise ReconcileError(f"query {key[:40]!r}: 'limit' must be a number from 1")
        limit = min(int(limit), MAX_LIMIT)
        constraints = self._constraints(key, q.get("properties", []))
        if not text.strip() and not constraints:
            return None  # an empty cell: nothing to look for
        wanted = normalise(text)
        # Without a name, the constraints' texts (a place, a CBS code) find the candidates.
        terms = (
            spelled(text)
            if text.strip()
            else " ".join(v for _p, vs in constraints for v in vs if isinstance(v, str))
        )
        iris = self._search(terms, kinds, max(limit * 2, 20))
        codes = [v for p, vs in constraints if p.id == "cbsCode" for v in vs if isinstance(v, str)]
        for code in codes[:10]:
            found = self.kstore.rows("reconcile-by-code", {"code": code.strip().upper()})
            iris = list(dict.fromkeys([*(r["thing"] for r in found), *iris]))
        return _Prepared(wanted, kinds, limit, constraints, iris)

    def _score(self, p: _Prepared, things: Mapping[str, Thing], lang: str) -> list[dict[str, Any]]:
        """The candidates of one query, scored and ordered (the rule of the module docstring)."""
        wanted, kinds, limit, constraints = p.wanted, p.kinds, p.limit, p.constraints
        rows = []
        for iri in p.iris:
            thing = things.get(iri)
            if thing is None or not any(k in kinds for k in thing.types):
                continue
            met = [(prop, self._satisfies(thing, prop, vs)) for prop, vs in constraints]
            share = sum(1 for _p, ok in met if ok) / len(met) if met else 1.0
            features: list[dict[str, Any]] = []
            if wanted:
                name_score = max((similarity(wanted, normalise(n)) for n in thing.names), default=0)
                score = name_score
                if met:
                    score = NAME_WEIGHT * name_score + (1 - NAME_WEIGHT) * 100 * share
                features.append({"id": "name", "value": round(name_score / 100, 4)})
            else:  # only constraints: they alone decide
                name_score, score = 100.0, 100 * share
            features += [{"id": f"property:{p.id}", "value": ok} for p, ok in met]
            rows.append((thing, score, name_score == 100 and share == 1.0, features))
        rows.sort(key=lambda r: (-r[1], r[0].name(lang).casefold(), r[0].id))
        exact = sum(1 for r in rows if r[2])
        out = []
        for thing, score, certain, features in rows[:limit]:
            entry: dict[str, Any] = {
                "id": thing.id,
                "name": thing.name(lang),
                "score": round(score, 2),
                "match": certain and exact == 1,
                "type": [{"id": k.id, "name": k.names[lang]} for k in thing.types],
                "features": features,
            }
            described = thing.description(lang)
            if described:
                entry["description"] = described[:300]
            out.append(entry)
        return out

    def _constraints(self, key: str, raw: Any) -> list[tuple[Prop, list[Any]]]:
        if not isinstance(raw, list):
            raise ReconcileError(f"query {key[:40]!r}: 'properties' must be a list")
        out = []
        for item in raw[:MAX_EXTEND_PROPERTIES]:
            if not isinstance(item, dict) or "pid" not in item or "v" not in item:
                raise ReconcileError(f"query {key[:40]!r}: each property needs 'pid' and 'v'")
            prop = PROP_BY_ID.get(item["pid"]) if isinstance(item["pid"], str) else None
            if prop is None:
                raise ReconcileError(
                    f"query {key[:40]!r}: unknown property {str(item['pid'])[:80]!r}; see "
                    "suggest/property for the properties"
                )
            values = item["v"] if isinstance(item["v"], list) else [item["v"]]
            kept: list[Any] = []
            for v in values[:50]:
                if isinstance(v, dict):
                    ident = v.get("id")
                    if not isinstance(ident, str):
                        raise ReconcileError(f"query {key[:40]!r}: an entity value needs an 'id'")
                    kept.append({"id": ident})
                elif isinstance(v, str | int | float | bool):
                    text = str(v).strip()[:200]
                    if text:
                        kept.append(text)
                else:
                    raise ReconcileError(f"query {key[:40]!r}: a value of {prop.id} is malformed")
            if kept:
                out.append((prop, kept))
        return out

    def _satisfies(self, thing: Thing, prop: Prop, wanted: Iterable[Any]) -> bool:
        """Whether any wanted value is among the thing's values of ``prop``."""
        have = thing.values.get(prop.id, [])
        for w in wanted:
            if isinstance(w, dict):
                iri = self.iri_of(w["id"])
                if iri is not None and any(v.iri == iri for v in have):
                    return True
                continue
            text = normalise(w)
            for v in have:
                if v.iri is not None and self.iri_of(w) == v.iri:
                    return True
                names = [v.text, *v.labels.values()] if v.iri is None else list(v.labels.values())
                if prop.id in ("startDate", "endDate") and v.text.startswith(w):
                    return True
                if any(similarity(text, normalise(n)) >= VALUE_MATCH for n in names if n):
                    return True
        return False

    # -- suggest ----------------------------------------------------------------------------
    def suggest_entities(self, prefix: str, types: Any, lang: str, cursor: int) -> list[Thing]:
        kinds = self._kinds(types)
        index = self._text_index()
        searcher = index.index.searcher()
        words = [w.lower() for w in search.WORD.findall(spelled(prefix[: search.MAX_QUERY_CHARS]))]
        if not words:
            return []
        kind_query = tantivy.Query.boolean_query(
            [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.term_query(index.schema, "kind", k.search_kind),
                )
                for k in kinds
            ]
        )
        # The words typed so far as the start of a name: the last one may be unfinished.
        # (A prefix expands to a bounded number of terms: the small name fields first.)
        options: list[tuple[tantivy.Occur, tantivy.Query]] = [
            (
                tantivy.Occur.Should,
                tantivy.Query.boost_query(
                    tantivy.Query.phrase_prefix_query(index.schema, name, words[:10]), boost
                ),
            )
            for name, boost in (
                ("name_nl", 3.0),
                ("name_en", 3.0),
                ("related", 1.0),
                ("plain", 0.5),
            )
        ]
        full = index.query(" ".join(words))
        if full is not None:
            options.append((tantivy.Occur.Should, full))
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.boolean_query(options)),
                (tantivy.Occur.Must, kind_query),
            ]
        )
        if not 0 <= cursor <= MAX_CURSOR:
            raise ReconcileError(f"cursor must be between 0 and {MAX_CURSOR}")
        hits = searcher.search(query, limit=MAX_SUGGEST, offset=cursor).hits
        iris = [str(searcher.doc(address).get_first("iri")) for _s, address in hits]
        things = self.things(iris)
        return [things[i] for i in iris if i in things]

    def suggest_properties(self, prefix: str, types: Any, lang: str) -> list[Prop]:
        wanted = normalise(prefix)
        type_ids = {k.id for k in self._kinds(types)} if types else set()
        out = []
        for prop in PROPERTIES:
            if type_ids and not type_ids & set(prop.types):
                continue
            names = [prop.id, *prop.names.values()]
            if not wanted or any(normalise(n).startswith(wanted) for n in names):
                out.append(prop)
        return out

    @staticmethod
    def suggest_types(prefix: str) -> list[Kind]:
        wanted = normalise(prefix)
        return [
            k
            for k in TYPES
            if not wanted or any(normalise(n).startswith(wanted) for n in (k.id, *k.names.values()))
        ]

    # -- data extension ---------------------------------------------------------------------
    def propose(self, type_id: str | None) -> list[Prop]:
        if not type_id:
            return list(PROPERTIES)
        kind = self._kinds(type_id)[0]
        return [p for p in PROPERTIES if kind.id in p.types]

    def extend(self, request: Any, lang: str) -> dict[str, Any]:
        """The spec's data extension: the values of some properties for some ids."""
        ids, chosen = self.check_extend(request)
        iris = {i: self.iri_of(i) for i in ids}
        things = self.things([i for i in iris.values() if i])
        rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for ident, iri in iris.items():
            thing = things.get(iri) if iri else None
            row: dict[str, list[dict[str, Any]]] = {}
            for prop in chosen:
                row[prop.id] = [] if thing is None else self._cells(thing, prop, lang)
            rows[ident] = row
        meta = []
        for prop in chosen:
            entry: dict[str, Any] = {"id": prop.id, "name": prop.names[lang]}
            value_type = self._value_type(prop, lang)
            if value_type is not None:
                entry["type"] = value_type
            meta.append(entry)
        return {"meta": meta, "rows": rows}

    @staticmethod
    def check_extend(request: Any) -> tuple[list[str], list[Prop]]:
        """The ids and properties of a data extension request, or a ReconcileError."""
        if not isinstance(request, dict):
            raise ReconcileError("extend must be an object with 'ids' and 'properties'")
        ids, props = request.get("ids"), request.get("properties")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ReconcileError("extend: 'ids' must be a list of ids")
        if not isinstance(props, list) or not all(
            isinstance(p, dict)
            and isinstance(p.get("id"), str)
            and isinstance(p.get("settings", {}), dict)
            for p in props
        ):
            raise ReconcileError("extend: 'properties' must be a list of objects with an 'id'")
        if len(ids) > MAX_EXTEND_IDS or len(props) > MAX_EXTEND_PROPERTIES:
            raise ReconcileError(
                f"extend: at most {MAX_EXTEND_IDS} ids and {MAX_EXTEND_PROPERTIES} properties"
            )
        chosen = []
        for p in props:
            prop = PROP_BY_ID.get(p["id"])
            if prop is None:
                raise ReconcileError(f"extend: unknown property {p['id'][:80]!r}")
            chosen.append(prop)
        return ids, chosen

    @staticmethod
    def _value_type(prop: Prop, lang: str) -> dict[str, str] | None:
        """The type of a property's values, where they are things the service reconciles."""
        kind = VALUE_TYPES.get(prop.id)
        if kind is None:
            return None
        found = TYPE_BY_ID[kind]
        return {"id": found.id, "name": found.names[lang]}

    def _cells(self, thing: Thing, prop: Prop, lang: str) -> list[dict[str, Any]]:
        cells: list[dict[str, Any]] = []
        values = thing.values.get(prop.id, [])
        if prop.id == "description":
            text = thing.description(lang)
            return [{"str": text}] if text else []
        if prop.id == "altLabel":
            return [{"str": v.text} for v in values]
        for v in values:
            if v.iri is not None:
                if self.id_of(v.iri) is None:  # a thing elsewhere (a homepage): its address
                    cells.append({"str": v.iri})
                else:
                    cells.append({"id": v.id or v.iri, "name": v.name(lang) or v.iri})
            elif prop.id in ("startDate", "endDate"):
                cells.append(_date_cell(v.text))
            else:
                cells.append({"str": v.text})
        return cells


def _date_cell(text: str) -> dict[str, Any]:
    """A date as the spec wants it (ISO date and time); a partial date stays text."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return {"date": text + "T00:00:00Z"}
    return {"str": text}


def kind_json(kind: Kind, lang: str) -> dict[str, Any]:
    return {"id": kind.id, "name": kind.names[lang], "description": kind.descriptions[lang]}


def prop_json(prop: Prop, lang: str) -> dict[str, Any]:
    return {"id": prop.id, "name": prop.names[lang], "description": prop.descriptions[lang]}


class _ThingsReading:
    """Statements about some things, read one by one into :class:`Thing` records."""

    def __init__(self, rec: Reconciler) -> None:
        self.rec = rec
        self.by_pred: dict[str, list[Prop]] = {}
        for prop in PROPERTIES:
            for pred in prop.predicates:
                self.by_pred.setdefault(rec._full(pred), []).append(prop)
        self.class_kinds = {rec._full(c): k for k in TYPES for c in k.classes}
        self.out: dict[str, Thing] = {}
        self.values: dict[tuple[str, str, str], Value] = {}

    def add(self, subject: str, pred: str, obj: Any) -> None:
        thing = self.out.get(subject)
        if thing is None:
            thing = self.out[subject] = Thing(iri=subject, id=self.rec.id_of(subject) or subject)
        lang = getattr(obj, "language", None) or ""
        if pred == RDF_TYPE:
            kind = self.class_kinds.get(obj.value)
            if kind is not None and kind not in thing.types:
                thing.types.append(kind)
            return
        if pred in NAME_PREDICATES:
            _put(thing.labels, lang, obj.value)
            if obj.value not in thing.names:
                thing.names.append(obj.value)
        elif pred == SKOS + "altLabel" and obj.value not in thing.names:
            thing.names.append(obj.value)
        if pred in (DCT + "description", SKOS + "definition"):
            _put(thing.descriptions, lang, obj.value)
        for prop in self.by_pred.get(pred, ()):
            self._value(thing, prop, obj, lang)

    def _value(self, thing: Thing, prop: Prop, obj: Any, lang: str) -> None:
        key = (thing.iri, prop.id, obj.value + "@" + lang)
        if key in self.values:
            return
        is_iri = isinstance(obj, ox.NamedNode)
        value = Value(
            text=obj.value,
            iri=obj.value if is_iri else None,
            id=(self.rec.id_of(obj.value) or obj.value) if is_iri else None,
        )
        self.values[key] = value
        thing.values.setdefault(prop.id, []).append(value)

    def finish(self) -> dict[str, Thing]:
        """Label the linked values and put everything in a stable order."""
        iris = sorted({v.iri for v in self.values.values() if v.iri is not None})
        labels = self.rec.labels(iris)
        for value in self.values.values():
            if value.iri is not None:
                value.labels = labels.get(value.iri, {})
        order = {k.id: n for n, k in enumerate(TYPES)}
        for thing in self.out.values():
            thing.types.sort(key=lambda k: order[k.id])
            thing.names.sort(key=lambda n: (n not in thing.labels.values(), n))
            for vals in thing.values.values():
                vals.sort(key=lambda v: (v.name("nl").casefold(), v.text))
        return self.out
