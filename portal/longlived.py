"""What a generation keeps while it is current (its browse and text indexes) is put out of the
cyclic garbage collector's way once opened, and what a page derives from a whole index alone
is kept with it (:func:`kept`).

At 200,000 initiatives the browse index holds ~200,000 tracked containers (a dict of fields
per initiative); every full collection walked them all, 120-200 ms in the middle of whichever
request happened to trigger it (the p95 tail of every page type). :func:`gc.freeze` moves
everything alive at that moment to the permanent generation, which collections skip; the
objects are still freed by reference counting when the generation is dropped (an index holds
no reference cycles). Once per index opened, a full collection first clears the garbage alive
at that moment (so no cycle is frozen for good; ~0.2 s at 200,000 initiatives, beside the
seconds opening the index takes).
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar, cast

T = TypeVar("T")
V = TypeVar("V")

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
            gc.collect()
            gc.freeze()
            for key in [k for k, r in _SETTLED.items() if r() is None]:
                del _SETTLED[key]
            _SETTLED[id(index)] = weakref.ref(index)
    return index


_KEPT: dict[tuple[int, str], tuple[weakref.ref[object], object]] = {}


def kept(index: object, name: str, make: Callable[[], V]) -> V:
    """``make()`` for ``index``, computed once and kept while the index (its generation) is
    alive: for what a page derives from the whole index alone (the home page's picture)."""
    key = (id(index), name)
    found = _KEPT.get(key)
    if found is not None and found[0]() is index:
        return cast(V, found[1])
    value = make()
    with _LOCK:
        for stale in [k for k, (ref, _v) in _KEPT.items() if ref() is None]:
            del _KEPT[stale]
        _KEPT[key] = (weakref.ref(index), value)
    return value
