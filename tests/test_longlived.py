"""A generation's browse index is out of the cyclic collector's way once the portal opens it:
a full collection no longer walks its ~200,000 containers (120-200 ms at 200,000 initiatives,
in whichever request triggered it)."""

from __future__ import annotations

import gc
from typing import Any

from core.store import KiemenStore
from loaders import bundled_sources, load
from portal import listing


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
