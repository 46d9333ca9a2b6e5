"""Loaders: every source into its own named graph — validated, atomic, provenance recorded.

:func:`load` is the one path into the store. It opens a private generation (``portal.store``),
lets the loader for each source replace that source's named graph, validates the result with
the SHACL shapes, records provenance, rebuilds the indexes and only then publishes. Any failure
throws the generation away, so the published store is exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib

from loaders import provenance
from loaders.base import Loader, LoadError, LoadStats, Problem, Source
from loaders.curated import BundledLoader, bundles
from loaders.rdf import RdfLoader
from loaders.validation import shacl_problems, to_rdflib, turtle_line_index
from portal.store import Generation, KiemenStore, graph_iri

#: Loaders in the order they are asked whether they accept a source.
REGISTRY: list[Any] = [BundledLoader, RdfLoader]

#: Called with the new generation after validation, before publishing (search index, facets).
INDEX_HOOKS: list[Callable[[Generation, KiemenStore], None]] = []
INDEX_HOOKS.append(__import__("loaders.indexes", fromlist=["build_indexes"]).build_indexes)

#: Graphs whose content gives context to validation of any other graph.
CONTEXT_GRAPHS = ("ontology", "curated")
#: Graphs that hold no instance data to validate.
UNVALIDATED_GRAPHS = ("shapes", provenance.META_GRAPH)


def register(loader: type) -> type:
    """Add a loader class to the registry (used as a decorator by loader modules)."""
    if loader not in REGISTRY:
        REGISTRY.insert(len(REGISTRY) - 1, loader)
    return loader


def pick(source: Source) -> Loader:
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

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


def bundled_sources() -> list[Source]:
    return [Source(f"bundled:{b.graph}", graph=b.graph) for b in bundles()]


def load(
    kstore: KiemenStore,
    sources: Sequence[Source],
    *,
    dry_run: bool = False,
    validate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Load ``sources`` into their named graphs atomically; raise LoadError on bad input."""
    settings = kstore.settings
    report = LoadReport(dry_run=dry_run)
    say = progress or (lambda _msg: None)
    with kstore.writing(publish=not dry_run) as gen:
        written: list[tuple[Source, Loader, ox.NamedNode, LoadStats, dt.datetime]] = []
        for source in sources:
            loader = pick(source)
            name = source.graph or loader.default_graph_name(source)
            graph = graph_iri(settings, name)
            started = dt.datetime.now(dt.UTC)
            say(f"loading {source.display()} into graph {name} ({loader.title})")
            gen.store.remove_graph(graph)
            stats = loader.write(source, gen.store, graph, settings)
            stats.triples = _count(kstore, gen.store, graph)
            if stats.triples == 0:
                raise LoadError(
                    [Problem(source.display(), "the source holds no triples", rule="not empty")]
                )
            written.append((source, loader, graph, stats, started))
        conforms, problems = True, list[Problem]()
        if validate:
            say("validating with the SHACL shapes")
            conforms, problems = _validate(kstore, gen.store, written)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise LoadError(problems)
        report.problems = problems
        for source, loader, graph, stats, started in written:
            provenance.record(
                gen.store,
                settings,
                graph,
                title=f"{loader.title}: {source.display()}",
                loader=loader.name,
                location=source.display(),
                stats=stats,
                started=started,
                conforms=conforms,
                triples=stats.triples,
                errors=0,
                warnings=len(problems),
            )
            report.graphs.append(
                GraphReport(graph.value, source.display(), loader.name, stats.triples, stats.files)
            )
        for hook in INDEX_HOOKS:
            say(f"building index: {getattr(hook, '__name__', 'index')}")
            hook(gen, kstore)
        report.generation = gen.path.name
    return report


def _count(kstore: KiemenStore, store: ox.Store, graph: ox.NamedNode) -> int:
    rows = kstore.rows("graph-triple-count", {"g": graph}, store=store)
    return int(rows[0]["triples"]) if rows else 0


def _validate(
    kstore: KiemenStore,
    store: ox.Store,
    written: list[tuple[Source, Loader, ox.NamedNode, LoadStats, dt.datetime]],
) -> tuple[bool, list[Problem]]:
    settings = kstore.settings
    data = rdflib.Graph()
    names = {g.value for _s, _l, g, _st, _t in written}
    for ctx in CONTEXT_GRAPHS:
        g = graph_iri(settings, ctx)
        if g.value not in names:
            to_rdflib(store.quads_for_pattern(None, None, None, g), data)
    focus: set[str] = set()
    locate: dict[str, tuple[str, int | None, int | None]] = {}
    checked = False
    for source, _loader, graph, stats, _t in written:
        if any(graph.value == graph_iri(settings, u).value for u in UNVALIDATED_GRAPHS):
            continue
        checked = True
        to_rdflib(store.quads_for_pattern(None, None, None, graph), data)
        subjects = {r["s"] for r in kstore.rows("graph-subjects", {"g": graph}, store=store)}
        focus |= subjects
        for iri, (loc, row) in stats.row_index.items():
            locate[iri] = (loc, None, row)
        for loc, _digest in stats.files:
            path = Path(loc)
            if not path.is_absolute():
                from loaders.curated import repo_root

                path = repo_root() / loc
            if path.suffix in (".ttl", ".nt", ".trig", ".nq"):
                for iri, line in turtle_line_index(path, subjects - set(locate), settings).items():
                    locate[iri] = (loc, line, None)
        for iri in subjects:
            locate.setdefault(iri, (source.display(), None, None))
    if not checked:
        return True, []
    return shacl_problems(data, settings, focus_filter=focus, locate=locate)


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
    "register",
]
