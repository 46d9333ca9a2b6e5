"""What a generation keeps while it is current (its browse and text indexes) is put out of the
cyclic garbage collector's way once opened.

At 200,000 initiatives the browse index holds ~200,000 tracked containers (a dict of fields
per initiative); every full collection walked them all, 120-200 ms in the middle of whichever
request happened to trigger it (the p95 tail of every page type). :func:`gc.freeze` moves
everything alive at that moment to the permanent generation, which collections skip; the
objects are still freed by reference counting when the generation is dropped (an index holds
no reference cycles). It runs once per index opened, so the few cycles that other requests
may have in flight at that moment stay uncollected: a small, bounded cost per generation.
"""

from __future__ import annotations

import gc
import threading
import weakref
from typing import TypeVar

T = TypeVar("T")

#: The indexes settled so far, by id (an index is not hashable), each with a weak reference
#: to tell it from a later object that reuses a dropped one's id.
_SETTLED: dict[int, weakref.ref[object]] = {}
_LOCK = threading.Lock()


def settle(index: T) -> T:
    """``index``, with it (and whatever else is alive) frozen the first time it is seen."""
    ref = _SETTLED.get(id(index))
    if ref is not None and ref() is index:
        return index
    with _LOCK:
        ref = _SETTLED.get(id(index))
        if ref is None or ref() is not index:
            gc.freeze()
            for key in [k for k, r in _SETTLED.items() if r() is None]:
                del _SETTLED[key]
            _SETTLED[id(index)] = weakref.ref(index)
    return index
