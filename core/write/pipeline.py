"""The one write pipeline: every writer changes the store through :func:`run`.

``kiemen load``, SPARQL Update, the Graph Store's PUT/POST/DELETE, publisher uploads and
rollbacks all take the same steps, in this order, inside one private generation
(:meth:`core.store.KiemenStore.writing`, under the store's write lock):

1. ``authorise``  — decide what the writer may change; fail closed when that cannot be known;
2. ``write``      — change the private generation;
3. ``validate``   — check what changed against the shapes (an error throws it all away);
4. ``provenance`` — record who changed which graphs, when, and how much;
5. ``indexes``    — rebuild the browse and search indexes (not on a dry run);
6. ``publish``    — the caller's records (a publisher's version and audit rows) are written
   naming the generation, then one atomic ``rename`` makes data and records true together.

A dry run takes steps 1-4 and publishes nothing. Each step starts with a failpoint
(``write:<stage>``, or ``dry-run:<stage>``; see :mod:`core.failpoints`), plus ``write:switch``
after the caller's records and before the switch, and ``write:published`` after it, so that a
test can kill the writer at every point. The pipeline is in the core, beside the validation
(:mod:`core.validation`) and the indexes (:mod:`core.indexes`) it runs; the loaders, the web app
and the command line build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import pyoxigraph as ox

from core.effects import Delta
from core.failpoints import failpoint
from core.indexes import incremental
from core.store import Generation, KiemenStore

#: The steps every write takes, in order.
STAGES = ("authorise", "write", "validate", "provenance", "indexes", "publish")

IndexHook = Callable[[Generation, KiemenStore], None]

#: What every writer runs on its new generation after provenance, before publishing: the
#: browse and search indexes, then the hooks the running process was wired with
#: (:func:`use_index_hooks`, called by ``create_app`` and the ``kiemen`` command from the one
#: list in :mod:`portal.features`). Nothing adds itself here on import.
INDEX_HOOKS: list[IndexHook] = [incremental.index_hook]


def use_index_hooks(hooks: Sequence[IndexHook]) -> None:
    """Run ``hooks`` (in order, after the browse and search indexes) in every write from now on."""
    INDEX_HOOKS[:] = [incremental.index_hook, *hooks]


def wired_hooks() -> tuple[IndexHook, ...]:
    """The hooks :func:`use_index_hooks` was given (a worker process is handed the same)."""
    return tuple(INDEX_HOOKS[1:])


class Writer(Protocol):
    """What one kind of writer does at each step (each raises to refuse: nothing is written)."""

    def authorise(self, gen: Generation) -> None: ...

    def write(self, gen: Generation) -> None: ...

    def validate(self, gen: Generation) -> None: ...

    def provenance(self, gen: Generation) -> None: ...

    def close(self) -> None:
        """Let go of what the steps held (threads, index collectors); runs in every case,
        before the generation is published or thrown away."""

    def index_delta(self, gen: Generation) -> Delta | None:
        """Exactly the quads this write added and removed, provenance included, when known:
        then the indexes are patched from the parent generation's; None: rebuilt in full."""


def rebuild_indexes(
    gen: Generation,
    kstore: KiemenStore,
    say: Callable[[str], None] | None = None,
    delta: Delta | Callable[[], Delta | None] | None = None,
) -> None:
    """Run every index hook on ``gen`` (the ``indexes`` step).

    ``delta``: the quads this write added and removed (exactly), when the writer knows them;
    then the browse and search indexes are updated from the parent generation's instead of
    rebuilt from the whole store (see :mod:`core.indexes.incremental`). Without it (a load) they are
    built for the data in full. A function is asked for the delta after the other hooks ran
    (the index hook then runs last), so that what they wrote is in it. Last, the meta graph
    is sealed (:func:`core.indexes.incremental.seal`) for the next write's incremental update.
    """
    hooks = list(INDEX_HOOKS)
    if callable(delta):
        # The index goes last, so that the delta it is given (taken when it runs) includes
        # what the other hooks wrote (the publishers' catalogue records in the meta graph).
        hooks.sort(key=lambda hook: hook is incremental.index_hook)
    else:
        incremental.expect(gen, delta)
    for hook in hooks:
        if say is not None:
            say(f"building index: {getattr(hook, '__name__', 'index')}")
        if callable(delta) and hook is incremental.index_hook:
            incremental.expect(gen, delta())
        hook(gen, kstore)
    incremental.seal(gen, kstore)


def run(
    kstore: KiemenStore,
    writer: Writer,
    *,
    dry_run: bool = False,
    before_publish: Callable[[str], None] | None = None,
    say: Callable[[str], None] | None = None,
    any_base: bool = False,
    replacing: Sequence[ox.NamedNode] = (),
) -> str | None:
    """Take ``writer`` through every step; return the published generation (None: dry run).

    ``before_publish(name)`` writes the records that must become true with the data (see
    :meth:`KiemenStore.writing`): it runs under the write lock, after every other step.
    ``any_base``: the store may have been made under another canonical base (only for the
    writer that moves it onto this deployment's, ``kiemen migrate-base``). ``replacing``: the
    graphs the writer will replace whole, when known ahead (see :meth:`KiemenStore.writing`).
    """
    point = "dry-run:" if dry_run else "write:"

    def records(name: str) -> None:
        if before_publish is not None:
            before_publish(name)
            incremental.seal(gen, kstore)  # in case the records went into the meta graph
        failpoint("write:switch")

    with kstore.writing(
        publish=not dry_run, before_publish=records, any_base=any_base, replacing=replacing
    ) as gen:
        try:
            for stage in ("authorise", "write", "validate", "provenance"):
                failpoint(point + stage)
                getattr(writer, stage)(gen)
            if not dry_run:
                failpoint("write:indexes")
                rebuild_indexes(gen, kstore, say, delta=lambda: writer.index_delta(gen))
        finally:
            writer.close()  # before the generation is published or thrown away
        if not dry_run:
            failpoint("write:publish")
    if dry_run:
        return None
    failpoint("write:published")
    return gen.path.name


__all__ = [
    "INDEX_HOOKS",
    "STAGES",
    "Writer",
    "rebuild_indexes",
    "run",
    "use_index_hooks",
    "wired_hooks",
]
