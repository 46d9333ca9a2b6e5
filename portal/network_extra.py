"""What the network picture cannot show by itself: initiatives of the selection with no
recorded actors (they have no edge, so they would silently vanish), and the legend's roles."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.indexes.facets import BrowseIndex, pick

#: Distinct, colour-blind-safe colours (Okabe-Ito) for roles on edges, in order of frequency.
ROLE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def without_actors(
    idx: BrowseIndex, mask: np.ndarray | None, lang: str, limit: int = 200
) -> dict[str, Any]:
    """Initiatives of the selection (``mask``) that no involvement links to an actor, the
    first ``limit`` in name order (the index's own order, so only those are looked up)."""
    alone = ~idx.with_actors if mask is None else (mask & ~idx.with_actors)
    count = int(np.count_nonzero(alone))
    order = idx.order("label", lang)
    first = order[alone[order]][:limit]
    rows = [
        {"iri": idx.items[int(i)], "label": pick(idx.info[int(i)].get("label"), lang)}
        for i in first
    ]
    return {"count": count, "rows": rows, "more": max(0, count - limit)}


def role_legend(data: dict[str, Any], idx: BrowseIndex, lang: str) -> list[dict[str, str]]:
    """The roles drawn on edges, most frequent first, each with its colour."""
    counts: dict[str, int] = {}
    for e in data["edges"]:
        for r in e["roles"]:
            counts[r] = counts.get(r, 0) + 1
    ordered = sorted(counts, key=lambda r: (-counts[r], idx.label(r, lang).lower()))
    return [
        {
            "iri": r,
            "label": idx.label(r, lang),
            "colour": ROLE_COLOURS[i] if i < len(ROLE_COLOURS) - 1 else ROLE_COLOURS[-1],
            "count": str(counts[r]),
        }
        for i, r in enumerate(ordered)
    ]
