"""Each place's contents, kept with the facet index: the places within it and its actors.

Why: the place page listed them with ``queries/place-contents.rq``, which reads the type of
every thing at the place (~724 at 200,000 initiatives: an ``rdf:type`` lookup and a term decode
each, 45-90 ms when the store's pages are not in memory). The same answer is known at load, so
it is written beside the facets and memory-mapped like them: a place's things are one slice of
a byte array, read when the page asks.

Rows are ``(thing, place)`` per relation (:data:`RELATIONS`), as ``place-contents`` gives them
(IRIs only): ``contains``, ``?thing schema:containedInPlace ?place``; ``actor``, ``?thing
dcterms:spatial ?place`` where a type of the thing is ``km:Actor`` or a subclass of it. A row
belongs to its thing, so an incremental update replaces the rows of the subjects it evaluates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

#: The relations of a place's contents, in the order of the query's branches.
RELATIONS = ("contains", "actor")
#: The JSON part with the places (the arrays are ``contents.{relation}.{text,indptr}``).
PART = "contents"
ARRAYS = tuple(f"contents.{r}.{name}" for r in RELATIONS for name in ("text", "indptr"))

Rows = dict[str, set[tuple[str, str]]]


def arrays(rows: Rows) -> tuple[list[str], dict[str, np.ndarray]]:
    """The places (sorted) and, per relation, each place's things (sorted, one per line) as
    UTF-8 in one byte array with the offsets of each place's run."""
    places = sorted({p for r in RELATIONS for _t, p in rows.get(r, ())})
    out: dict[str, np.ndarray] = {}
    for r in RELATIONS:
        by_place: dict[str, list[str]] = defaultdict(list)
        for thing, place in rows.get(r, ()):
            by_place[place].append(thing)
        chunks = ["\n".join(sorted(by_place.get(p, ()))).encode("utf-8") for p in places]
        lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
        out[f"contents.{r}.indptr"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        out[f"contents.{r}.text"] = np.frombuffer(b"".join(chunks), dtype=np.uint8).copy()
    return places, out


@dataclass
class PlaceContents:
    """The contents of every place, read from the (memory-mapped) arrays one place at a time."""

    places: list[str]
    arrays: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        self.lookup = {p: n for n, p in enumerate(self.places)}

    def of(self, place: str) -> dict[str, list[str]]:
        """The things of each relation at ``place``, sorted by IRI (empty lists if none)."""
        n = self.lookup.get(place)
        return {r: self._things(r, n) if n is not None else [] for r in RELATIONS}

    def _things(self, relation: str, n: int) -> list[str]:
        indptr = self.arrays[f"contents.{relation}.indptr"]
        start, end = int(indptr[n]), int(indptr[n + 1])
        if start == end:
            return []
        return bytes(self.arrays[f"contents.{relation}.text"][start:end]).decode().split("\n")

    def rows(self) -> Rows:
        """Every row, as :func:`arrays` was given them (for the index state)."""
        out: Rows = {}
        for r in RELATIONS:
            found = {(t, p) for p in self.places for t in self._things(r, self.lookup[p])}
            if found:
                out[r] = found
        return out
