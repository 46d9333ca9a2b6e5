"""The small interface every loader implements, and the shape of a load problem.

A loader turns one kind of source into quads of one named graph of a private store generation
(see ``core.store``). It never publishes: :func:`loaders.load` validates, records provenance
and publishes, so every loader gets atomicity and validation for free.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import pyoxigraph as ox

from core.config import Settings
from core.problems import LoadStats, Problem

if TYPE_CHECKING:
    from core.validation.checker import Session


class LoadError(Exception):
    """The source cannot be loaded as it is; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems[:50]))


@dataclass
class Source:
    """Where data comes from: a local path or a URL, with what the user said about it."""

    location: str
    graph: str | None = None
    mapping: Path | None = None
    format: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: The loader that writes this source, when the caller brings its own (publishing's
    #: prepared triples); None: the first loader of :data:`loaders.REGISTRY` that accepts it.
    loader: Loader | None = None

    @property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def is_url(self) -> bool:
        return "://" in self.location and not self.location.startswith("file://")

    def display(self) -> str:
        return self.location


#: Where a node is written in a source: (file, line, row, column).
Location = tuple[str, int | None, int | None, str | None]


class Loader(Protocol):
    """One kind of source."""

    name: ClassVar[str]
    title: ClassVar[str]

    @classmethod
    def accepts(cls, source: Source) -> bool:
        """Whether this loader reads the source (by file type or URL scheme)."""
        ...

    def default_graph_name(self, source: Source) -> str:
        """The graph name used when the user gives none."""
        ...

    def write(
        self,
        source: Source,
        store: ox.Store,
        graph: ox.NamedNode,
        settings: Settings,
        check: Session | None = None,
    ) -> LoadStats:
        """Write the source's quads into ``graph`` of ``store``; raise LoadError on bad input.

        Every triple written must also pass through ``check`` (when given): feed it, pass the
        quads ``through`` it, or run it ``alongside`` a native bulk load of the same file.
        """
        ...


class Locator(Protocol):
    """Optional loader method: where the given IRIs are written (for problem reports)."""

    def locate(self, source: Source, iris: set[str], settings: Settings) -> dict[str, Location]: ...


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def slugify(text: str) -> str:
    """A URI-safe slug: lowercase ASCII words joined by hyphens."""

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "item"
