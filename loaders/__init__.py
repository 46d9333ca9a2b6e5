"""Loaders: every source into its own named graph — validated, atomic, provenance recorded.

:func:`load` is a load's path into the store, as one writer of the write pipeline
(:mod:`core.write.pipeline`, which every writer shares). It opens a private generation,
lets the loader for each source replace that source's named graph while the streaming SHACL
checker reads the same triples (:mod:`core.validation.checker`), settles the checks against the new
generation, records provenance, rebuilds the indexes and only then publishes. Any failure throws
the generation away, so the published store is exactly as it was.

The checker also hands each subject's statements to the index collector
(:class:`core.indexes.build.Collector`); once the last source has streamed, the checking thread
builds the browse and text indexes ahead, while pyoxigraph's bulk loader is still writing on
the other core, so that little is left to do after validation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
import rdflib

from core import effects
from core.config import CANONICAL_BASE
from core.effects import Delta
from core.indexes import build as indexes
from core.problems import LoadStats, Problem
from core.store import Generation, KiemenStore, drop_graph, graph_iri
from core.validation.checker import Checker, Finding, Session
from core.validation.graphs import (
    CONTEXT_GRAPHS,
    UNVALIDATED_GRAPHS,
    shared_subjects,
    store_checker,
)
from core.validation.shacl import shacl_problems, to_rdflib
from core.write import pipeline, provenance
from core.write.pipeline import INDEX_HOOKS, rebuild_indexes
from loaders import links_out
from loaders.base import Loader, LoadError, Location, Source
from loaders.curated import BundledLoader, bundles
from loaders.participedia import ParticipediaLoader
from loaders.rdf import RdfLoader
from loaders.restore import DumpInfo, release_key, too_new
from loaders.restore import scan as restore_scan
from loaders.sparql import SparqlLoader
from loaders.tabular import TabularLoader

#: Loaders in the order they are asked whether they accept a source.
REGISTRY: list[Any] = [BundledLoader, SparqlLoader, ParticipediaLoader, TabularLoader, RdfLoader]


def pick(source: Source) -> Loader:
    if source.loader is not None:
        return source.loader
    for cls in REGISTRY:
        if cls.accepts(source):
            loader: Loader = cls()
            return loader
    raise LoadError(
        [
            Problem(
                source.display(),
                "no loader reads this kind of source; known kinds: "
                + ", ".join(f"{c.name} ({c.title})" for c in REGISTRY),
                rule="source kind",
            )
        ]
    )


@dataclass
class GraphReport:
    graph: str
    location: str
    loader: str
    triples: int
    files: list[tuple[str, str]]


@dataclass
class LoadReport:
    graphs: list[GraphReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    generation: str | None = None
    #: Focus nodes checked against the shapes, and by which engine.
    checked: int = 0
    engine: str = ""
    #: Warnings found in all (only the first ones are listed in ``problems``).
    warning_count: int = 0

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


def bundled_sources() -> list[Source]:
    return [Source(f"bundled:{b.graph}", graph=b.graph) for b in bundles()]


@dataclass
class _Written:
    source: Source
    loader: Loader
    graph: ox.NamedNode
    stats: LoadStats
    started: dt.datetime
    session: Session | None


def load(
    kstore: KiemenStore,
    sources: Sequence[Source],
    *,
    dry_run: bool = False,
    validate: bool = True,
    progress: Callable[[str], None] | None = None,
    meter: Meter | None = None,
    before_publish: Callable[[str], None] | None = None,
    small: bool = False,
) -> LoadReport:
    """Load ``sources`` into their named graphs atomically; raise LoadError on bad input.

    The load is one write through :func:`core.write.pipeline.run`. ``progress`` hears each
    phase; ``meter`` (a :class:`portal.progress.Progress`) also measures how far each source
    file has been read. ``before_publish`` (see KiemenStore.writing) records what must commit
    with the load. ``small``: a write of a few graphs into a large store (a publisher's
    upload): the checker looks nodes up in the store one by one instead of reading every typed
    node first, and the indexes are patched from the quads the graphs gained and lost instead
    of rebuilt (a rebuild still when the graphs are too large to diff).
    """
    report = LoadReport(dry_run=dry_run)
    say = progress or (meter.say if meter is not None else (lambda _msg: None))
    writer = _LoadWrite(kstore, sources, report, validate=validate, say=say, meter=meter)
    writer.small = small
    writer.dry_run = dry_run
    with _cyclic_gc_paused():
        report.generation = pipeline.run(
            kstore,
            writer,
            dry_run=dry_run,
            before_publish=before_publish,
            say=say,
            replacing=_replaced_graphs(kstore, sources),
        )
    return report


def _replaced_graphs(kstore: KiemenStore, sources: Sequence[Source]) -> list[ox.NamedNode]:
    """The graphs ``sources`` replace whole, as far as known before reading them: the new
    generation may then start without them (:meth:`KiemenStore.writing`). A TriG or N-Quads
    file names its graphs as it is read; a source no loader takes fails in the write step."""
    graphs: list[ox.NamedNode] = []
    for source in sources:
        try:
            loader = pick(source)
            if isinstance(loader, RdfLoader) and loader.keeps_graphs(source):
                continue
            name = source.graph or loader.default_graph_name(source)
            graphs.append(graph_iri(kstore.settings, name))
        except (LoadError, ValueError):
            continue
    return graphs


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the length of a load.

    A load makes millions of long-lived objects (checker blocks, index records) and no cycles
    worth collecting; each full collection would walk all of them again, which cost a third of
    the checker's time. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _LoadWrite:
    """A load's steps in the write pipeline (:class:`core.write.pipeline.Writer`).

    ``write`` streams each source into its graph while the checker reads the same triples;
    ``validate`` settles the checks against the new generation; ``provenance`` records each
    graph's source. Authorisation is the command line's: whoever runs ``kiemen load`` may
    write the store's files anyway.
    """

    def __init__(
        self,
        kstore: KiemenStore,
        sources: Sequence[Source],
        report: LoadReport,
        *,
        validate: bool,
        say: Callable[[str], None],
        meter: Meter | None,
    ) -> None:
        self.kstore = kstore
        self.sources = sources
        self.report = report
        self.checks = validate
        self.say = say
        self.meter = meter
        self.dry_run = False
        #: A few graphs into a large store (see :func:`load`).
        self.small = False
        self.checker: Checker | None = None
        self.collector: indexes.Collector | None = None
        self.gen: Generation | None = None
        self.written: list[_Written] = []
        self.restores: list[_Restore] = []
        self.problems: list[Problem] = []

    def authorise(self, gen: Generation) -> None:
        self.gen = gen

    def index_delta(self, gen: Generation) -> Delta | None:
        """A small write: the quads its graphs and the meta graph gained and lost (None when
        one is too large to diff). Any other load replaces whole graphs: a full build."""
        if not self.small:
            return None
        graphs = {w.graph.value for w in self.written}
        graphs |= {g for r in self.restores for g in r.graphs}
        graphs.add(graph_iri(self.kstore.settings, provenance.META_GRAPH).value)
        return effects.delta(gen, sorted(graphs), {})

    def close(self) -> None:
        if self.checker is not None:
            self.checker.wait()
        if self.gen is not None and self.collector is not None:
            indexes.drop_collector(self.gen)

    def write(self, gen: Generation) -> None:
        kstore, say, meter = self.kstore, self.say, self.meter
        settings = kstore.settings
        if gen.left_out:
            say(
                f"the new generation starts without the {len(gen.left_out)} graph(s) this load "
                "replaces: the other graphs were copied into a fresh store"
            )
        self.collector = collector = indexes.collector_for(gen, kstore)
        checker = None
        if self.checks:
            checker = store_checker(kstore, gen.store, say, preload=not self.small)
        self.checker = checker
        self.report.engine = "" if not self.checks else ("streaming" if checker else "pyshacl")
        sources = self.sources
        for n, source in enumerate(sources):
            loader = pick(source)
            last = n == len(sources) - 1
            if isinstance(loader, RdfLoader) and loader.keeps_graphs(source):
                with _watching(meter, source, checker):
                    items, restore = _write_dataset(
                        kstore, gen, source, loader, collector, checker, last, say, self.dry_run
                    )
                self.written += items
                if restore is not None:
                    self.restores.append(restore)
                continue
            name = source.graph or loader.default_graph_name(source)
            graph = graph_iri(settings, name)
            started = dt.datetime.now(dt.UTC)
            say(f"loading {source.display()} into graph {name} ({loader.title})")
            drop_graph(gen.store, graph)
            checked = checker is not None and name not in UNVALIDATED_GRAPHS
            session = checker.session(source.display(), graph) if checked and checker else None
            collector.replacing(graph, session)
            if session is not None and checker is not None and last:
                session.when_streamed(
                    _after_last_stream(
                        kstore, gen, checker, collector, say, self.dry_run or self.small
                    )
                )
            with _watching(meter, source, checker):
                stats = loader.write(source, gen.store, graph, settings, session)
            # Links out, for every loader: the one place all of a source's quads have passed.
            linked = links_out.link_graph(kstore, gen.store, graph)
            stats.notes.append(linked.note())
            for note in stats.notes:  # the loader's own summary (rows read, entities, warnings)
                say(note)
            # Counted while the checking thread may still be indexing ahead, then wait for it.
            stats.triples = _count(kstore, gen.store, graph)
            if session is not None:
                _feed_late(session, collector, graph, linked.triples)
                session.close()
            if stats.triples == 0:
                raise LoadError(
                    [Problem(source.display(), "the source holds no triples", rule="not empty")]
                )
            self.written.append(_Written(source, loader, graph, stats, started, session))

    def validate(self, gen: Generation) -> None:
        report, written = self.report, self.written
        problems: list[Problem] = [w for item in written for w in item.stats.warnings]
        if self.checks:
            self.say("settling the SHACL checks against the new generation")
            if self.checker is not None:
                found, report.checked, report.warning_count = _settle(
                    self.kstore, gen, self.checker, written, self.small
                )
            else:
                found = _validate_pyshacl(self.kstore, gen.store, written)
                report.warning_count = sum(1 for p in found if p.severity != "error")
            problems += found
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise LoadError(problems)
        report.problems = self.problems = problems

    def provenance(self, gen: Generation) -> None:
        kstore, report = self.kstore, self.report
        settings = kstore.settings
        warnings = report.warning_count or len(self.problems)
        restored = {g for r in self.restores for g in r.graphs}
        for item in self.written:
            if item.graph.value not in restored:
                provenance.record(
                    gen.store,
                    settings,
                    item.graph,
                    title=f"{item.loader.title}: {item.source.display()}",
                    loader=item.loader.name,
                    location=item.source.display(),
                    stats=item.stats,
                    started=item.started,
                    conforms=self.checks,
                    triples=item.stats.triples,
                    errors=0,
                    warnings=warnings,
                )
            report.graphs.append(
                GraphReport(
                    item.graph.value,
                    item.source.display(),
                    "restore" if item.graph.value in restored else item.loader.name,
                    item.stats.triples,
                    item.stats.files,
                )
            )
        for r in self.restores:
            _keep_other_records(kstore, gen, set(r.graphs))
            provenance.record_restore(
                gen.store,
                settings,
                [ox.NamedNode(g) for g in r.graphs],
                location=r.source.display(),
                digest=r.digest,
                started=r.started,
                made_by=sorted(r.info.revisions, key=release_key),
                moved_from=r.info.base if r.info.base != settings.base_uri else None,
            )


class Meter(Protocol):
    """What a load needs of a progress display (``portal.progress.Progress``)."""

    def say(self, message: str) -> None: ...

    def watch_file(
        self, path: Path, items: Callable[[], int | None] | None = None
    ) -> contextlib.AbstractContextManager[None]: ...


def _watching(
    meter: Meter | None, source: Source, checker: Checker | None
) -> contextlib.AbstractContextManager[None]:
    """Measure how far ``source``'s file has been read (and checked) while it loads."""
    if meter is None or source.is_url or not source.path.is_file():
        return contextlib.nullcontext()
    counted = checker

    def items() -> int | None:
        return sum(s.count for s in counted.sessions) if counted is not None else None

    return meter.watch_file(source.path, items=items)


def _keep_other_records(kstore: KiemenStore, gen: Generation, restored: set[str]) -> int:
    """Graphs the store holds and the dump does not keep the provenance records they had.

    A dump brings its whole meta graph, which replaces the store's; the records of graphs it
    does not hold (uploads, other loads since) are copied back from the published generation:
    each graph's statements, its activities, their sources, checksums and software agents.
    """
    settings = kstore.settings
    if kstore.current_generation() is None:
        return 0
    old = kstore.reader()
    meta = graph_iri(settings, provenance.META_GRAPH)
    follow = (settings.id_ns + "load/", settings.id_ns + "software/")
    todo: list[Any] = [
        g
        for g in gen.store.named_graphs()
        if isinstance(g, ox.NamedNode) and g.value not in restored and g != meta
    ]
    seen: set[tuple[str, str]] = set()
    quads: list[ox.Quad] = []
    while todo:
        node = todo.pop()
        key = (type(node).__name__, node.value)
        if key in seen:
            continue
        seen.add(key)
        for q in old.quads_for_pattern(node, None, None, meta):
            quads.append(q)
            o = q.object
            if type(o) is ox.BlankNode or (type(o) is ox.NamedNode and o.value.startswith(follow)):
                todo.append(o)
    gen.store.extend(quads)
    return len(quads)


@dataclass
class _Restore:
    """A Kiemen dump loaded whole: its graphs keep the provenance records the dump holds."""

    source: Source
    info: DumpInfo
    graphs: list[str]
    digest: str
    started: dt.datetime


class _Router:
    """Empties each graph a quad file names, the first time it names it, and starts its check."""

    def __init__(
        self,
        kstore: KiemenStore,
        gen: Generation,
        source: Source,
        collector: indexes.Collector,
        checker: Checker | None,
    ) -> None:
        self.kstore = kstore
        self.gen = gen
        self.source = source
        self.collector = collector
        self.checker = checker
        self.restoring = False
        self.graphs: list[tuple[ox.NamedNode, Session | None]] = []

    def open(self, graph: ox.NamedNode) -> Session | None:
        name = _local_name(self.kstore, graph)
        if name == provenance.META_GRAPH and not self.restoring:
            raise LoadError(
                [
                    Problem(
                        self.source.display(),
                        f"the file writes <{graph.value}>, which holds the provenance of every "
                        "graph: only Kiemen's own dump restores it (load other data into "
                        "another graph, or with --graph)",
                        rule="graph name",
                    )
                ]
            )
        drop_graph(self.gen.store, graph)
        checked = self.checker is not None and name not in UNVALIDATED_GRAPHS
        session = None
        if checked and self.checker is not None:
            session = self.checker.session(f"{self.source.display()} <{graph.value}>", graph)
        self.collector.replacing(graph, session)
        self.graphs.append((graph, session))
        return session


def _local_name(kstore: KiemenStore, graph: ox.NamedNode) -> str | None:
    """``meta`` for ``{base}graph/meta``; None for a graph outside Kiemen's graph namespace."""
    ns = kstore.settings.graph_ns
    return graph.value[len(ns) :] if graph.value.startswith(ns) else None


def _write_dataset(
    kstore: KiemenStore,
    gen: Generation,
    source: Source,
    loader: RdfLoader,
    collector: indexes.Collector,
    checker: Checker | None,
    last: bool,
    say: Callable[[str], None],
    dry_run: bool = False,
) -> tuple[list[_Written], _Restore | None]:
    """Load a TriG or N-Quads file graph by graph; a Kiemen dump restores its own records."""
    settings = kstore.settings
    started = dt.datetime.now(dt.UTC)
    default_graph = graph_iri(settings, loader.default_graph_name(source))
    info = restore_scan(source.path) if source.path.is_file() else None
    moves: tuple[tuple[str, str], ...] = ()
    if info is not None:
        refusal = too_new(info)
        if refusal is not None:
            raise LoadError([Problem(source.display(), refusal, rule="dump release")])
        if info.base != settings.base_uri and info.base != CANONICAL_BASE:
            moves = ((info.base, settings.base_uri),)
        say(
            f"restoring Kiemen's dump {source.display()} (written by Kiemen "
            f"{info.newest or 'unknown'}), every graph as named"
        )
    else:
        say(f"loading {source.display()} keeping its graphs ({loader.title})")
    router = _Router(kstore, gen, source, collector, checker)
    router.restoring = info is not None
    stats = loader.write_dataset(
        source, gen.store, default_graph, settings, router, moves=moves, tick=None
    )
    if not router.graphs:
        raise LoadError(
            [Problem(source.display(), "the source holds no triples", rule="not empty")]
        )
    items: list[_Written] = []
    sessions = [s for _g, s in router.graphs if s is not None]
    if last and sessions and checker is not None:
        sessions[-1].when_streamed(
            _after_last_stream(kstore, gen, checker, collector, say, dry_run)
        )
    for graph, session in router.graphs:
        per_graph = LoadStats(files=list(stats.files), warnings=[])
        per_graph.triples = _count(kstore, gen.store, graph)
        if session is not None:
            session.close()
        items.append(_Written(source, loader, graph, per_graph, started, session))
        say(f"  <{graph.value}>: {per_graph.triples} triples")
    stats_warnings = stats.warnings
    if items and stats_warnings:
        items[0].stats.warnings = stats_warnings
    restore = None
    if info is not None:
        digest = stats.files[0][1] if stats.files else ""
        restore = _Restore(source, info, [w.graph.value for w in items], digest, started)
    return items, restore


def _feed_late(
    session: Session, collector: indexes.Collector, graph: ox.NamedNode, triples: list[ox.Triple]
) -> None:
    """Hand links out's statements to the checks and the indexes.

    A file bulk-loaded :meth:`~core.validation.checker.Session.alongside` has ended its stream
    on the checking thread already (the last one has built the indexes ahead there): wait for
    it, so that its last block and these do not cross, then give the collector the statements
    itself, as the session's index sink is gone. Any other session still collects them.
    """
    session.wait()
    if session.ended:
        collector.add_late(graph, triples)
    session.feed(triples)


def _after_last_stream(
    kstore: KiemenStore,
    gen: Generation,
    checker: Checker,
    collector: indexes.Collector,
    say: Callable[[str], None],
    dry_run: bool = False,
) -> Callable[[], None]:
    """What the checking thread does once the last source has streamed past it (a dry run
    builds no indexes, so it only lets go of the checker's memo)."""

    def run() -> None:
        checker.streams_done()
        if dry_run:
            return
        meta = graph_iri(kstore.settings, provenance.META_GRAPH)
        say("indexing ahead, while the store finishes writing")
        try:
            collector.prepare(
                gen.store, meta, indexes.prepared_dir(gen), indexes.generation_name(gen)
            )
        except Exception as exc:  # noqa: BLE001 - an optimisation only, redone the reference way
            say(f"building the indexes ahead failed ({exc!r}); they are built after validation")

    return run


def _count(kstore: KiemenStore, store: ox.Store, graph: ox.NamedNode) -> int:
    rows = kstore.rows("graph-triple-count", {"g": graph}, store=store)
    return int(rows[0]["triples"]) if rows else 0


def _settle(
    kstore: KiemenStore,
    gen: Generation,
    checker: Checker,
    written: list[_Written],
    small: bool = False,
) -> tuple[list[Problem], int, int]:
    """``small``: the graphs are small beside the store, so their subjects are looked up one
    by one rather than the whole store scanned for subjects other graphs share."""
    shared: dict[Session, list[str]] = {}
    for item in written:
        if item.session is not None and not checker.knows_shared_subjects:
            shared[item.session] = (
                shared_subjects(gen.store, item.graph)
                if small
                else [
                    str(r["s"])
                    for r in kstore.rows(
                        "graph-shared-subjects", {"g": item.graph}, store=gen.store
                    )
                ]
            )
    findings = checker.finish(shared)
    by_session = {id(i.session): i for i in written if i.session is not None}
    locations: dict[int, dict[str, Location]] = {}
    for item in written:
        if item.session is None:
            continue
        iris = {
            f.result.focus.value
            for f in findings
            if f.session is item.session and isinstance(f.result.focus, ox.NamedNode)
        }
        locations[id(item.session)] = _locate(item, iris, kstore)
    problems = [
        _problem(f, by_session[id(f.session)], locations.get(id(f.session), {})) for f in findings
    ]
    problems.sort(key=lambda p: (p.severity != "error", p.source, p.line or 0, p.row or 0))
    return problems, checker.focus_checked, checker.warning_count


def _locate(item: _Written, iris: set[str], kstore: KiemenStore) -> dict[str, Location]:
    if not iris:
        return {}
    locate = getattr(item.loader, "locate", None)
    if locate is None:
        return {}
    try:
        found: dict[str, Location] = locate(item.source, iris, kstore.settings)
    except (OSError, LoadError, ValueError):
        return {}
    return found


def _problem(f: Finding, item: _Written, where: dict[str, Location]) -> Problem:
    r = f.result
    focus = r.focus.value if isinstance(r.focus, ox.NamedNode) else f"_:{r.focus.value}"
    text = r.message
    if r.value is not None and str(r.value.value) not in text and r.value != r.focus:
        text += f" (value: {r.value.value})"
    loc = where.get(focus)
    return Problem(
        source=loc[0] if loc else item.source.display(),
        line=loc[1] if loc else None,
        row=loc[2] if loc else None,
        field=loc[3] if loc else None,
        message=text,
        rule=r.rule,
        focus=focus,
        severity=r.severity,
    )


def _validate_pyshacl(
    kstore: KiemenStore, store: ox.Store, written: list[_Written]
) -> list[Problem]:
    """The reference path: the new graphs and their context in rdflib, checked by pyshacl."""
    settings = kstore.settings
    data = rdflib.Graph()
    names = {w.graph.value for w in written}
    for ctx in CONTEXT_GRAPHS:
        g = graph_iri(settings, ctx)
        if g.value not in names:
            to_rdflib(store.quads_for_pattern(None, None, None, g), data)
    focus: set[str] = set()
    checked = False
    for item in written:
        if any(item.graph.value == graph_iri(settings, u).value for u in UNVALIDATED_GRAPHS):
            continue
        checked = True
        to_rdflib(store.quads_for_pattern(None, None, None, item.graph), data)
        focus |= {r["s"] for r in kstore.rows("graph-subjects", {"g": item.graph}, store=store)}
    if not checked:
        return []
    _conforms, problems = shacl_problems(data, settings, focus_filter=focus)
    located: list[Problem] = []
    for item in written:
        iris = {p.focus for p in problems if p.focus}
        where = _locate(item, {i for i in iris if i}, kstore)
        for p in problems:
            if p.focus in where:
                loc = where[p.focus]
                located.append(
                    Problem(
                        loc[0], p.message, p.rule, loc[1], None, loc[2], loc[3], p.focus, p.severity
                    )
                )
    seen = {(p.focus, p.rule, p.message) for p in located}
    located += [p for p in problems if (p.focus, p.rule, p.message) not in seen]
    return located


__all__ = [
    "INDEX_HOOKS",
    "REGISTRY",
    "GraphReport",
    "LoadError",
    "LoadReport",
    "Problem",
    "Source",
    "bundled_sources",
    "load",
    "pick",
    "rebuild_indexes",
]
