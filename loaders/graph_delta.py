"""A small graph replaced by writing only its difference: a publisher's upload into a large store.

Why: :func:`loaders.load` empties a graph and streams all of it past the checker and the
indexes, which for a publisher's upload is work in proportion to the publisher's whole dataset
(twice: the check step's dry run, then the publish). Here the writer is given the graph's new
content and the content it replaces, as read from a named generation; it writes the quads that
differ, checks the nodes they reach (:func:`core.validation.graphs.validate_graphs`, as a SPARQL
update is checked), and hands exactly that delta to the index update. Links out
(:mod:`loaders.links_out`) run as in a load. The result is the graph a load of the same triples
would leave, through the same write pipeline (atomic publish, records with it).

A dry run leaves a :class:`Checked`: when the publish that follows builds on the same
generation with the same content, its validation is the dry run's, reused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from core import effects
from core.problems import LoadStats, Problem
from core.store import Generation, KiemenStore, graph_iri
from core.validation.graphs import validate_graphs
from core.write import pipeline, provenance
from loaders import links_out
from loaders.base import LoadError, Source


@dataclass(frozen=True)
class Checked:
    """What a dry run validated: the generation it built on, the graph's content, the verdict."""

    generation: str
    graph: str
    triples: frozenset[ox.Triple]
    problems: tuple[Problem, ...]


@dataclass
class Outcome:
    """What the write came to (the caller's view of a :class:`loaders.LoadReport`)."""

    problems: list[Problem]
    generation: str | None = None
    checked: Checked | None = None
    #: Whether validation was the dry run's, reused.
    reused: bool = False
    #: The graph's content in the published generation (the target and the links out's
    #: statements; None for a dry run), so that the caller need not read it back.
    content: frozenset[ox.Triple] | None = None


def replace_graph(
    kstore: KiemenStore,
    source: Source,
    *,
    old: set[ox.Triple] | None = None,
    based_on: str | None = None,
    also: Iterable[str] = (),
    dry_run: bool = False,
    before_publish: Callable[[str], None] | None = None,
    checked: Checked | None = None,
) -> Outcome:
    """Make ``source``'s graph hold exactly ``source.options["triples"]``; raise LoadError
    (nothing written) when the shapes reject it.

    ``old``: the graph's content in generation ``based_on`` (used only when the write builds on
    that generation; otherwise read from the store). ``also``: nodes checked whatever the delta
    (an upload's own records, so that their warnings are reported as a whole-graph check
    would). ``checked``: a dry run's verdict, reused when it holds for this write.
    """
    writer = _DeltaWrite(kstore, source, old, based_on, also, dry_run, checked)
    generation = pipeline.run(kstore, writer, dry_run=dry_run, before_publish=before_publish)
    content = None if dry_run else writer.content
    return Outcome(writer.problems, generation, writer.checked, writer.reused, content)


def _as_stored(triples: Iterable[ox.Triple]) -> set[ox.Triple]:
    """``triples`` as a store gives them back: typed literals in their canonical form
    (``"1.00"^^xsd:decimal`` is read as ``"1"``)."""
    memory = ox.Store()
    memory.extend([ox.Quad(tr.subject, tr.predicate, tr.object) for tr in triples])
    return {q.triple for q in memory}


class _DeltaWrite:
    """The steps of :func:`replace_graph` (a :class:`core.write.pipeline.Writer`)."""

    def __init__(
        self,
        kstore: KiemenStore,
        source: Source,
        old: set[ox.Triple] | None,
        based_on: str | None,
        also: Iterable[str],
        dry_run: bool,
        checked: Checked | None,
    ) -> None:
        self.kstore, self.source = kstore, source
        self.old, self.based_on = old, based_on
        self.also = [ox.NamedNode(iri) for iri in also]
        self.dry_run, self.given = dry_run, checked
        self.graph = graph_iri(kstore.settings, source.graph or "publishers/unknown/data")
        self.target: frozenset[ox.Triple] = frozenset()
        self.content: frozenset[ox.Triple] = frozenset()
        self.parent: str | None = None
        self.delta = effects.Delta()
        self.triples = 0
        self.stats = LoadStats(files=list(source.options.get("files", [])))
        self.started = dt.datetime.now(dt.UTC)
        self.problems: list[Problem] = []
        self.checked: Checked | None = None
        self.reused = False

    def authorise(self, gen: Generation) -> None:
        parent = effects.parent_of(gen)
        self.parent = None if parent is None else parent.name

    def write(self, gen: Generation) -> None:
        store, graph = gen.store, self.graph
        self.target = frozenset(self.source.options.get("triples", []))
        if not self.target:
            raise LoadError(
                [Problem(self.source.display(), "the source holds no triples", rule="not empty")]
            )
        old = self.old
        if old is None or self.based_on is None or self.based_on != self.parent:
            old = {
                ox.Triple(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(None, None, None, graph)
            }
        gone = old - self.target
        new = self.target - old
        for tr in gone:
            store.remove(ox.Quad(tr.subject, tr.predicate, tr.object, graph))
        written = [ox.Quad(tr.subject, tr.predicate, tr.object, graph) for tr in new]
        store.extend(written)
        # Links out, as a load runs them on the graph it wrote (they read the graph's places).
        linked = links_out.link_graph(self.kstore, store, graph)
        self.stats.notes.append(linked.note())
        made = {tr for tr in linked.triples if tr not in self.target}
        gone -= set(linked.triples)  # removed with the old content, written again by the links
        extra = made - old - new
        new |= extra
        self.triples = len(self.target) + len(made)  # ``made`` holds nothing of the target
        if not self.dry_run:
            # what the graph holds now: the old content (as the store gave it) less what went,
            # and what came as the store keeps it (its canonical literals) -- the change's size
            # (a dry run's is never read: not made)
            content = old - gone
            content |= _as_stored(new)
            self.content = frozenset(content)
        self.delta = effects.Delta(
            # the quads written above, not made again (~0.02 CPU-s a write of 3,400)
            written + [ox.Quad(tr.subject, tr.predicate, tr.object, graph) for tr in extra],
            [ox.Quad(tr.subject, tr.predicate, tr.object, graph) for tr in gone],
        )

    def validate(self, gen: Generation) -> None:
        given = self.given
        if (
            given is not None
            and given.generation == self.parent
            and given.graph == self.graph.value
            and given.triples == self.target
        ):
            problems, self.reused = list(given.problems), True
        else:
            problems = validate_graphs(
                self.kstore, gen, [self.graph.value], self.delta, also=self.also
            )
        if any(p.severity == "error" for p in problems):
            raise LoadError(problems)
        self.problems = problems
        if self.parent is not None:
            self.checked = Checked(self.parent, self.graph.value, self.target, tuple(problems))

    def provenance(self, gen: Generation) -> None:
        loader: Any = self.source.loader
        provenance.record(
            gen.store,
            self.kstore.settings,
            self.graph,
            title=f"{loader.title}: {self.source.display()}",
            loader=loader.name,
            location=self.source.display(),
            stats=self.stats,
            started=self.started,
            conforms=True,
            triples=self.triples,
            errors=0,
            warnings=sum(1 for p in self.problems if p.severity != "error"),
        )

    def close(self) -> None:
        pass

    def index_delta(self, gen: Generation) -> effects.Delta | None:
        """The graph's delta (known exactly since the write) and the meta graph's (records),
        diffed against the parent generation; None (a full rebuild) when that cannot be."""
        meta = graph_iri(self.kstore.settings, provenance.META_GRAPH).value
        records = effects.delta(gen, [meta], {})
        if records is None:
            return None
        return effects.Delta(self.delta.added + records.added, self.delta.removed + records.removed)
