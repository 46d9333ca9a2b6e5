"""The one module that opens the embedded Oxigraph store.

Layout of ``KIEMEN_STORE`` (a directory)::

    var/kiemen.oxigraph/
        current -> gen-000000001700000000     (symlink, swapped atomically)
        gen-.../oxigraph/                     (an ordinary Oxigraph database)
        gen-.../search/                       (full-text index built at load time)
        write.lock                            (one writer at a time, across processes)

Why generations: pyoxigraph's fast ``bulk_load`` is not transactional, and its transactional
``load`` holds everything in memory. Every write therefore works on a *new generation*: a
hard-linked checkpoint of the current database (cheap) that the writer changes in private and,
only when validation has passed, publishes by swapping the ``current`` symlink with one
``rename``. Readers see the old generation or the new one, never a mix; a writer killed at any
point leaves ``current`` untouched. The stock server opens the published data with
``oxigraph serve-read-only --location var/kiemen.oxigraph/current/oxigraph``.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from core.config import CANONICAL_BASE, Settings
from queries import StoredQuery, get_query

KEEP_GENERATIONS = 3
#: A write that replaces graphs starts from a fresh store filled with the other graphs when
#: those hold at most this many times the replaced graphs' quads; otherwise from the hard-linked
#: copy of the current generation, out of which it deletes them. Copying a quad into a fresh
#: store cost 15-20 µs, deleting one 33 µs (125 µs in one transaction) on the loaded machine.
REBUILD_FACTOR = 2
#: In each generation: the names of the generations it was built on, oldest first.
LINEAGE_FILE = "lineage"


@dataclass(frozen=True)
class _Pin:
    root: Path
    generation: Path
    store: ox.Store


#: The generation this thread's current request reads (see KiemenStore.one_generation).
_PIN: contextvars.ContextVar[_Pin | None] = contextvars.ContextVar("kiemen_pin", default=None)
#: File in each generation naming the canonical base its IRIs were minted under.
BASE_FILE = "canonical-base"


class StoreError(Exception):
    """The store cannot be opened or written (an environment problem: exit code 2)."""


class _Discard(Exception):
    """Internal: end a dry run without publishing."""


class StoreBusy(StoreError):
    """Another process holds the write lock."""


class ReadOnlyStore(StoreError):
    """This process is a read-only replica (KIEMEN_READ_ONLY): writes go to the writer."""


class BaseMismatch(StoreError):
    """The store was made under another canonical base than this deployment's."""


@dataclass
class Generation:
    """A private, writable copy of the data that becomes current on commit."""

    path: Path
    store: ox.Store
    #: Graphs this generation was started without (see :meth:`KiemenStore.writing`).
    left_out: frozenset[str] = frozenset()

    @property
    def search_dir(self) -> Path:
        return self.path / "search"

    def close(self) -> None:
        """Drop our handle so RocksDB closes (pyoxigraph closes on the last reference)."""
        self.__dict__.pop("store", None)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def graph_iri(settings: Settings, name: str) -> ox.NamedNode:
    """The IRI of the named graph that holds one source (``ontology``, ``curated``, ...).

    A bare name becomes ``{base}graph/{name}``; an absolute IRI (``http://example.org/g``,
    ``urn:x:y``) names the graph as given, so that ``--graph`` never wraps a user's IRI in ours.
    IRIs under the canonical base are moved onto the configured one, like every loaded IRI.
    Raises ValueError for a name that is neither.
    """
    if _SCHEME.match(name):
        return ox.NamedNode(settings.rebase(name))
    if not name or any(c in name for c in '<>"{}|^`\\ \t\r\n'):
        raise ValueError(f"{name!r} is not a graph name: give a bare name or an absolute IRI")
    return ox.NamedNode(settings.graph_ns + name)


def drop_graph(store: ox.Store, graph: ox.NamedNode | ox.BlankNode) -> None:
    """Delete ``graph`` quad by quad, then its name.

    ``Store.remove_graph`` deletes in one transaction, held in memory whole: +1 GB and 125 µs a
    quad at 1.24 M quads. One small transaction a quad keeps memory flat (33 µs a quad); the
    iterator reads a snapshot, so deleting behind it is safe.
    """
    for quad in store.quads_for_pattern(None, None, None, graph):
        store.remove(quad)
    store.remove_graph(graph)


def copy_without(
    src: ox.Store, target: Path, left_out: Collection[ox.NamedNode | ox.BlankNode]
) -> None:
    """Fill a new store at ``target`` with every graph of ``src`` but ``left_out``, graph by
    graph through the bulk loader (the same quads, blank nodes keep their identifiers)."""
    dst = ox.Store(str(target))
    dst.bulk_extend(src.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    for graph in src.named_graphs():
        if graph in left_out:
            continue
        dst.add_graph(graph)
        dst.bulk_extend(src.quads_for_pattern(None, None, None, graph))
    dst.flush()
    del dst


def lineage(generation: Path) -> list[str]:
    """The names of the generations ``generation`` was copied from, oldest first (its parent
    last); empty for a first generation."""
    try:
        return (generation / LINEAGE_FILE).read_text(encoding="ascii").split()
    except FileNotFoundError:
        return []


class KiemenStore:
    """Opens generations for reading and writing; runs stored queries with bound parameters."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = Path(settings.store_path)
        self._lock = threading.Lock()
        self._reader: ox.Store | None = None
        self._reader_gen: str | None = None
        self._current_link = self.root / "current"
        #: The last generation the link named, as (link text, path): every query asks.
        self._last_published: tuple[str, Path] | None = None

    # -- paths -------------------------------------------------------------
    @property
    def current_link(self) -> Path:
        return self._current_link

    def current_generation(self) -> Path | None:
        """The published generation directory, or None for a store never written.

        Inside :meth:`one_generation` it is the generation the block started with, so that
        every read of one web request comes from one generation, however many writers publish
        meanwhile.
        """
        pin = _PIN.get()
        if pin is not None and pin.root == self.root:
            return pin.generation
        return self._published()

    def _published(self) -> Path | None:
        try:
            target = os.readlink(self._current_link)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{self.current_link} is not a Kiemen store link: {exc}") from exc
        last = self._last_published
        if last is not None and last[0] == target:
            return last[1]
        path = self.root / target
        self._last_published = (target, path)
        return path

    def search_dir(self) -> Path | None:
        gen = self.current_generation()
        return None if gen is None else gen / "search"

    def generation_id(self) -> str | None:
        gen = self.current_generation()
        return None if gen is None else gen.name

    # -- reading -----------------------------------------------------------
    @contextlib.contextmanager
    def one_generation(self) -> Iterator[None]:
        """Resolve the published generation once; every read in the block uses it."""
        if _PIN.get() is not None:
            yield
            return
        gen = self._published()
        if gen is None:
            self.initialise()
            gen = self._published()
            assert gen is not None
        token = _PIN.set(_Pin(self.root, gen, self._open_reader(gen)))
        try:
            yield
        finally:
            _PIN.reset(token)

    def reader(self) -> ox.Store:
        """A read-only handle on the current generation, reopened when a writer publishes."""
        pin = _PIN.get()
        if pin is not None and pin.root == self.root:
            return pin.store
        gen = self.current_generation()
        if gen is None:
            if self.settings.read_only:
                raise ReadOnlyStore(f"{self.root} has no published generation yet")
            self.initialise()
            gen = self.current_generation()
            assert gen is not None
        return self._open_reader(gen)

    def _open_reader(self, gen: Path) -> ox.Store:
        with self._lock:
            if self._reader is None or self._reader_gen != gen.name:
                try:
                    self._reader = ox.Store.read_only(str(gen / "oxigraph"))
                except OSError as exc:
                    raise StoreError(f"cannot open store {gen}: {exc}") from exc
                self._reader_gen = gen.name
            return self._reader

    def made_with_base(self) -> str | None:
        """The canonical base the published data were minted under (None: nothing published).

        Recorded in each generation; for stores written before that, read off the graph names.
        """
        gen = self.current_generation()
        if gen is None:
            return None
        try:
            return (gen / BASE_FILE).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return base_from_graphs(self.reader())
        except OSError as exc:
            raise StoreError(f"cannot read {gen / BASE_FILE}: {exc}") from exc

    def is_empty(self) -> bool:
        return next(iter(self.reader().quads_for_pattern(None, None, None)), None) is None

    def warnings(self) -> list[str]:
        """Why a read would silently find nothing: another canonical base, or no data."""
        out = []
        made = self.made_with_base()
        if made is not None and made != self.settings.base_uri:
            out.append(base_mismatch_text(self.root, made, self.settings.base_uri))
        if self.is_empty():
            out.append(f"the store {self.root} is empty: load data with `kiemen load`")
        return out

    def check_base(self) -> None:
        """Refuse to write into data minted under another canonical base (exit code 2)."""
        made = self.made_with_base()
        if made is not None and made != self.settings.base_uri:
            raise BaseMismatch(base_mismatch_text(self.root, made, self.settings.base_uri))

    def initialise(self) -> None:
        """Create an empty first generation so readers always find a database."""
        if self._published() is not None:
            return
        with self.writing():
            pass

    # -- writing -----------------------------------------------------------
    @contextlib.contextmanager
    def _write_lock(self, wait_seconds: float = 60.0) -> Iterator[None]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create store directory {self.root}: {exc}") from exc
        fh = open(self.root / "write.lock", "a+")  # noqa: SIM115 - held for the block
        deadline = time.monotonic() + wait_seconds
        try:
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreBusy(
                            f"another process is writing to {self.root}; try again later"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()

    def lineage(self, latest: bool = False) -> set[str]:
        """Names of the current generation and of every generation it was built on.

        A record kept beside the store (a publisher's version, an audit entry) names the
        generation it was published with; it is true exactly when that generation is in this
        set. A writer killed before its publish leaves a name that never joins it.
        ``latest``: of the newest published generation, not of the request's pinned one.
        """
        gen = self._published() if latest else self.current_generation()
        if gen is None:
            return set()
        return {*lineage(gen), gen.name}

    @contextlib.contextmanager
    def writing(
        self,
        publish: bool = True,
        before_publish: Callable[[str], None] | None = None,
        any_base: bool = False,
        replacing: Sequence[ox.NamedNode] = (),
    ) -> Iterator[Generation]:
        """Yield a private copy of the data; publish it if the block ends without error.

        With ``publish=False`` (a dry run) the copy is thrown away in any case.
        ``before_publish(name)`` runs under the write lock after the block and before the
        atomic switch: records it writes that name the generation become true with it.
        Data minted under another canonical base are refused unless ``any_base``
        (``kiemen migrate-base``). ``replacing``: graphs the write will replace whole; when
        they hold a large share of the data the copy is made without them (see
        :data:`REBUILD_FACTOR`; ``Generation.left_out`` names them).
        """
        if self.settings.read_only:
            raise ReadOnlyStore(
                f"this process serves {self.root} read-only (KIEMEN_READ_ONLY): "
                "send writes to the writer"
            )
        with self._write_lock():
            if not any_base:
                self.check_base()
            self._collect_garbage()
            name = f"gen-{time.time_ns():020d}"
            path = self.root / name
            tmp = self.root / f".{name}.tmp"
            current = self._published()  # never a request's pin: writes build on the newest
            left_out: frozenset[str] = frozenset()
            try:
                tmp.mkdir()
                if current is not None:
                    # No copy of current/search: every writer rebuilds the indexes for its
                    # own generation (loaders.rebuild_indexes) before it publishes.
                    left_out = self._start_from(current, tmp / "oxigraph", replacing)
                self._write_lineage(current, tmp)
                gen = Generation(tmp, ox.Store(str(tmp / "oxigraph")), left_out)
            except OSError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                raise StoreError(f"cannot prepare a new generation in {self.root}: {exc}") from exc
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            try:
                yield gen
                if not publish:
                    raise _Discard
                if before_publish is not None:
                    before_publish(name)
                gen.store.flush()
                gen.close()
                (tmp / BASE_FILE).write_text(self.settings.base_uri + "\n", encoding="utf-8")
                os.rename(tmp, path)
                gen.path = path
                self._publish(name)
            except _Discard:
                gen.close()
                shutil.rmtree(tmp, ignore_errors=True)
            except BaseException:
                gen.close()
                shutil.rmtree(tmp, ignore_errors=True)
                raise

    def _start_from(
        self, current: Path, target: Path, replacing: Sequence[ox.NamedNode]
    ) -> frozenset[str]:
        """Copy the generation ``current`` to ``target``: hard-linked whole, or without the
        graphs in ``replacing`` when the rest is small beside them; the graphs left out."""
        src = ox.Store.read_only(str(current / "oxigraph"))
        try:
            drop = {g for g in replacing if src.contains_named_graph(g)}
            if drop and self._rebuild_pays(src, drop):
                copy_without(src, target, drop)
                return frozenset(g.value for g in drop)
            src.backup(str(target))
            return frozenset()
        finally:
            del src

    def _rebuild_pays(self, src: ox.Store, drop: Collection[ox.NamedNode]) -> bool:
        """Whether the other graphs hold at most REBUILD_FACTOR times the quads of ``drop``:
        counted exactly for ``drop``, and for the store only up to that bound (the decision
        reads at most 1 + REBUILD_FACTOR times the replaced quads, in the engine)."""
        replaced = 0
        for graph in drop:
            rows = self.rows("graph-triple-count", {"g": graph}, store=src)
            replaced += int(rows[0]["triples"]) if rows else 0
        if replaced == 0:
            return False
        bound = (1 + REBUILD_FACTOR) * replaced
        rows = self.rows("store-quads-up-to", {"cap": bound + 1}, store=src)
        total = int(rows[0]["quads"]) if rows else 0
        return total <= bound

    @staticmethod
    def _write_lineage(parent: Path | None, target: Path) -> None:
        names = [*lineage(parent), parent.name] if parent is not None else []
        (target / LINEAGE_FILE).write_text("\n".join(names) + "\n", encoding="ascii")

    def _publish(self, name: str) -> None:
        link_tmp = self.root / f".current.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link_tmp.unlink()
        os.symlink(name, link_tmp)
        os.replace(link_tmp, self.current_link)  # atomic on POSIX
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    # -- whole generations (backup and restore) ---------------------------------
    @property
    def pins_dir(self) -> Path:
        return self.root / "pins"

    @contextlib.contextmanager
    def pinned(self) -> Iterator[Path]:
        """The published generation, kept from garbage collection until the block ends.

        A backup reads a generation for minutes while writers go on publishing; without the
        pin, the third publish after it would delete the files being copied. Taken without
        the write lock, so that a backup never waits for (or holds up) a long load.
        """
        for _attempt in range(5):
            gen = self.current_generation()
            if gen is None:
                raise StoreError(f"{self.root} holds no published data to back up")
            try:
                self.pins_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot write in {self.root}: {exc}") from exc
            pin = self.pins_dir / f"{gen.name}.{os.getpid()}.{threading.get_ident()}"
            pin.touch()
            try:
                if (gen / "oxigraph").is_dir():  # not collected between reading and pinning
                    yield gen
                    return
            finally:
                pin.unlink(missing_ok=True)
        raise StoreError(f"the published generation of {self.root} kept changing; try again")

    def _pinned_names(self) -> set[str]:
        """Generations pinned by a live process (pins of dead processes are removed)."""
        names: set[str] = set()
        if not self.pins_dir.is_dir():
            return names
        for pin in self.pins_dir.iterdir():
            gen, _, rest = pin.name.partition(".")
            pid = rest.split(".", 1)[0]
            try:
                os.kill(int(pid), 0)
            except (ValueError, ProcessLookupError):
                pin.unlink(missing_ok=True)
                continue
            except PermissionError:
                pass
            names.add(gen)
        return names

    def install(self, fill: Callable[[Path], None]) -> str:
        """Publish a generation whose files ``fill`` writes into an empty directory.

        For a restore: the same lock, the same atomic switch and the same clean-up as every
        other writer, so readers see the old generation or the restored one, never a mix.
        ``fill`` must leave ``oxigraph/`` (and usually ``search/``) in the directory.
        """
        with self._write_lock():
            self._collect_garbage()
            name = f"gen-{time.time_ns():020d}"
            tmp = self.root / f".{name}.tmp"
            try:
                tmp.mkdir()
                fill(tmp)
                check = ox.Store.read_only(str(tmp / "oxigraph"))
                del check
                os.rename(tmp, self.root / name)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self._publish(name)
            return name

    def _collect_garbage(self) -> None:
        """Remove unfinished generations and all but the newest published (or pinned) ones."""
        if not self.root.exists():
            return
        current = self._published()
        for entry in self.root.iterdir():
            if entry.name.startswith(".gen-") and entry.name.endswith(".tmp"):
                shutil.rmtree(entry, ignore_errors=True)
        gens = sorted(p for p in self.root.iterdir() if p.name.startswith("gen-"))
        keep = set(gens[-KEEP_GENERATIONS:])
        if current is not None:
            keep.add(current)
        pinned = self._pinned_names()
        keep |= {p for p in gens if p.name in pinned}
        for p in gens:
            if p not in keep:
                shutil.rmtree(p, ignore_errors=True)

    # -- queries -----------------------------------------------------------
    def query(
        self,
        sparql: str,
        substitutions: Mapping[ox.Variable, Any] | None = None,
        store: ox.Store | None = None,
    ) -> Any:
        """Run SPARQL over the union of all named graphs (the dataset's default graph)."""
        target = store if store is not None else self.reader()
        return target.query(
            sparql,
            substitutions=dict(substitutions) if substitutions else None,
            use_default_graph_as_union=True,
        )

    def run(
        self, name: str, params: Mapping[str, Any] | None = None, store: ox.Store | None = None
    ) -> Any:
        """Run the stored query ``queries/{name}.rq`` with its parameters bound."""
        stored = get_query(name)
        text, subs = stored.bind(params or {}, self.settings.rebase)
        return self.query(self.rebase_text(text), subs, store=store)

    def rebase_text(self, sparql: str) -> str:
        """Point a stored query's canonical IRIs at the configured base (our text, not input)."""
        if self.settings.base_uri == CANONICAL_BASE:
            return sparql
        return sparql.replace(CANONICAL_BASE, self.settings.base_uri)

    def rows(
        self, name: str, params: Mapping[str, Any] | None = None, store: ox.Store | None = None
    ) -> list[dict[str, Any]]:
        """Run a stored SELECT and return plain Python rows (strings, ints, floats)."""
        result = self.run(name, params, store=store)
        return solutions_to_rows(result)

    def stored(self, name: str) -> StoredQuery:
        return get_query(name)


def base_from_graphs(store: ox.Store) -> str | None:
    """The base of a store written before bases were recorded: its graphs are ``{base}graph/..``."""
    for g in store.named_graphs():
        if isinstance(g, ox.NamedNode):
            cut = g.value.find("/graph/", len("https://"))
            if cut > 0:
                return g.value[: cut + 1]
    return None


def base_mismatch_text(root: Path, made: str, base: str) -> str:
    return (
        f"the store {root} was made with the canonical base <{made}>, but this deployment's "
        f"base is <{base}> (KIEMEN_BASE_URI). Set KIEMEN_BASE_URI={made}, or rewrite the "
        f"store's IRIs once with `kiemen migrate-base`."
    )


def term_value(term: Any) -> Any:
    """A Python value for an RDF term: IRIs and strings as str, numbers as numbers."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt.endswith(("#integer", "#int", "#long", "#nonNegativeInteger")):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if dt.endswith(("#decimal", "#double", "#float")):
            try:
                return float(term.value)
            except ValueError:
                return term.value
        if dt.endswith("#boolean"):
            return term.value == "true"
        return term.value
    return term.value


def solutions_to_rows(result: Any) -> list[dict[str, Any]]:
    names = [v.value for v in result.variables]
    rows = []
    for solution in result:
        rows.append({n: term_value(solution[n]) for n in names})
    return rows
