"""Facet counts, filters and sort keys of the browser, precomputed at load.

Why: counting facets or sorting by label in SPARQL scans the whole store and grows with it
(833 ms for one facet and 7.9 s for page 40 of a sorted list at a million triples, see the field
notes). :func:`build` turns the rows of the ``index-*`` stored queries into compact arrays once
per load; they are written beside the store generation (``gen-*/search/``) and opened read-only
per generation, so requests only intersect precomputed posting lists.

For every facet the index keeps a forward list (item → values) and a posting list
(value → items), both as NumPy arrays, and the counts over all initiatives. A request combines
the posting lists of the chosen values into a boolean mask (any value within a facet, all
facets together) and counts the other facets' values inside the mask with one ``bincount``;
the unfiltered counts are read as stored. Sort orders (name in nl and en, start date) are
permutations computed at load: a page at any depth costs one pass over the mask.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.indexes import contents, files, orders
from core.indexes.contents import PlaceContents

#: 3: the names by key may have a recent part (:data:`core.indexes.files.RECENT`), which the
#: code that wrote 2 would not read (it refuses 3); 2 reads as 3 (no recent part).
FORMAT_VERSION = 3
READ_VERSIONS = (2, 3)
#: The head of the index; the parts and arrays beside it (see :mod:`core.indexes.files`).
JSON_FILE = files.HEAD_FILE
ARRAYS_DIR = files.ARRAYS_DIR
#: Where format 1 (releases before the arrays were memory-mapped) kept them all, read in full.
LEGACY_ARRAYS_FILE = "facets.npz"


@dataclass(frozen=True)
class FacetDef:
    """A facet of the browser: its URL parameter, text key and how its values are ordered."""

    key: str
    shown: bool = True
    order: str = "count"  # "count" (most first) or "value" (years, ascending)
    #: Parameter of the stored queries browse-initiatives / browse-facet, when it has one.
    sparql: bool = True


#: Every facet of the index, in the order the browser shows them.
FACETS: tuple[FacetDef, ...] = (
    FacetDef("form"),
    FacetDef("govrole"),
    FacetDef("actortype"),
    FacetDef("theme"),
    FacetDef("province"),
    FacetDef("municipality"),
    FacetDef("period", order="value"),
    FacetDef("channel"),
    FacetDef("document"),
    FacetDef("actor"),
    # Kept for filters by URL (place pages, network, related initiatives), not shown as facets.
    FacetDef("place", shown=False),
    FacetDef("spatial", shown=False),
    FacetDef("statedform", shown=False),
    FacetDef("role", shown=False),
)
FACET_KEYS = tuple(f.key for f in FACETS)
SHOWN = tuple(f for f in FACETS if f.shown)
BY_KEY = {f.key: f for f in FACETS}

#: Sort orders a list can take; ``-`` reverses.
SORTS = ("label", "-label", "start", "-start")

#: IRIs containing these are left out of the index's names (see :func:`build`).
UNNAMED = ("/id/initiative/", "/id/channel/", "/id/fact/", "/id/involvement/", "/id/uncertainty/")

#: Weights of shared things when ranking related initiatives.
RELATED_WEIGHTS = {"actor": 3.0, "spatial": 2.0, "theme": 1.0, "form": 1.0}


def sort_text(text: str) -> str:
    """A key that sorts names the way people expect: no accents, no case, no quotes."""
    if text.isascii():
        return text.casefold().strip(" '\"‘’“”.-")
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.casefold().strip(" '\"‘’“”.-")


def short(text: str, limit: int = 280) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


def pick(values: Mapping[str, str] | None, lang: str) -> str:
    """The text in ``lang``, else in the other language, else any."""
    if not values:
        return ""
    other = "en" if lang == "nl" else "nl"
    for key in (lang, other, ""):
        if values.get(key):
            return values[key]
    return next((v for v in values.values() if v), "")


# ---------------------------------------------------------------------------------------------
# the index as it lives in memory
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """A mask over items and how to count under it: ``narrow`` (``items`` are the chosen
    ones), ``broad`` (``items`` are the rest) or ``middling`` (read every row). Found once
    for all the facets counted under the same mask."""

    mask: np.ndarray
    way: str
    items: np.ndarray

    @classmethod
    def of(cls, mask: np.ndarray) -> Selection:
        chosen = int(np.count_nonzero(mask))
        if chosen * 4 <= len(mask):
            return cls(mask, "narrow", np.flatnonzero(mask))
        if chosen * 4 >= 3 * len(mask):
            return cls(mask, "broad", np.flatnonzero(~mask))
        return cls(mask, "middling", np.zeros(0, dtype=np.int64))


@dataclass
class Facet:
    """One facet: its values and the item ↔ value lists in both directions."""

    key: str
    values: list[str]
    tokens: list[str]
    fwd_indptr: np.ndarray
    fwd_values: np.ndarray
    entry_items: np.ndarray
    post_indptr: np.ndarray
    post_items: np.ndarray
    counts: np.ndarray
    lookup: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, (value, token) in enumerate(zip(self.values, self.tokens, strict=True)):
            self.lookup[value] = i
            self.lookup[token] = i

    def find(self, ref: str, base: str) -> int | None:
        """The index of a value given as token, IRI or IRI relative to the base."""
        if ref in self.lookup:
            return self.lookup[ref]
        if base and (base + ref) in self.lookup:
            return self.lookup[base + ref]
        return None

    def items_of(self, value: int) -> np.ndarray:
        return self.post_items[self.post_indptr[value] : self.post_indptr[value + 1]]

    def values_of(self, item: int) -> np.ndarray:
        return self.fwd_values[self.fwd_indptr[item] : self.fwd_indptr[item + 1]]

    def count_in(self, mask: np.ndarray | None, within: Selection | None = None) -> np.ndarray:
        """How many of the items in ``mask`` (a boolean array over items) have each value.

        The work follows the smaller side: a narrow selection counts its own rows, a broad one
        takes the rest's rows from the totals, and only a middling one reads every row (at
        200,000 initiatives that is the difference between ~0.2 and ~1.5 ms a facet). ``within``
        is the mask's :class:`Selection` when the caller counts several facets under it.
        """
        if mask is None:
            return self.counts
        chosen = within if within is not None and within.mask is mask else Selection.of(mask)
        if chosen.way == "narrow":
            return self._count_rows(chosen.items)
        if chosen.way == "broad":
            rest: np.ndarray = self.counts - self._count_rows(chosen.items)
            return rest
        return np.bincount(self.fwd_values[mask[self.entry_items]], minlength=len(self.values))

    def _count_rows(self, items: np.ndarray) -> np.ndarray:
        """Value counts over the rows of ``items`` (read through the item → value lists)."""
        starts = self.fwd_indptr[items].astype(np.int64)
        lengths = self.fwd_indptr[items + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(len(self.values), dtype=np.int64)
        # positions of every row of every item: each item's start, then 0, 1, 2, ... within it
        firsts = np.cumsum(lengths) - lengths
        positions = np.repeat(starts - firsts, lengths) + np.arange(total)
        return np.bincount(self.fwd_values[positions], minlength=len(self.values))


@dataclass(frozen=True)
class MapSelection:
    """The map's places (``spatial`` values) in order, their counts, and their examples:
    ``examples[indptr[k]:indptr[k + 1]]`` are the items shown for ``places[k]``."""

    places: np.ndarray
    counts: np.ndarray
    indptr: np.ndarray
    examples: np.ndarray


def top_positions(scores: np.ndarray, limit: int) -> np.ndarray:
    """The ``limit`` highest scores' positions, highest first and ties in position order: the
    head of a stable sort of every score, without sorting them all (at 200,000 initiatives a
    full sort is ~10 ms; the partition and the sort of the few at or above the cut ~1 ms)."""
    if limit <= 0:
        return np.zeros(0, dtype=np.int64)
    if len(scores) > limit:
        cut = scores[np.argpartition(-scores, limit - 1)[:limit]].min()
        candidates = np.flatnonzero(scores >= cut)  # in position order: ties stay in it
    else:
        candidates = np.arange(len(scores))
    ranked = candidates[np.argsort(-scores[candidates], kind="stable")]
    return ranked[:limit]


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``starts[k] .. starts[k] + lengths[k] - 1`` of every k, one after another."""
    total = int(lengths.sum())
    firsts = np.cumsum(lengths) - lengths
    return np.repeat(starts - firsts, lengths) + np.arange(total, dtype=np.int64)


@dataclass
class BrowseIndex:
    """Everything the browser, the home page, the map and the network read per request."""

    generation: str
    base: str
    items: list[str]
    info: list[dict[str, Any]]
    labels: dict[str, dict[str, str]]
    facets: dict[str, Facet]
    orders: dict[str, np.ndarray]
    xy: np.ndarray
    places: dict[str, dict[str, Any]]
    form_scores: dict[str, tuple[float, float]]
    kinds: dict[str, int]
    inv_item: np.ndarray
    inv_actor: np.ndarray
    inv_role: np.ndarray
    inv_stated: np.ndarray
    supports: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: Each place's contents (None: an index written before they were kept with it).
    contents: PlaceContents | None = None
    item_lookup: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.item_lookup = {iri: i for i, iri in enumerate(self.items)}

    @functools.cached_property
    def with_actors(self) -> np.ndarray:
        """Items that an involvement links to an actor (the network draws only those)."""
        linked = np.zeros(self.size, dtype=bool)
        linked[self.inv_item] = True
        return linked

    @property
    def size(self) -> int:
        return len(self.items)

    def label(self, iri: str, lang: str) -> str:
        item = self.item_lookup.get(iri)
        if item is not None and self.info[item].get("label"):
            return pick(self.info[item]["label"], lang)
        found = pick(self.labels.get(iri), lang)
        if found:
            return found
        return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def value_label(self, facet: str, value: str, lang: str) -> str:
        if facet == "period":
            return value
        return self.label(value, lang)

    # -- filtering -----------------------------------------------------------------------
    def resolve(self, filters: Mapping[str, Sequence[str]]) -> dict[str, list[int]]:
        """Facet values from the URL as value indexes; unknown ones are dropped."""
        out: dict[str, list[int]] = {}
        for key, refs in filters.items():
            facet = self.facets.get(key)
            if facet is None:
                continue
            found = [i for i in (facet.find(r, self.base) for r in refs) if i is not None]
            if found:
                out[key] = sorted(set(found))
        return out

    def facet_mask(self, key: str, values: Iterable[int]) -> np.ndarray:
        facet = self.facets[key]
        mask = np.zeros(self.size, dtype=bool)
        for v in values:
            mask[facet.items_of(v)] = True
        return mask

    def mask(
        self,
        chosen: Mapping[str, list[int]],
        base: np.ndarray | None = None,
        exclude: str | None = None,
        parts: dict[str, np.ndarray] | None = None,
    ) -> np.ndarray | None:
        """Items matching every chosen facet (any value within one); None means all items."""
        result = None if base is None else base.copy()
        for key, values in chosen.items():
            if key == exclude:
                continue
            part = (
                parts[key] if parts is not None and key in parts else self.facet_mask(key, values)
            )
            result = part.copy() if result is None else (result & part)
        return result

    def counts(
        self, chosen: Mapping[str, list[int]], base: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Counts of every shown facet: for a facet with a choice, its own choice is left out
        (so its other values say what adding them would give)."""
        parts = {key: self.facet_mask(key, values) for key, values in chosen.items()}
        everything = self.mask(chosen, base, parts=parts)
        shared = None if everything is None else Selection.of(everything)
        out: dict[str, np.ndarray] = {}
        for f in SHOWN:
            mask = (
                self.mask(chosen, base, exclude=f.key, parts=parts)
                if f.key in chosen
                else everything
            )
            out[f.key] = self.facets[f.key].count_in(mask, shared)
        return out

    # -- sorting and paging --------------------------------------------------------------
    def order(self, sort: str, lang: str) -> np.ndarray:
        key = sort.lstrip("-")
        if key == "label":
            arr = self.orders[f"label-{lang}"]
            return arr[::-1] if sort.startswith("-") else arr
        return self.orders["-start" if sort == "-start" else "start"]

    def page(
        self,
        mask: np.ndarray | None,
        order: np.ndarray,
        size: int,
        offset: int = 0,
        after: int | None = None,
    ) -> tuple[list[int], int, int | None]:
        """Items of one page, the total, and the keyset position after the page (or None).

        ``after`` is a position in ``order`` (a keyset cursor): the page starts after it.
        The cost is one pass over the mask, the same on page 1 and on page 1,000.
        """
        positions = np.arange(len(order)) if mask is None else np.flatnonzero(mask[order])
        total = len(positions)
        start = (
            int(np.searchsorted(positions, after, side="right")) if after is not None else offset
        )
        chosen = positions[start : start + size]
        items = [int(i) for i in order[chosen]]
        more = start + size < total
        return items, total, (int(chosen[-1]) if more and len(chosen) else None)

    # -- rows ------------------------------------------------------------------------------
    def row(self, item: int, lang: str) -> dict[str, Any]:
        """The fields of one initiative that lists show."""
        info = self.info[item]
        forms = self.facets["form"]
        stated = set(int(v) for v in self.facets["statedform"].values_of(item))
        stated_iris = {self.facets["statedform"].values[v] for v in stated}
        form_rows = []
        for v in forms.values_of(item):
            iri = forms.values[int(v)]
            form_rows.append(
                {"iri": iri, "label": self.label(iri, lang), "stated": iri in stated_iris}
            )
        form_rows.sort(key=lambda r: (not r["stated"], r["label"]))
        places = [
            {
                "iri": self.facets["spatial"].values[int(v)],
                "label": self.label(self.facets["spatial"].values[int(v)], lang),
            }
            for v in self.facets["spatial"].values_of(item)
        ]
        return {
            "iri": self.items[item],
            "label": pick(info.get("label"), lang) or self.label(self.items[item], lang),
            "description": pick(info.get("description"), lang),
            "start": info.get("start"),
            "end": info.get("end"),
            "forms": form_rows,
            "places": places,
        }

    # -- related initiatives ------------------------------------------------------------
    def related(self, item: int, limit: int = 8) -> list[tuple[int, float, dict[str, list[str]]]]:
        """Initiatives sharing actors, places, themes and forms, rarer shared things first."""
        scores = np.zeros(self.size, dtype=np.float64)
        for key, weight in RELATED_WEIGHTS.items():
            facet = self.facets[key]
            for v in facet.values_of(item):
                members = facet.items_of(int(v))
                if len(members) <= 1:
                    continue
                idf = math.log(1 + self.size / len(members))
                scores[members] += weight * idf
        scores[item] = 0
        if not scores.any():
            return []
        top = top_positions(scores, limit)
        out = []
        for other in top:
            if scores[other] <= 0:
                break
            shared: dict[str, list[str]] = {}
            for key in RELATED_WEIGHTS:
                facet = self.facets[key]
                mine = set(int(v) for v in facet.values_of(item))
                both = mine & set(int(v) for v in facet.values_of(int(other)))
                if both:
                    shared[key] = [facet.values[v] for v in sorted(both)]
            out.append((int(other), float(scores[other]), shared))
        return out

    # -- map ----------------------------------------------------------------------------
    @functools.cached_property
    def located(self) -> np.ndarray:
        """Over the places (the ``spatial`` facet's values): which have coordinates, the only
        ones a map can show."""
        return np.fromiter(
            (
                (self.places.get(iri) or {}).get("lat") is not None
                for iri in self.facets["spatial"].values
            ),
            dtype=bool,
            count=len(self.facets["spatial"].values),
        )

    def map_selection(self, mask: np.ndarray | None, per_place: int = 5) -> MapSelection:
        """The result set's places on the map, most initiatives first (ties in value order),
        each with its count and its first ``per_place`` initiatives in item order.

        In NumPy throughout, no Python step per place or example (the map API then joins
        precomputed JSON per example): under a mask, one pass over the places' posting
        entries gives both the counts and the examples."""
        facet = self.facets["spatial"]
        n_values = len(facet.values)
        if mask is None:
            counts = facet.counts
        else:
            # the posting entries in the mask, in order, and the place of each
            kept = np.flatnonzero(mask[facet.post_items])
            value = np.searchsorted(facet.post_indptr, kept, side="right") - 1
            counts = np.bincount(value, minlength=n_values)
        shown = np.flatnonzero((counts > 0) & self.located)
        places = shown[np.argsort(-counts[shown], kind="stable")]
        if per_place <= 0:
            taken = np.zeros(len(places), dtype=np.int64)
            positions = np.zeros(0, dtype=np.int64)
        elif mask is None:
            starts = facet.post_indptr[places].astype(np.int64)
            taken = np.minimum(facet.post_indptr[places + 1] - starts, per_place)
            positions = _ranges(starts, taken)
        else:
            # each entry's rank within its place; keep the first few of each place
            rank = np.arange(len(kept)) - (np.cumsum(counts) - counts)[value]
            kept = kept[rank < per_place]
            per_value = np.minimum(counts, per_place)
            taken = per_value[places]
            positions = kept[_ranges((np.cumsum(per_value) - per_value)[places], taken)]
        indptr = np.zeros(len(places) + 1, dtype=np.int64)
        np.cumsum(taken, out=indptr[1:])
        return MapSelection(places, counts[places], indptr, facet.post_items[positions])

    def map_points(
        self, mask: np.ndarray | None, lang: str, per_place: int = 5
    ) -> list[dict[str, Any]]:
        """The result set grouped by place: one point per place with its count and examples
        (:meth:`map_selection` as Python objects; the map API joins JSON fragments instead)."""
        chosen = self.map_selection(mask, per_place)
        facet = self.facets["spatial"]
        examples = chosen.examples.tolist()
        bounds = chosen.indptr.tolist()
        points = []
        for k, (v, n) in enumerate(
            zip(chosen.places.tolist(), chosen.counts.tolist(), strict=True)
        ):
            iri = facet.values[v]
            place = self.places[iri]
            points.append(
                {
                    "place": iri,
                    "label": self.label(iri, lang),
                    "lat": place["lat"],
                    "long": place["long"],
                    "count": n,
                    "initiatives": [
                        {"iri": self.items[i], "label": pick(self.info[i].get("label"), lang)}
                        for i in examples[bounds[k] : bounds[k + 1]]
                    ],
                }
            )
        return points

    # -- network ------------------------------------------------------------------------
    def network(
        self,
        mask: np.ndarray | None,
        roles: Sequence[int],
        lang: str,
        max_initiatives: int = 150,
    ) -> dict[str, Any]:
        """Actors and initiatives joined by involvements, for the chosen initiatives and roles."""
        keep = np.ones(len(self.inv_item), dtype=bool)
        if mask is not None:
            keep &= mask[self.inv_item]
        if roles:
            keep &= np.isin(self.inv_role, np.asarray(roles, dtype=self.inv_role.dtype))
        rows = np.flatnonzero(keep)
        # One count per initiative gives both the initiatives (in item order, as np.unique
        # would: ~8 ms of hashing 120,000 rows at 200,000 initiatives) and their degree.
        degree = np.bincount(self.inv_item[rows], minlength=self.size)
        initiatives_all = np.flatnonzero(degree)
        total_initiatives = len(initiatives_all)
        if total_initiatives > max_initiatives:
            # The best-connected initiatives first, so the picture shows the network's core.
            chosen = np.zeros(self.size, dtype=bool)
            chosen[
                initiatives_all[
                    np.argsort(-degree[initiatives_all], kind="stable")[:max_initiatives]
                ]
            ] = True
            rows = rows[chosen[self.inv_item[rows]]]
        actor_facet = self.facets["actor"]
        role_values = self.facets["role"].values
        edges: dict[tuple[int, int], dict[str, Any]] = {}
        for item, actor, role, stated in zip(
            self.inv_item[rows].tolist(),
            self.inv_actor[rows].tolist(),
            self.inv_role[rows].tolist(),
            self.inv_stated[rows].tolist(),
            strict=True,
        ):
            edge = edges.setdefault((item, actor), {"roles": [], "stated": False})
            role_iri = role_values[role]
            if role_iri not in edge["roles"]:
                edge["roles"].append(role_iri)
            edge["stated"] = edge["stated"] or bool(stated)
        nodes: dict[str, dict[str, Any]] = {}
        out_edges = []
        for (item, actor), edge in edges.items():
            ini_iri = self.items[item]
            act_iri = actor_facet.values[actor]
            nodes.setdefault(
                ini_iri,
                {
                    "id": ini_iri,
                    "label": pick(self.info[item].get("label"), lang),
                    "kind": "initiative",
                },
            )
            nodes.setdefault(
                act_iri, {"id": act_iri, "label": self.label(act_iri, lang), "kind": "actor"}
            )
            out_edges.append(
                {
                    "source": act_iri,
                    "target": ini_iri,
                    "roles": edge["roles"],
                    "label": ", ".join(self.label(r, lang) for r in edge["roles"]),
                    "stated": edge["stated"],
                }
            )
        degree_count: dict[str, int] = defaultdict(int)
        for e in out_edges:
            degree_count[e["source"]] += 1
            degree_count[e["target"]] += 1
        for node in nodes.values():
            node["degree"] = degree_count[node["id"]]
        return {
            "nodes": sorted(nodes.values(), key=lambda n: (n["kind"], n["label"])),
            "edges": out_edges,
            "initiatives": total_initiatives,
            "truncated": total_initiatives > max_initiatives,
        }


# ---------------------------------------------------------------------------------------------
# building (at load) and opening (per generation)
# ---------------------------------------------------------------------------------------------


def _tokens(values: list[str], base: str) -> list[str]:
    """Short URL tokens: the last path segment where it is unique within the facet."""
    tails = [v.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] for v in values]
    seen: dict[str, int] = defaultdict(int)
    for t in tails:
        seen[t] += 1
    out = []
    for value, tail in zip(values, tails, strict=True):
        if tail and seen[tail] == 1:
            out.append(tail)
        elif base and value.startswith(base):
            out.append(value[len(base) :])
        else:
            out.append(value)
    return out


def _facet_arrays(
    n_items: int, pairs: set[tuple[int, str]]
) -> tuple[list[str], dict[str, np.ndarray]]:
    values = sorted({v for _i, v in pairs})
    index = {v: k for k, v in enumerate(values)}
    items = np.fromiter((i for i, _v in pairs), dtype=np.int32, count=len(pairs))
    vals = np.fromiter((index[v] for _i, v in pairs), dtype=np.int32, count=len(pairs))
    return values, _arrays_of_rows(n_items, len(values), items, vals)


def _facet_arrays_of(
    lookup: dict[str, int], rows: set[tuple[str, str]]
) -> tuple[list[str], dict[str, np.ndarray]]:
    """:func:`_facet_arrays` of ``rows`` (IRIs) with their items numbered by ``lookup`` (rows
    of other items left out), without a set of numbered rows between: the rows are a set and
    the numbering one-to-one, so no row comes twice (that set was a third of the facets' time
    in a big load's build ahead)."""
    of_items, of_values = zip(*rows, strict=True) if rows else ((), ())
    values = sorted(set(of_values))
    index = {v: k for k, v in enumerate(values)}
    # map() over the columns, not a generator over the rows: no Python frame per row.
    vals = np.fromiter(map(index.__getitem__, of_values), dtype=np.int32, count=len(rows))
    try:
        items = np.fromiter(map(lookup.__getitem__, of_items), dtype=np.int32, count=len(rows))
    except KeyError:  # rows of other items too (none in a load's build ahead)
        items = np.fromiter((lookup.get(i, -1) for i in of_items), np.int32, count=len(rows))
    known = items >= 0
    if not known.all():
        items, vals = items[known], vals[known]
        used = np.unique(vals)
        values = [values[int(k)] for k in used]
        vals = np.searchsorted(used, vals).astype(np.int32)
    return values, _arrays_of_rows(len(lookup), len(values), items, vals)


def _patched_facet(
    change: Change,
    key: str,
    lookup: dict[str, int],
    parent: tuple[list[str], dict[str, np.ndarray]],
) -> tuple[list[str], dict[str, np.ndarray]]:
    """A facet's values and arrays from its parent's: every row but the seeds' as it was (its
    item renumbered), the seeds' rows as they are now. The same arrays as :func:`_facet_arrays`
    makes of all the rows, in time that follows the facet's size in NumPy, not in Python."""
    old_values, arrays = parent
    entry, fwd = arrays["entry_items"], arrays["fwd_values"]
    keep = ~change.old_seeds[entry]
    kept_values = np.unique(fwd[keep])
    fresh = [(lookup[i], v) for i, v in change.rows.get(key, ()) if i in lookup]
    values = sorted({old_values[int(v)] for v in kept_values} | {v for _i, v in fresh})
    index = {v: k for k, v in enumerate(values)}
    renumber = np.zeros(len(old_values), dtype=np.int32)
    renumber[kept_values] = [index[old_values[int(v)]] for v in kept_values]
    items = np.concatenate(
        [change.renumber[entry[keep]], np.asarray([i for i, _v in fresh], dtype=np.int32)]
    ).astype(np.int32)
    vals = np.concatenate(
        [renumber[fwd[keep]], np.asarray([index[v] for _i, v in fresh], dtype=np.int32)]
    ).astype(np.int32)
    # a row of a subject that is no seed may be both kept and fresh (a set has it once)
    rows = np.unique(items.astype(np.int64) * max(1, len(values)) + vals)
    items = (rows // max(1, len(values))).astype(np.int32)
    vals = (rows % max(1, len(values))).astype(np.int32)
    return values, _arrays_of_rows(len(lookup), len(values), items, vals)


def _arrays_of_rows(
    n_items: int, n_values: int, items: np.ndarray, vals: np.ndarray
) -> dict[str, np.ndarray]:
    """A facet's arrays from its rows (item and value numbers, no row twice)."""
    by_item = np.lexsort((vals, items))
    fwd_items, fwd_values = items[by_item], vals[by_item]
    by_value = np.lexsort((items, vals))
    post_values, post_items = vals[by_value], items[by_value]
    fwd_indptr = np.searchsorted(fwd_items, np.arange(n_items + 1), side="left").astype(np.int32)
    post_indptr = np.searchsorted(post_values, np.arange(n_values + 1), side="left").astype(
        np.int32
    )
    counts = np.bincount(fwd_values, minlength=n_values).astype(np.int32)
    return {
        "fwd_indptr": fwd_indptr,
        "fwd_values": fwd_values,
        "entry_items": fwd_items,
        "post_indptr": post_indptr,
        "post_items": post_items,
        "counts": counts,
    }


@dataclass
class IndexInput:
    """What :func:`build` needs, as plain Python data read from the stored ``index-*`` queries."""

    base: str
    initiatives: dict[str, dict[str, Any]]
    facet_pairs: dict[str, set[tuple[str, str]]]
    labels: dict[str, dict[str, str]]
    places: dict[str, dict[str, Any]]
    form_scores: dict[str, tuple[float, float]]
    involvements: list[tuple[str, str, str, bool]]
    kinds: dict[str, int]
    supports: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: Each place's contents: ``{relation: {(thing, place)}}`` (see :mod:`core.indexes.contents`).
    contents: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


@dataclass
class Prebuilt:
    """Facets made into their arrays as their rows come, a group of facets at a time (a big
    load's index build ahead), so that the rows of all facets are never Python tuples at once
    (they were a third of the index input at 1 M triples).

    ``seen`` hears every facet's rows (and the names) before they go (the search documents'
    related names);
    the rows of the facets in ``keep`` stay in the input (the map's positions read them).
    """

    seen: Callable[[str, set[tuple[str, str]], dict[str, dict[str, str]]], None]
    keep: frozenset[str] = frozenset(("form", "statedform"))
    facets: dict[str, tuple[list[str], dict[str, np.ndarray]]] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)

    def take(
        self,
        groups: Iterable[dict[str, set[tuple[str, str]]]],
        items: list[str],
        labels: dict[str, dict[str, str]],
    ) -> dict[str, set[tuple[str, str]]]:
        """Make each facet of ``groups`` over ``items`` (the initiatives in order); the rows
        kept. ``labels`` (the things' names) go to ``seen`` with each facet's rows. A facet in
        two groups is an error (its arrays would miss the first's rows)."""
        self.items = items
        lookup = {iri: i for i, iri in enumerate(items)}
        kept: dict[str, set[tuple[str, str]]] = {}
        for group in groups:
            for key, rows in group.items():
                if key in self.facets:
                    raise ValueError(f"facet {key} made twice")
                if not rows:
                    continue
                self.seen(key, rows, labels)
                if key in self.keep:
                    kept[key] = rows
                self.facets[key] = _facet_arrays_of(lookup, rows)
            group.clear()
        return kept


@dataclass
class Change:
    """What an incremental update changed, for :func:`build` to start from the parent's index.

    ``tables``: which of the input's tables differ from the parent's (``items``: the set of
    initiatives; ``info``: an initiative's row in lists; ``labels``, ``places``,
    ``form_scores``, ``kinds``, ``supports``, ``involvements``, ``contents``; ``pairs:KEY``: a
    facet's rows);
    ``seeds``: the subjects whose rows were replaced, ``rows`` their facet rows now, and
    ``items`` the parent's initiatives in its order.
    """

    parent: Path
    tables: frozenset[str]
    seeds: set[str]
    rows: dict[str, set[tuple[str, str]]]
    items: list[str]
    #: Over the parent's items: which are seeds; and each one's number in the new index.
    old_seeds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    renumber: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    def number(self, lookup: dict[str, int]) -> None:
        self.old_seeds = np.fromiter((i in self.seeds for i in self.items), dtype=bool)
        self.renumber = np.fromiter(
            (lookup.get(i, -1) for i in self.items), dtype=np.int32, count=len(self.items)
        )


#: The arrays of one facet (``KEY.NAME``), as :func:`_facet_arrays` makes them.
FACET_ARRAYS = ("fwd_indptr", "fwd_values", "entry_items", "post_indptr", "post_items", "counts")
ORDER_ARRAYS = ("order.label-nl", "order.label-en", "order.start", "order.-start")
INV_ARRAYS = ("inv.item", "inv.actor", "inv.role", "inv.stated")


def build(
    data: IndexInput,
    target: Path,
    generation: str,
    change: Change | None = None,
    prebuilt: Prebuilt | None = None,
) -> None:
    """Write the facet index of one generation into ``target`` (a new directory).

    ``prebuilt``: the facets already made (over the same initiatives), whose rows ``data``
    no longer holds; a facet with no rows is made here.

    ``change`` (an incremental update): a part made only from unchanged tables is hard-linked
    from the parent's files, and a facet whose rows changed is patched from the parent's
    arrays instead of made from all its rows; the files are the same either way.
    """
    out = files.Writer(target, change.parent if change is not None else None)

    def dirty(*tables: str) -> bool:
        return change is None or any(t in change.tables for t in tables)

    items = sorted(data.initiatives)
    if prebuilt is not None and prebuilt.items != items:
        raise ValueError("the facets were made over other initiatives")
    lookup = {iri: i for i, iri in enumerate(items)}
    if change is not None:
        change.number(lookup)
    values: dict[str, list[str]] = {}
    for f in FACETS:
        arrays = [f"{f.key}.{name}" for name in FACET_ARRAYS]
        reuse = not dirty("items", f"pairs:{f.key}")
        if reuse and out.link_part(f"facet.{f.key}") and out.link_arrays(arrays):
            continue
        parent = _parent_facet(out, f.key) if change is not None else None
        made = prebuilt.facets.pop(f.key, None) if prebuilt is not None else None
        if made is not None:
            values[f.key], arr = made
        elif change is not None and parent is not None:
            values[f.key], arr = _patched_facet(change, f.key, lookup, parent)
        else:
            pairs = {(lookup[i], v) for i, v in data.facet_pairs.get(f.key, set()) if i in lookup}
            values[f.key], arr = _facet_arrays(len(items), pairs)
        _save_facet_part(out, f.key, values[f.key], parent, data.base)
        out.save_arrays({f"{f.key}.{name}": a for name, a in arr.items()})
    if dirty("items", "info") or not (out.link_part("items") and out.link_arrays(ORDER_ARRAYS)):
        _save_lists(out, change, data, items, lookup)
    xy_from = ("items", "pairs:form", "pairs:statedform", "form_scores")
    if dirty(*xy_from) or not out.link_arrays(["xy"]):
        out.save_arrays({"xy": _xy(out, change, data, items, lookup)})
    inv_from = ("items", "involvements", "pairs:actor", "pairs:role")
    if dirty(*inv_from) or not out.link_arrays(INV_ARRAYS):
        for key in ("actor", "role"):
            if key not in values:
                values[key] = out.parent_part(f"facet.{key}")["values"]
        out.save_arrays(_involvements(data, lookup, values["actor"], values["role"]))
    # Names of everything pages and lists show; initiatives' own names live in ``info``, and
    # the many channels, facts, involvements and uncertainties are never shown by name.
    # (in the state's parts by key: a write that names one thing rewrites one part)
    changed = files.changed_keys(change.tables, "labels") if change is not None else None
    out.save_sharded("labels", data.labels, changed, keep=_is_named)
    if dirty("places", "form_scores", "kinds", "supports") or not out.link_part("rest"):
        rest = {
            "places": data.places,
            "form_scores": {k: list(v) for k, v in data.form_scores.items()},
            "kinds": data.kinds,
            "supports": data.supports,
        }
        out.save_part("rest", rest)
    if dirty("contents") or not (out.link_part(contents.PART) and out.link_arrays(contents.ARRAYS)):
        places, place_arrays = contents.arrays(data.contents)
        out.save_part(contents.PART, {"places": places})
        out.save_arrays(place_arrays)
    out.finish({"format": FORMAT_VERSION, "generation": generation, "base": data.base})


def info_row(rec: dict[str, Any]) -> dict[str, Any]:
    """What lists show of one initiative (its row of the ``items`` part)."""
    return {
        "label": rec.get("label", {}),
        "description": {k: short(v) for k, v in rec.get("description", {}).items()},
        "start": rec.get("start"),
        "end": rec.get("end"),
    }


def _xy(
    out: files.Writer,
    change: Change | None,
    data: IndexInput,
    items: list[str],
    lookup: dict[str, int],
) -> np.ndarray:
    """The positions: patched from the parent's when only the seeds' rows changed."""
    if (
        change is not None
        and "form_scores" not in change.tables
        and all(
            i in change.seeds
            for key in ("form", "statedform")
            for i, _v in change.rows.get(key, ())
        )
    ):
        try:
            parent = out.parent_arrays(["xy"])["xy"]
        except files.Damaged:
            return _positions(data, items, lookup)
        return _patched_positions(change, data, lookup, parent)
    return _positions(data, items, lookup)


def _save_facet_part(
    out: files.Writer,
    key: str,
    values: list[str],
    parent: tuple[list[str], dict[str, np.ndarray]] | None,
    base: str,
) -> None:
    """A facet's part (its values and their tokens): the parent's file when the values are
    the parent's (a write that adds initiatives with values the index knows changes every
    facet's arrays, hardly ever a value: 14 parts, up to 0.7 MB each, not encoded again)."""
    if parent is not None and parent[0] == values and out.link_part(f"facet.{key}"):
        return
    out.save_part(f"facet.{key}", {"values": values, "tokens": _tokens(values, base)})


def _parent_facet(out: files.Writer, key: str) -> tuple[list[str], dict[str, np.ndarray]] | None:
    """A facet's values and arrays in the parent's index (None: missing or damaged)."""
    try:
        arrays = out.parent_arrays([f"{key}.{name}" for name in FACET_ARRAYS])
        values: list[str] = out.parent_part(f"facet.{key}")["values"]
    except (files.Damaged, KeyError):
        return None
    return values, {name.split(".", 1)[1]: a for name, a in arrays.items()}


def _save_lists(
    out: files.Writer,
    change: Change | None,
    data: IndexInput,
    items: list[str],
    lookup: dict[str, int],
) -> None:
    """The ``items`` part (every initiative's list row) and the sort orders: patched from the
    parent's, one row a line (the next write takes the rows as text), else made whole."""
    lists = _patched_lists(out, change, data, items, lookup) if change is not None else None
    if lists is not None:
        out.save_rows("items", {"items": items}, "info", lists[0])
        out.save_arrays(lists[1])
    else:
        info = _info(data, items)
        out.save_part("items", {"items": items, "info": info})
        out.save_arrays(_orders(items, info))


def _info(data: IndexInput, items: list[str]) -> list[dict[str, Any]]:
    return [info_row(data.initiatives[iri]) for iri in items]


def _patched_lists(
    out: files.Writer, change: Change, data: IndexInput, items: list[str], lookup: dict[str, int]
) -> tuple[list[str], dict[str, np.ndarray]] | None:
    """The list rows (each its JSON text) and sort orders (what :func:`_info` and
    :func:`_orders` make) from the parent's, with the seeds' rows computed and put in place;
    None when the parent's are missing or a new initiative is no seed.

    The rows kept are the parent's text, never decoded: what the sort keys read of them (a
    row's name and start) is the initiative's record in ``data``, the same for every
    initiative that is no seed."""
    try:
        head, parent_rows = out.parent_rows("items", "info")
        arrays = out.parent_arrays(ORDER_ARRAYS)
    except files.Damaged:
        return None
    if head.get("items") != change.items or len(parent_rows) != len(change.items):
        return None
    keep = ~change.old_seeds & (change.renumber >= 0)
    fresh = sorted(lookup[i] for i in change.seeds if i in lookup)
    rows = orders.carried(parent_rows, keep, change.renumber, len(items))
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for i in fresh:
        rows[i] = encode(info_row(data.initiatives[items[i]]))
    texts = [row for row in rows if row is not None]
    if len(texts) != len(items):
        return None
    records = [data.initiatives[iri] for iri in items]

    def by_label(lang: str) -> Callable[[int], tuple[str, str]]:
        return lambda i: (sort_text(pick(records[i].get("label", {}), lang) or items[i]), items[i])

    made = {
        f"order.label-{lang}": orders.merged(
            arrays[f"order.label-{lang}"], keep, change.renumber, fresh, by_label(lang)
        )
        for lang in ("nl", "en")
    }
    # by start: those with a start date in its order, then those without in the items' order
    # (the parent's rows that are not kept are decoded for their start: a few at most)
    renumber = change.renumber
    dated = sum(1 for old in np.flatnonzero(keep).tolist() if records[renumber[old]].get("start"))
    dated += sum(
        1 for old in np.flatnonzero(~keep).tolist() if json.loads(parent_rows[old])["start"]
    )
    parent_start = arrays["order.start"]
    by_start = orders.merged(
        parent_start[:dated],
        keep,
        change.renumber,
        [i for i in fresh if records[i].get("start")],
        lambda i: (str(records[i].get("start")), items[i]),
    )
    undated = parent_start[dated:]
    without = np.sort(
        np.concatenate(
            [
                change.renumber[undated[keep[undated]]],
                np.asarray([i for i in fresh if not records[i].get("start")], dtype=np.int32),
            ]
        )
    ).astype(np.int32)
    made["order.start"] = np.concatenate([by_start, without]).astype(np.int32)
    made["order.-start"] = np.concatenate([by_start[::-1], without]).astype(np.int32)
    return texts, made


def _orders(items: list[str], info: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    n = len(items)
    arrays = {}
    for lang in ("nl", "en"):
        keys = [(sort_text(pick(info[i]["label"], lang) or items[i]), items[i]) for i in range(n)]
        arrays[f"order.label-{lang}"] = np.asarray(
            sorted(range(n), key=keys.__getitem__), dtype=np.int32
        )
    with_start = [i for i in range(n) if info[i]["start"]]
    without = [i for i in range(n) if not info[i]["start"]]
    by_start = sorted(with_start, key=lambda i: (str(info[i]["start"]), items[i]))
    arrays["order.start"] = np.asarray(by_start + without, dtype=np.int32)
    arrays["order.-start"] = np.asarray(by_start[::-1] + without, dtype=np.int32)
    return arrays


def _position(
    iri: str, stated: list[str], every: list[str], scores: dict[str, tuple[float, float]]
) -> tuple[float, float] | None:
    """Position on the two axes: the mean of the stated forms' scores (else of all forms),
    spread a little so that initiatives of the same form do not hide one another."""
    # sorted: the same sum whichever order the rows came in (full build or patched)
    forms = sorted(f for f in stated if f in scores) or sorted(f for f in every if f in scores)
    if not forms:
        return None
    x = sum(scores[f][0] for f in forms) / len(forms)
    y = sum(scores[f][1] for f in forms) / len(forms)
    h = zlib.crc32(iri.encode())
    return (x + ((h & 0xFF) / 255 - 0.5) * 0.06, y + (((h >> 8) & 0xFF) / 255 - 0.5) * 0.06)


def _forms_of(
    pairs: dict[str, set[tuple[str, str]]], wanted: Mapping[str, int] | set[str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    stated: dict[str, list[str]] = defaultdict(list)
    every: dict[str, list[str]] = defaultdict(list)
    for iri, v in pairs.get("statedform", set()):
        if iri in wanted:
            stated[iri].append(v)
    for iri, v in pairs.get("form", set()):
        if iri in wanted:
            every[iri].append(v)
    return stated, every


def _positions(data: IndexInput, items: list[str], lookup: dict[str, int]) -> np.ndarray:
    xy = np.full((len(items), 2), np.nan, dtype=np.float64)
    stated, every = _forms_of(data.facet_pairs, lookup)
    for i, iri in enumerate(items):
        found = _position(iri, stated.get(iri, []), every.get(iri, []), data.form_scores)
        if found is not None:
            xy[i] = found
    return xy


def _patched_positions(
    change: Change, data: IndexInput, lookup: dict[str, int], parent: np.ndarray
) -> np.ndarray:
    """The positions from the parent's: every initiative's but the seeds' as it was (the form
    scores being the same), the seeds' computed from their rows now."""
    xy = np.full((len(lookup), 2), np.nan, dtype=np.float64)
    keep = ~change.old_seeds
    xy[change.renumber[keep]] = parent[keep]
    seeds = {i for i in change.seeds if i in lookup}
    stated, every = _forms_of(change.rows, seeds)
    for iri in seeds:
        found = _position(iri, stated.get(iri, []), every.get(iri, []), data.form_scores)
        if found is not None:
            xy[lookup[iri]] = found
    return xy


def _involvements(
    data: IndexInput, lookup: dict[str, int], actors: list[str], roles: list[str]
) -> dict[str, np.ndarray]:
    actor_values = {v: k for k, v in enumerate(actors)}
    role_values = {v: k for k, v in enumerate(roles)}
    inv = [
        (lookup[i], actor_values[a], role_values[r], s)
        for i, a, r, s in sorted(data.involvements)
        if i in lookup and a in actor_values and r in role_values
    ]
    return {
        "inv.item": np.asarray([x[0] for x in inv], dtype=np.int32),
        "inv.actor": np.asarray([x[1] for x in inv], dtype=np.int32),
        "inv.role": np.asarray([x[2] for x in inv], dtype=np.int32),
        "inv.stated": np.asarray([x[3] for x in inv], dtype=bool),
    }


def array_path(target: Path, name: str) -> Path:
    """The file of one array of the index in ``target``."""
    return files.array_path(target, name)


def _is_named(iri: str, _names: Any = None) -> bool:
    return not any(part in iri for part in UNNAMED)


def _named(labels: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {iri: v for iri, v in labels.items() if _is_named(iri)}


def add_labels(target: Path, labels: dict[str, dict[str, str]]) -> None:
    """Add names to an index :func:`build` wrote (the load's provenance, known only later)."""
    extra = _named(labels)
    if not extra:
        return
    out = files.Writer(target, None)
    for n, rows in files.split(extra, range(files.SHARDS)).items():
        if rows:
            named = files.load_part(target, f"labels.{n}")
            named.update(rows)
            out.save_part(f"labels.{n}", named)
    recent = f"labels.{files.RECENT}"
    if files.part_path(target, recent).exists():  # its rows stand over the parts': add there too
        body = files.load_part(target, recent)
        body["rows"].update(extra)
        body["gone"] = [k for k in body["gone"] if k not in extra]
        out.save_part(recent, body)


def counted(kinds: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """Counts by kind with ``more`` added."""
    out = dict(kinds)
    for k, n in more.items():
        out[k] = out.get(k, 0) + n
    return out


def add_kinds(target: Path, more: dict[str, int]) -> None:
    """Add to the counts by kind of an index :func:`build` wrote (things written after it was
    built: links out's statements and doubts, see :meth:`core.indexes.build.Collector.finish`)."""
    if not more:
        return
    rest = files.load_part(target, "rest")
    rest["kinds"] = counted(rest["kinds"], more)
    files.Writer(target, None).save_part("rest", rest)


def read_meta(directory: Path) -> dict[str, Any]:
    """Everything but the arrays of the index in ``directory``, as one dict (the head, the
    initiatives and their rows, names, each facet's values, places and counts)."""
    meta: dict[str, Any] = json.loads(files.read_text(directory / JSON_FILE))
    if meta.get("format") not in READ_VERSIONS:
        return meta
    meta.update(files.load_part(directory, "items"))
    meta["labels"] = files.load_sharded(directory, "labels")
    meta["facets"] = {f.key: files.load_part(directory, f"facet.{f.key}") for f in FACETS}
    meta.update(files.load_part(directory, "rest"))
    if files.part_path(directory, contents.PART).exists():  # not in indexes of older releases
        meta["contents"] = files.load_part(directory, contents.PART)
    return meta


def _arrays_of(directory: Path, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    if meta.get("format") in READ_VERSIONS:
        return files.load_arrays(directory, meta["arrays"])
    if meta.get("format") == 1 and (directory / LEGACY_ARRAYS_FILE).exists():
        with np.load(directory / LEGACY_ARRAYS_FILE, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    raise IndexMissing(f"{directory} holds an index of another format; run kiemen load")


def open_index(directory: Path) -> BrowseIndex:
    """The index in ``directory``: its arrays memory-mapped (the pages the requests read are
    what becomes resident), names and rows from the JSON parts."""
    try:
        meta = read_meta(directory)
        arrays = _arrays_of(directory, meta)
        return from_parts(meta, arrays)
    except files.Damaged as exc:
        raise IndexMissing(f"{exc}; run kiemen load") from exc
    except KeyError as exc:
        raise IndexMissing(f"{directory}: the index lacks {exc}; run kiemen load") from exc


def from_parts(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> BrowseIndex:
    """The index of a meta and its arrays (memory-mapped or in memory)."""
    facets = {}
    for f in FACETS:
        m = meta["facets"][f.key]
        facets[f.key] = Facet(
            key=f.key,
            values=m["values"],
            tokens=m["tokens"],
            fwd_indptr=arrays[f"{f.key}.fwd_indptr"],
            fwd_values=arrays[f"{f.key}.fwd_values"],
            entry_items=arrays[f"{f.key}.entry_items"],
            post_indptr=arrays[f"{f.key}.post_indptr"],
            post_items=arrays[f"{f.key}.post_items"],
            counts=arrays[f"{f.key}.counts"],
        )
    return BrowseIndex(
        generation=meta["generation"],
        base=meta["base"],
        items=meta["items"],
        info=meta["info"],
        labels=meta["labels"],
        facets=facets,
        orders={k[len("order.") :]: v for k, v in arrays.items() if k.startswith("order.")},
        xy=arrays["xy"],
        places=meta["places"],
        form_scores={k: (v[0], v[1]) for k, v in meta["form_scores"].items()},
        kinds=meta["kinds"],
        supports={k: [(a, b) for a, b in v] for k, v in meta.get("supports", {}).items()},
        inv_item=arrays["inv.item"],
        inv_actor=arrays["inv.actor"],
        inv_role=arrays["inv.role"],
        inv_stated=arrays["inv.stated"],
        contents=(
            PlaceContents(meta["contents"]["places"], {k: arrays[k] for k in contents.ARRAYS})
            if "contents" in meta
            else None
        ),
    )


class IndexMissing(Exception):
    """The published generation has no browsing index (loaded before the hook existed)."""


_CACHE: dict[str, BrowseIndex] = {}
_CACHE_LOCK = threading.Lock()


def for_directory(directory: Path) -> BrowseIndex:
    """The index of one generation, opened once and kept while that generation is current."""
    key = str(directory)
    found = _CACHE.get(key)
    if found is not None:
        return found
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None:
            if not (directory / JSON_FILE).exists():
                raise IndexMissing(f"no browsing index in {directory}; run kiemen load")
            found = open_index(directory)
            while len(_CACHE) >= 4:
                del _CACHE[next(iter(_CACHE))]
            _CACHE[key] = found
    return found
