"""Rewrite a store minted under one canonical base to another, once, as one new generation.

A deployment chooses its canonical base once (``KIEMEN_BASE_URI``). A store made under another
base (for instance an old one whose IRIs were tied to ``http://127.0.0.1:5000/``) is refused by
every writer; ``kiemen migrate-base`` is the explicit way to carry it over. The rewrite works on a
private generation like any other write: readers see the old data or the new, never a mix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pyoxigraph as ox

from core.effects import Delta
from core.store import Generation, KiemenStore, StoreError
from core.validation.graphs import validate_graphs
from core.write import pipeline, provenance
from loaders.base import LoadError

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


def _history(quad: ox.Quad) -> bool:
    """A text of an earlier migration's record (which names the base it moved from: kept)."""
    subject = quad.subject
    return (
        isinstance(quad.object, ox.Literal)
        and isinstance(subject, ox.NamedNode)
        and f"/{provenance.MIGRATION_PATH}" in subject.value
    )


def _rewritten(quad: ox.Quad, old: str, new: str) -> ox.Quad:
    return ox.Quad(
        _term(quad.subject, old, new),
        _term(quad.predicate, old, new),
        quad.object if _history(quad) else _term(quad.object, old, new),
        _term(quad.graph_name, old, new),
    )


def _batches(store: ox.Store, old: str) -> Iterator[list[ox.Quad]]:
    """Quads that mention ``old`` (in an IRI, or a literal other than an earlier migration's
    record), read fully before a batch is changed."""
    batch: list[ox.Quad] = []
    for quad in store.quads_for_pattern(None, None, None, None):
        terms = (quad.subject, quad.predicate, quad.graph_name)
        if any(_mentions(t, old) for t in terms) or (
            not _history(quad) and _mentions(quad.object, old)
        ):
            batch.append(quad)
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


class _Rebase:
    """``kiemen migrate-base`` as a writer of :func:`core.write.pipeline.run`."""

    def __init__(self, kstore: KiemenStore, old: str, say: Callable[[str], None] | None) -> None:
        self.kstore = kstore
        self.old = old
        self.new = kstore.settings.base_uri
        self.say = say
        self.started = dt.datetime.now(dt.UTC)
        self.changed = 0
        self.graphs: set[str] = set()  # the rewritten graphs ("" for the default graph)

    def authorise(self, gen: Generation) -> None:
        """The command line is the store's owner: it may rewrite every graph."""

    def write(self, gen: Generation) -> None:
        # Collect first: changing a store while iterating over it is not defined.
        pending = list(_batches(gen.store, self.old))
        for batch in pending:
            for quad in batch:
                gen.store.remove(quad)
            rewritten = [_rewritten(q, self.old, self.new) for q in batch]
            gen.store.extend(rewritten)
            self.graphs.update(
                q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
                for q in rewritten
            )
            self.changed += len(batch)
            if self.say is not None:
                self.say(f"rewrote {self.changed} quads")

    def validate(self, gen: Generation) -> None:
        """The rewritten graphs meet the shapes of this deployment's base, as a load would."""
        problems = validate_graphs(self.kstore, gen, sorted(self.graphs))
        if any(p.severity == "error" for p in problems):
            raise LoadError(problems)

    def provenance(self, gen: Generation) -> None:
        provenance.record_migration(
            gen.store,
            self.kstore.settings,
            [ox.NamedNode(g) for g in sorted(self.graphs) if g],
            old=self.old,
            rewritten=self.changed,
            started=self.started,
        )

    def close(self) -> None:
        pass

    def index_delta(self, gen: Generation) -> Delta | None:
        return None  # every IRI moved: the indexes are built in full


def migrate_base(
    kstore: KiemenStore, old: str | None = None, say: Callable[[str], None] | None = None
) -> tuple[str, int]:
    """Rewrite every IRI under ``old`` (default: the base the store was made with) to the
    deployment's base through the write pipeline (validated, recorded in the provenance graph,
    indexes rebuilt, published at once); returns (old base, quads rewritten)."""

    new = kstore.settings.base_uri
    old = old or kstore.made_with_base()
    if old is None:
        raise StoreError(f"the store {kstore.root} is empty or its base is unknown: nothing to do")
    if old == new:
        return old, 0
    writer = _Rebase(kstore, old, say)
    pipeline.run(kstore, writer, say=say, any_base=True)
    return old, writer.changed
