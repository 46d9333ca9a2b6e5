"""What a write did to the store: per-graph digests before and after, and the exact delta.

Why: the SPARQL Update effect check compares every graph before and after the update (a
protection: the engine, not the update's text, says what changed), and the incremental index
update needs the quads that changed. Both come from :mod:`core.digests`: the "before" side is
kept beside each published generation (it never changes once published), the "after" side is
one pass, and only the graphs whose digest differs are read to compute the delta.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from core import digests
from core.digests import Digest
from core.store import Generation, KiemenStore, graph_iri

#: The graph of load provenance and catalogue records (loaders.provenance.META_GRAPH).
META_GRAPH = "meta"

#: A changed graph larger than this is not diffed: the indexes are rebuilt in full instead.
MAX_DIFFED_GRAPH = 200_000


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
        names = (gen.path / "lineage").read_text(encoding="ascii").split()
    except OSError:
        return None
    if not names:
        return None
    parent = gen.path.parent / names[-1]
    return parent if parent.is_dir() else None


def before(gen: Generation) -> dict[str, Digest]:
    """Digests of every graph of ``gen`` as copied (call before changing it): the parent's
    cached ones when it has them, else computed from ``gen`` itself."""
    cached = digests.read_cached(parent_of(gen))
    return cached if cached is not None else digests.digests(gen.store)


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
            old = set(old_store.quads_for_pattern(None, None, None, term))
            if len(old) > MAX_DIFFED_GRAPH:
                return None
            new = set(gen.store.quads_for_pattern(None, None, None, term))
            out.added += new - old
            out.removed += old - new
        return out
    finally:
        del old_store


def graph_delta(store: ox.Store, graph: str, quads: list[ox.Quad], replace: bool) -> Delta:
    """The delta of adding ``quads`` to ``graph`` (after removing what it held, ``replace``);
    call before the write."""
    term = digests.graph_term(graph)
    old = set(store.quads_for_pattern(None, None, None, term)) if replace else set()
    present = old if replace else {q for q in quads if q in store}
    new = set(quads)
    return Delta(added=list(new - present), removed=list(old - new) if replace else [])


def keep(gen: Generation, kstore: KiemenStore, found: dict[str, Digest], stale: set[str]) -> None:
    """Keep the digests of ``gen`` beside it for the next write: ``found``, with ``stale``
    graphs and the meta graph (the index hooks write catalogue records there) computed anew.

    Call after the index hooks, as the last change to the store before it publishes.
    """
    again = {*stale, graph_iri(kstore.settings, META_GRAPH).value}
    found = {**found, **digests.digests(gen.store, keys=again)}
    named = {g.value for g in gen.store.named_graphs() if isinstance(g, ox.NamedNode)}
    found = {k: v for k, v in found.items() if k == digests.DEFAULT_GRAPH or k in named}
    digests.write_cache(gen.path, found)


def carried(gen: Generation) -> dict[str, Digest] | None:
    """The parent's digests, to carry forward with :func:`keep` (None: it has none)."""
    return digests.read_cached(parent_of(gen))
