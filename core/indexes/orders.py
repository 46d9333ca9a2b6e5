"""List rows and sort orders carried over from the parent's index, with the changed rows put in.

Why: a write that adds a hundred initiatives to twenty thousand recomputed every initiative's
list row and sorted them all again (four orders: by name in two languages, by start date both
ways), the largest part of its index update. The rows and relative order of the initiatives a
write did not touch are the parent's; only the touched ones are computed and put in place by
binary search on the same key (each key ends in the initiative's IRI, so no two are equal and
the result is the full sort's).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def carried(
    parent: Sequence[Any], keep: np.ndarray, renumber: np.ndarray, size: int
) -> list[Any | None]:
    """The parent's rows at their new numbers (``keep``: over the parent's items, those not
    touched and still there; ``renumber``: each one's new number); None where a row is new."""
    out: list[Any | None] = [None] * size
    for old in np.flatnonzero(keep).tolist():
        out[int(renumber[old])] = parent[old]
    return out


def merged(
    parent_order: np.ndarray,
    keep: np.ndarray,
    renumber: np.ndarray,
    fresh: Sequence[int],
    key: Callable[[int], Any],
) -> np.ndarray:
    """An order over the new numbering: the parent's ``parent_order`` without the rows not
    kept, renumbered, with ``fresh`` (new numbers) put in where ``key`` sorts them."""
    kept = renumber[parent_order[keep[parent_order]]].astype(np.int32)
    inserted = sorted(fresh, key=key)
    at = [bisect.bisect_left(kept, key(i), key=key) for i in inserted]
    return np.insert(kept, at, np.asarray(inserted, dtype=np.int32)).astype(np.int32)
