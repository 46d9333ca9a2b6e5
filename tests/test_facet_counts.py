"""Facet counts under a selection: the narrow, broad and middling ways agree with a plain count.

``Facet.count_in`` picks its way by how many items the selection holds (its own rows, the
totals less the rest's rows, or every row); each must give what counting the selected items'
values one by one gives, whatever the selection.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.indexes.facets import Facet


def facet_of(rows: list[list[int]], n_values: int) -> Facet:
    """A facet whose item ``i`` has the values ``rows[i]`` (each once)."""
    items = np.asarray([i for i, vs in enumerate(rows) for _ in vs], dtype=np.int32)
    vals = np.asarray([v for vs in rows for v in vs], dtype=np.int32)
    by_value = np.lexsort((items, vals))
    return Facet(
        key="f",
        values=[f"v{k}" for k in range(n_values)],
        tokens=[f"t{k}" for k in range(n_values)],
        fwd_indptr=np.searchsorted(items, np.arange(len(rows) + 1)).astype(np.int32),
        fwd_values=vals,
        entry_items=items,
        post_indptr=np.searchsorted(vals[by_value], np.arange(n_values + 1)).astype(np.int32),
        post_items=items[by_value],
        counts=np.bincount(vals, minlength=n_values).astype(np.int32),
    )


@st.composite
def facets_and_masks(draw: st.DrawFn) -> tuple[list[list[int]], int, list[bool]]:
    n_values = draw(st.integers(1, 6))
    rows = draw(
        st.lists(
            st.sets(st.integers(0, n_values - 1), max_size=n_values).map(sorted),
            min_size=1,
            max_size=60,
        )
    )
    density = draw(st.sampled_from([0.0, 0.05, 0.2, 0.5, 0.8, 0.95, 1.0]))
    mask = [draw(st.floats(0, 1)) < density for _ in rows]
    return rows, n_values, mask


@settings(max_examples=300, deadline=None)
@given(facets_and_masks())
def test_counts_under_any_selection_match_a_plain_count(
    case: tuple[list[list[int]], int, list[bool]],
) -> None:
    rows, n_values, chosen = case
    facet = facet_of(rows, n_values)
    expected = np.zeros(n_values, dtype=np.int64)
    for vs, keep in zip(rows, chosen, strict=True):
        if keep:
            for v in vs:
                expected[v] += 1
    got = facet.count_in(np.asarray(chosen, dtype=bool))
    assert got.tolist() == expected.tolist()


def test_each_way_is_taken() -> None:
    """The three ways are each reached (a narrow, a broad and a middling selection)."""
    rows = [[i % 3, 3] for i in range(100)]
    facet = facet_of(rows, 4)
    for share in (0.1, 0.5, 0.9):
        mask = np.arange(100) < int(100 * share)
        expected = np.bincount(
            np.asarray([v for i, vs in enumerate(rows) if mask[i] for v in vs]), minlength=4
        )
        assert facet.count_in(mask).tolist() == expected.tolist()
    assert facet.count_in(np.zeros(100, dtype=bool)).tolist() == [0, 0, 0, 0]
    assert facet.count_in(np.ones(100, dtype=bool)).tolist() == facet.counts.tolist()
