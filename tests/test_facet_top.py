"""The top of a facet: the values with the highest counts, most first, ties in value order,
the same as sorting every value (which a long facet no longer does)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.listing import top_values


@settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=80), st.integers(1, 30))
def test_top_values_match_sorting_every_value(counts: list[int], k: int) -> None:
    arr = np.asarray(counts, dtype=np.int64)
    nonzero = np.flatnonzero(arr)
    everything = sorted(nonzero.tolist(), key=lambda v: (-counts[v], v))[:k]
    assert top_values(arr, nonzero, k).tolist() == everything
