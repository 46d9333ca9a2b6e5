"""Rewrite a store minted under one canonical base to another, once, as one new generation.

A deployment chooses its canonical base once (``KIEMEN_BASE_URI``). A store made under another
base (for instance an old one whose IRIs were tied to ``http://127.0.0.1:5000/``) is refused by
every writer; ``kiemen migrate-base`` is the explicit way to carry it over. The rewrite works on a
private generation like any other write: readers see the old data or the new, never a mix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyoxigraph as ox

import loaders
from core.store import KiemenStore, StoreError

#: Quads rewritten per batch (bounded memory on big stores).
BATCH = 50_000


def _mentions(term: Any, old: str) -> bool:
    if isinstance(term, ox.NamedNode):
        return term.value.startswith(old)
    return isinstance(term, ox.Literal) and old in term.value


def _term(term: Any, old: str, new: str) -> Any:
    """IRIs under ``old`` moved to ``new``; in literals (``sh:namespace``, ``void:uriSpace``,
    shape messages) every mention replaced, as the loaders write the repository's files."""
    if isinstance(term, ox.NamedNode) and term.value.startswith(old):
        return ox.NamedNode(new + term.value[len(old) :])
    if isinstance(term, ox.Literal) and old in term.value:
        value = term.value.replace(old, new)
        if term.language:
            return ox.Literal(value, language=term.language)
        return ox.Literal(value, datatype=term.datatype)
    return term


def _rewritten(quad: ox.Quad, old: str, new: str) -> ox.Quad:
    return ox.Quad(
        _term(quad.subject, old, new),
        _term(quad.predicate, old, new),
        _term(quad.object, old, new),
        _term(quad.graph_name, old, new),
    )


def _batches(store: ox.Store, old: str) -> Iterator[list[ox.Quad]]:
    """Quads that mention ``old`` in any IRI, read fully before a batch is changed."""
    batch: list[ox.Quad] = []
    for quad in store.quads_for_pattern(None, None, None, None):
        terms = (quad.subject, quad.predicate, quad.object, quad.graph_name)
        if any(_mentions(t, old) for t in terms):
            batch.append(quad)
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def migrate_base(
    kstore: KiemenStore, old: str | None = None, say: Callable[[str], None] | None = None
) -> tuple[str, int]:
    """Rewrite every IRI under ``old`` (default: the base the store was made with) to the
    deployment's base, rebuild the indexes and publish; returns (old base, quads rewritten)."""

    new = kstore.settings.base_uri
    old = old or kstore.made_with_base()
    if old is None:
        raise StoreError(f"the store {kstore.root} is empty or its base is unknown: nothing to do")
    if old == new:
        return old, 0
    changed = 0
    with kstore.writing(any_base=True) as gen:
        # Collect first: changing a store while iterating over it is not defined.
        pending = list(_batches(gen.store, old))
        for batch in pending:
            for quad in batch:
                gen.store.remove(quad)
            gen.store.extend([_rewritten(q, old, new) for q in batch])
            changed += len(batch)
            if say is not None:
                say(f"rewrote {changed} quads")
        loaders.rebuild_indexes(gen, kstore, say)
    return old, changed
