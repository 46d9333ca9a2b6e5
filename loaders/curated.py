"""The project's own bundled sources: the ontology, its shapes and the curated seed data.

Their files spell IRIs with the canonical base (``https://w3id.org/kiemen/``); this loader
rewrites them onto ``KIEMEN_BASE_URI`` so that every URI in the store resolves where the portal
runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyoxigraph as ox

from core.config import Settings
from core.paths import package_dir
from core.problems import LoadStats, Problem
from core.validation.shacl import turtle_line_index
from loaders.base import LoadError, Location, Source, sha256_file
from loaders.rdf import rebase_term, syntax_problem

if TYPE_CHECKING:
    from core.validation.checker import Session


@dataclass(frozen=True)
class Bundle:
    """A bundled source: a graph name and the files that fill it."""

    graph: str
    title: str
    files: tuple[Path, ...]


def repo_root() -> Path:
    """The folder above the packages (the checkout, or site-packages for an install)."""
    return package_dir("ontology").parent


def bundles() -> list[Bundle]:
    """Everything ``kiemen load`` without a source loads, in order."""
    ont = package_dir("ontology")
    data = package_dir("kiemen_data") / "curated"
    return [
        Bundle(
            "ontology",
            "Kiemen ontology and concept schemes",
            (ont / "kiemen.ttl", *sorted((ont / "schemes").glob("*.ttl"))),
        ),
        Bundle("shapes", "Kiemen SHACL shapes", (ont / "shapes.ttl",)),
        Bundle("curated", "Curated seed knowledge", tuple(sorted(data.glob("*.ttl")))),
        Bundle(
            "mappings",
            "Vocabulary mappings (Participedia, IAP2, participation ladder)",
            tuple(sorted((package_dir("kiemen_data") / "mappings").glob("*.ttl"))),
        ),
    ]


def rebased_quads(path: Path, settings: Settings, graph: ox.NamedNode) -> Iterator[ox.Quad]:
    """Parse a bundled Turtle file, rewriting the canonical base onto the configured one."""
    for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        yield ox.Quad(
            rebase_term(t.subject, settings),
            rebase_term(t.predicate, settings),
            rebase_term(t.object, settings),
            graph,
        )


def display(path: Path) -> str:
    """A path as users know it: relative to the checkout when it lies inside."""
    try:
        return str(path.resolve().relative_to(repo_root().resolve()))
    except ValueError:
        return str(path)


class BundledLoader:
    """Loads one :class:`Bundle` (``source.location`` is ``bundled:{graph}``)."""

    name: ClassVar[str] = "bundled"
    title: ClassVar[str] = "Bundled Kiemen data"

    @classmethod
    def accepts(cls, source: Source) -> bool:
        return source.location.startswith("bundled:")

    def bundle(self, source: Source) -> Bundle:
        wanted = source.location.split(":", 1)[1]
        for b in bundles():
            if b.graph == wanted:
                return b
        raise LoadError([Problem(source.location, f"no bundled source named {wanted!r}")])

    def default_graph_name(self, source: Source) -> str:
        return self.bundle(source).graph

    def write(
        self,
        source: Source,
        store: ox.Store,
        graph: ox.NamedNode,
        settings: Settings,
        check: Session | None = None,
    ) -> LoadStats:
        bundle = self.bundle(source)
        stats = LoadStats()
        problems: list[Problem] = []
        for path in bundle.files:
            if not path.exists():
                problems.append(Problem(display(path), "bundled file is missing"))
                continue
            try:
                quads = rebased_quads(path, settings, graph)
                store.bulk_extend(check.through(quads) if check is not None else quads)
            except SyntaxError as exc:
                problems.append(syntax_problem(display(path), exc))
                continue
            stats.files.append((display(path), sha256_file(path)))
        if problems:
            raise LoadError(problems)
        return stats

    def locate(self, source: Source, iris: set[str], settings: Settings) -> dict[str, Location]:
        found: dict[str, Location] = {}
        for path in self.bundle(source).files:
            for iri, line in turtle_line_index(path, iris - set(found), settings).items():
                found[iri] = (display(path), line, None, None)
        return found
