"""RDF files (Turtle, TriG, N-Triples, N-Quads, RDF/XML, JSON-LD, N3), plain or gzipped.

Triple formats stream through pyoxigraph's native ``bulk_load`` (never the whole file in
memory) while the SHACL checker parses the same file on the other core. Quad formats (TriG,
N-Quads) keep their graphs (:meth:`RdfLoader.write_dataset`): each quad goes to the graph it
names (the default graph's quads to the source's own graph), and each graph named is replaced
whole; with ``--graph`` everything is re-graphed into that one graph instead. IRIs written with the
canonical base (``https://w3id.org/kiemen/``, as the README's prefixes teach) are moved onto the
configured base, so a user's file links to the concepts of the store it is loaded into.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import mmap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Protocol

import pyoxigraph as ox

from core.config import CANONICAL_BASE, Settings
from core.problems import LoadStats, Problem
from core.store import StoreError
from core.validation.shacl import turtle_line_index
from loaders.base import LoadError, Location, Source, sha256_file, slugify

if TYPE_CHECKING:
    from core.validation.checker import Session


def rebase_term(term: Any, settings: Settings) -> Any:
    """An IRI under the canonical base moved onto the configured base; other terms as they are."""
    if type(term) is ox.NamedNode:
        value = term.value
        if value.startswith(CANONICAL_BASE):
            return ox.NamedNode(settings.rebase(value))
    return term


FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".n3": ox.RdfFormat.N3,
}
QUAD_FORMATS = {ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS}


def rdf_format(path: Path, explicit: str | None = None) -> ox.RdfFormat | None:
    """The RDF format of a file, from ``explicit`` (extension or media type) or its name."""
    if explicit:
        key = explicit if explicit.startswith(".") else "." + explicit
        if key in FORMATS:
            return FORMATS[key]
        return ox.RdfFormat.from_media_type(explicit)  # None for a type it does not know
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return FORMATS.get(suffixes[-1]) if suffixes else None


def open_source(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


_ENVIRONMENT = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EACCES, errno.EMFILE)


def environment_error(exc: OSError) -> bool:
    """A full disk, a read-only or failing device: the machine's problem, not the file's."""
    if exc.errno in _ENVIRONMENT:
        return True
    text = str(exc).lower()
    return any(
        words in text
        for words in ("no space left", "disk quota", "read-only file system", "input/output error")
    )


@contextlib.contextmanager
def open_source_counted(path: Path, tick: Callable[[int], None] | None) -> Iterator[IO[bytes]]:
    """The file's (decompressed) bytes, ``tick`` called with each count of raw bytes read."""
    with open(path, "rb") as fh:
        counted: Any = io.BufferedReader(CountingReader(fh, tick), buffer_size=1 << 20)
        if path.suffix.lower() == ".gz":
            with gzip.GzipFile(fileobj=counted, mode="rb") as gz:
                yield gz  # type: ignore[misc]
        else:
            yield counted


def syntax_problem(source: str, exc: BaseException) -> Problem:
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "offset", None)
    msg = str(getattr(exc, "msg", None) or exc)
    if isinstance(exc, UnicodeDecodeError) or "utf-8" in msg.lower() or "utf8" in msg.lower():
        msg = f"the file is not valid UTF-8 text ({msg}); save it as UTF-8 and load again"
    return Problem(source, f"not valid RDF: {msg}", rule="RDF syntax", line=line, column=col)


def mentions(path: Path, text: str) -> bool:
    """Whether the (uncompressed) file contains ``text``: a fast byte scan, no parsing."""

    needle = text.encode()
    with open(path, "rb") as fh:
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return mm.find(needle) != -1
        except ValueError:  # empty file
            return False


def _checksum_in_thread(path: Path) -> tuple[threading.Thread, list[str]]:
    """SHA-256 of a file on another core while it loads (hashlib lets go of the GIL)."""
    out: list[str] = []
    thread = threading.Thread(target=lambda: out.append(sha256_file(path)), daemon=True)
    thread.start()
    return thread, out


class GraphRouter(Protocol):
    """What the load orchestration does when a quad file names a graph for the first time."""

    def open(self, graph: ox.NamedNode) -> Session | None:
        """Empty ``graph`` in the new generation; return the checker's session for it."""
        ...


class CountingReader(io.RawIOBase):
    """Counts the bytes read from the source file (before decompression) for progress."""

    def __init__(self, raw: IO[bytes], tick: Callable[[int], None] | None) -> None:
        self.raw = raw
        self.tick = tick

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.raw.readinto(b)  # type: ignore[attr-defined]
        if n and self.tick is not None:
            self.tick(n)
        return int(n or 0)


class RdfLoader:
    name: ClassVar[str] = "rdf"
    title: ClassVar[str] = "RDF file"

    @classmethod
    def accepts(cls, source: Source) -> bool:
        return not source.is_url and rdf_format(source.path, source.format) is not None

    def default_graph_name(self, source: Source) -> str:
        name = source.path.name
        for suffix in reversed(source.path.suffixes):
            name = name[: -len(suffix)]
        return "files/" + slugify(name)

    def write(
        self,
        source: Source,
        store: ox.Store,
        graph: ox.NamedNode,
        settings: Settings,
        check: Session | None = None,
    ) -> LoadStats:
        """Triple files stream through the native bulk loader with the checker alongside;
        quad formats, gzip and files that need rebasing go through Python (slower)."""
        path = source.path
        if not path.exists():
            raise LoadError([Problem(source.display(), "no such file", rule="file exists")])
        if path.is_dir():
            raise LoadError([Problem(source.display(), "is a folder, not a file", rule="file")])
        if path.stat().st_size == 0:
            raise LoadError([Problem(source.display(), "the file is empty", rule="not empty")])
        fmt = rdf_format(path, source.format)
        if fmt is None:
            raise LoadError(
                [Problem(source.display(), "unknown RDF format; name the format with --format")]
            )
        hasher, digest = _checksum_in_thread(path)
        base = source.options.get("base")
        gz = path.suffix.lower() == ".gz"
        rebase = settings.base_uri != CANONICAL_BASE and (gz or mentions(path, CANONICAL_BASE))
        try:
            if fmt in QUAD_FORMATS or gz or rebase:
                with open_source(path) as raw:
                    reader: Any = io.BufferedReader(raw, buffer_size=1 << 20)
                    quads: Iterator[ox.Quad] = (
                        ox.Quad(
                            rebase_term(t.subject, settings) if rebase else t.subject,
                            rebase_term(t.predicate, settings) if rebase else t.predicate,
                            rebase_term(t.object, settings) if rebase else t.object,
                            graph,
                        )
                        for t in ox.parse(reader, format=fmt, base_iri=base)
                    )
                    store.bulk_extend(check.through(quads) if check is not None else quads)
            else:
                guard = (
                    check.alongside(str(path), fmt, base)
                    if check is not None
                    else contextlib.nullcontext()
                )
                with guard:
                    store.bulk_load(path=str(path), format=fmt, to_graph=graph, base_iri=base)
        except SyntaxError as exc:
            raise LoadError([syntax_problem(source.display(), exc)]) from exc
        except OSError as exc:
            if environment_error(exc):
                raise StoreError(f"cannot write the store: {exc}") from exc
            raise LoadError([syntax_problem(source.display(), exc)]) from exc
        except (UnicodeDecodeError, ValueError, EOFError) as exc:
            raise LoadError([syntax_problem(source.display(), exc)]) from exc
        finally:
            hasher.join()
        return LoadStats(files=[(source.display(), digest[0] if digest else "")])

    def keeps_graphs(self, source: Source) -> bool:
        """Whether ``source`` is a quad file loaded with its own graphs (no ``--graph``)."""
        if source.graph is not None or source.is_url:
            return False
        return rdf_format(source.path, source.format) in QUAD_FORMATS

    def write_dataset(
        self,
        source: Source,
        store: ox.Store,
        default_graph: ox.NamedNode,
        settings: Settings,
        router: GraphRouter,
        *,
        moves: tuple[tuple[str, str], ...] = (),
        tick: Callable[[int], None] | None = None,
    ) -> LoadStats:
        """Load a TriG or N-Quads file keeping each quad's graph; return the file's stats.

        ``moves`` are (old prefix, new prefix) pairs applied to every IRI, graph names included
        (a Kiemen dump made under another base); IRIs under the canonical base always move onto
        the configured one. A graph is emptied by ``router.open`` the first time it is named, so
        exactly the graphs the file names are replaced, in the same private generation.
        """
        path = source.path
        self._check_file(source)
        fmt = rdf_format(path, source.format)
        assert fmt is not None
        hasher, digest = _checksum_in_thread(path)
        base = source.options.get("base")
        rebase_all = list(moves)
        if settings.base_uri != CANONICAL_BASE:
            rebase_all.append((CANONICAL_BASE, settings.base_uri))

        routing = _DatasetRouting(default_graph, router, rebase_all, source.display())
        try:
            with open_source_counted(path, tick) as raw:
                reader: Any = io.BufferedReader(raw, buffer_size=1 << 20)
                store.bulk_extend(routing.routed(ox.parse(reader, format=fmt, base_iri=base)))
        except SyntaxError as exc:
            raise LoadError([syntax_problem(routing.display, exc)]) from exc
        except (UnicodeDecodeError, ValueError, OSError, EOFError) as exc:
            raise LoadError([syntax_problem(routing.display, exc)]) from exc
        finally:
            hasher.join()
        return LoadStats(files=[(routing.display, digest[0] if digest else "")])

    def _check_file(self, source: Source) -> None:
        path = source.path
        if not path.exists():
            raise LoadError([Problem(source.display(), "no such file", rule="file exists")])
        if path.is_dir():
            raise LoadError([Problem(source.display(), "is a folder, not a file", rule="file")])
        if path.stat().st_size == 0:
            raise LoadError([Problem(source.display(), "the file is empty", rule="not empty")])
        if rdf_format(path, source.format) is None:
            raise LoadError(
                [Problem(source.display(), "unknown RDF format; name the format with --format")]
            )

    def locate(self, source: Source, iris: set[str], settings: Settings) -> dict[str, Location]:
        lines = turtle_line_index(source.path, iris, settings)
        return {iri: (source.display(), line, None, None) for iri, line in lines.items()}


class _DatasetRouting:
    """Each quad of a dataset file into its graph, IRIs moved onto the configured base.

    A graph is opened (emptied, with a checking session) by ``router.open`` the first time the
    file names it; the checker gets the quads in batches, graph by graph.
    """

    BATCH = 4096

    def __init__(
        self,
        default_graph: ox.NamedNode,
        router: GraphRouter,
        rebase_all: list[tuple[str, str]],
        display: str,
    ) -> None:
        self.default_graph = default_graph
        self.router = router
        self.rebase_all = rebase_all
        self.prefixes = tuple(old for old, _new in rebase_all)
        self.display = display
        self.opened: dict[Any, tuple[ox.NamedNode, Session | None]] = {}
        self.pending: dict[int, tuple[Session, list[ox.Quad]]] = {}

    def move(self, term: Any) -> Any:
        if type(term) is ox.NamedNode:
            value = term.value
            for old, new in self.rebase_all:
                if value.startswith(old):
                    return ox.NamedNode(new + value[len(old) :])
        return term

    def moved(self, term: Any) -> bool:
        return type(term) is ox.NamedNode and term.value.startswith(self.prefixes)

    def target(self, name: Any) -> tuple[ox.NamedNode, Session | None]:
        if type(name) is ox.DefaultGraph:
            graph = self.default_graph
        elif type(name) is ox.NamedNode:
            graph = self.move(name)
        else:
            raise LoadError(
                [
                    Problem(
                        self.display,
                        f"a graph is named by the blank node {name}; graphs loaded with "
                        "their names need IRIs (or load with --graph IRI into one graph)",
                        rule="graph name",
                    )
                ]
            )
        found = self.opened.get(graph.value)
        if found is None:
            found = (graph, self.router.open(graph))
            self.opened[graph.value] = found
        self.opened[name] = found
        return found

    def _batch(self, session: Session) -> list[ox.Quad]:
        key = id(session)
        if key not in self.pending:
            self.pending[key] = (session, [])
        return self.pending[key][1]

    def _flush(self, key: int) -> None:
        session, batch = self.pending.pop(key)
        session.feed(batch)

    def routed(self, parsed: Iterator[ox.Quad]) -> Iterator[ox.Quad]:
        last_name: Any = None
        graph: ox.NamedNode = self.default_graph
        session: Session | None = None
        batch: list[ox.Quad] = []
        prefixes, moved, move = self.prefixes, self.moved, self.move
        for q in parsed:
            name = q.graph_name
            if name != last_name:
                found = self.opened.get(name)
                graph, session = found if found is not None else self.target(name)
                last_name = name
                if session is not None:
                    batch = self._batch(session)
            s, p, o = q.subject, q.predicate, q.object
            if graph is name and not (prefixes and (moved(s) or moved(p) or moved(o))):
                quad = q
            else:
                quad = ox.Quad(move(s), move(p), move(o), graph)
            if session is not None:
                batch.append(quad)
                if len(batch) >= self.BATCH:
                    self._flush(id(session))
                    batch = self._batch(session)
            yield quad
        for key in list(self.pending):
            self._flush(key)
