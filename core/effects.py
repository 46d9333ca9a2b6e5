"""What a write did to the store, exactly: the quads it added and removed.

Why: the incremental index update patches the parent generation's indexes from these instead
of rebuilding them from the whole store. Only the graphs the write changed (as the effect check
found them) are read, in the parent generation and in the new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from core import digests
from core.digests import Digest
from core.store import Generation, lineage

#: The graph of load provenance and catalogue records (core.write.provenance.META_GRAPH).
META_GRAPH = "meta"

#: A changed graph larger than this is not diffed: the indexes are rebuilt in full instead.
MAX_DIFFED_GRAPH = 200_000
LIMIT = MAX_DIFFED_GRAPH + 1


@dataclass
class Delta:
    """The quads one write added to and removed from the store (exactly: an added quad was not
    there before, a removed one was)."""

    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.added) + len(self.removed)


def parent_of(gen: Generation) -> Path | None:
    """The generation ``gen`` was copied from (the last name of its lineage), if any."""
    try:
        names = lineage(gen.path)
    except OSError:
        return None
    if not names:
        return None
    parent = gen.path.parent / names[-1]
    return parent if parent.is_dir() else None


def delta(gen: Generation, graphs: Iterable[str], sizes: dict[str, Digest]) -> Delta | None:
    """The quads added to and removed from ``graphs`` since the parent generation (None when a
    graph is too large to diff, or there is no parent)."""
    graphs = list(graphs)
    if not graphs:
        return Delta()
    if any(sizes.get(g, (0, ""))[0] > MAX_DIFFED_GRAPH for g in graphs):
        return None
    parent = parent_of(gen)
    if parent is None:
        return None
    old_store = ox.Store.read_only(str(parent / "oxigraph"))
    try:
        out = Delta()
        for key in graphs:
            term = digests.graph_term(key)
            old = set(islice(old_store.quads_for_pattern(None, None, None, term), LIMIT))
            new = set(islice(gen.store.quads_for_pattern(None, None, None, term), LIMIT))
            if len(old) >= LIMIT or len(new) >= LIMIT:
                return None  # stopped reading past the limit
            out.added += new - old
            out.removed += old - new
        return out
    finally:
        del old_store
