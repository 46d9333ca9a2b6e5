"""A generation's browse index is out of the cyclic collector's way once the portal opens it:
a full collection no longer walks its ~200,000 containers (120-200 ms at 200,000 initiatives,
in whichever request triggered it)."""

from __future__ import annotations

import gc
from typing import Any

from core.store import KiemenStore
from loaders import bundled_sources, load
from portal import listing, longlived


def test_the_portal_freezes_an_index_it_opens(empty_settings: Any) -> None:
    kstore = KiemenStore(empty_settings)
    load(kstore, bundled_sources(), validate=False)
    gc.unfreeze()  # whatever an earlier test froze counts as not frozen here
    index = listing.browse_index(kstore)
    assert gc.is_tracked(index.info) and len(index.info) > 0
    walked = {id(o) for o in gc.get_objects()}
    assert id(index.info) not in walked
    assert id(index.info[0]) not in walked
    assert listing.browse_index(kstore) is index


class _Index:
    """Stands for a generation's index: any object that can be weakly referenced."""


def test_what_is_kept_with_an_index_is_not_given_for_another() -> None:
    made: list[int] = []

    def make(n: int) -> int:
        made.append(n)
        return n

    first, second = _Index(), _Index()
    assert longlived.kept(first, "picture", lambda: make(1)) == 1
    assert longlived.kept(first, "picture", lambda: make(2)) == 1  # kept
    assert longlived.kept(second, "picture", lambda: make(3)) == 3  # a new generation's
    del first
    gc.collect()
    third = _Index()  # may reuse the dropped index's id: still computed anew
    assert longlived.kept(third, "picture", lambda: make(4)) == 4
    assert made == [1, 3, 4]
