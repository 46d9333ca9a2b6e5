"""The related initiatives' ranking: the highest scores, ties in item order, the same as a
stable sort of every score (which the initiative page no longer does)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.indexes.facets import top_positions


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.5, 1.25, 2.0, 3.5]), max_size=80), st.integers(0, 12))
def test_top_matches_a_stable_sort_of_every_score(scores: list[float], limit: int) -> None:
    arr = np.asarray(scores, dtype=np.float64)
    everything = np.argsort(-arr, kind="stable")[:limit]
    assert top_positions(arr, limit).tolist() == everything.tolist()
