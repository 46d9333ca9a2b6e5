"""Validation while the data streams in: every focus node checked, in bounded memory.

A source's triples pass by once — read from the file by a thread while pyoxigraph's bulk loader
writes the same file on the other core, or handed over by a Python loader as it writes them.
Consecutive statements about one subject form a *block*, which is checked against the shapes as
soon as the subject changes (:mod:`core.validation.shapes`). What a rule needs to know about the
nodes a block points to (their types, their scheme) comes from

* a small memo of every node already streamed (types and the few predicates value rules read),
* the rest of the store (the ontology, the curated data, other sources), cached, or
* a later block: the focus waits, with its block, until the node it points to streams past.

Anything the stream cannot settle for certain — a block whose subject shows up again later, a
subject that other graphs describe too, a focus with an error, a focus still waiting at the end
— is checked again at :meth:`Checker.finish` against the private store generation, which by then
holds everything. So results are exact, while memory stays bounded: the memo and the waiting
room have fixed limits, and what overflows them is simply re-checked from the store.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox

from core.validation.shapes import (
    EMPTY,
    Desc,
    Evaluator,
    FastEvaluator,
    Result,
    Shape,
    Shapes,
    Term,
)
from core.vocab import RDF_TYPE

_EMPTY_MAP: dict[str, list[Term]] = {}
_NO_TYPES: frozenset[str] = frozenset()
#: Components whose verdict depends on other nodes (re-checked against the store when negative).
_REFERRING = {"class", "node", "not", "or", "and", "xone", "qualifiedValueShape"}


class ContextReader(Protocol):
    """Reads what the store holds before a source streams in (stored queries, in practice)."""

    def types(self) -> Iterable[tuple[str, Term]]: ...

    def values(self, predicate: str) -> Iterable[tuple[str, Term]]: ...


@dataclass
class Waiting:
    """A focus whose block is complete but that points at nodes not seen yet."""

    focus: Term
    desc: Desc
    shapes: list[Shape]
    session: Session
    waits: set[int]


@dataclass
class Finding:
    """A result, with the session (source) whose data it is about."""

    session: Session
    result: Result


class Session:
    """One source's stream into one named graph."""

    def __init__(self, checker: Checker, label: str, graph: ox.NamedNode) -> None:
        self.checker = checker
        self.label = label
        self.graph = graph
        self.count = 0
        self.blocks = 0
        self._subject: Any = None
        self._subject_key: str | None = None
        self._block: dict[str, list[Term]] = {}
        self._blank: dict[str, tuple[Term, dict[str, list[Term]]]] = {}
        #: Also handed every block (see :meth:`collect`).
        self._sink: Callable[[str, dict[str, list[Term]]], None] | None = None
        #: Run once when the stream has ended (see :meth:`when_streamed`).
        self._after: Callable[[], None] | None = None
        #: The checking thread of :meth:`alongside` while it finishes, and what it raised then.
        self._thread: threading.Thread | None = None
        self._late_error: BaseException | None = None
        self._cancelled = False
        #: Whether the stream has ended: from then on no sink takes what is fed.
        self.ended = False

    def collect(self, sink: Callable[[str, dict[str, list[Term]]], None]) -> None:
        """Also hand each subject's block to ``sink`` (key ``_:label`` for a blank node): the
        index build keeps what it needs of it instead of reading the data back from disk."""
        self._sink = sink

    def when_streamed(self, after: Callable[[], None]) -> None:
        """Run ``after`` once the stream has ended: on the checking thread when the source is
        bulk-loaded :meth:`alongside` (the core is otherwise idle until the bulk loader is done),
        else when the session closes."""
        self._after = after

    def _ended(self) -> None:
        self._flush()
        self.checker._check_all_later()
        self.ended = True
        # Sessions and their checker refer to each other: drop the sink now, or what it holds
        # would wait for the cyclic collector.
        self._sink = None
        after, self._after = self._after, None
        if after is not None:
            after()

    # -- feeding ------------------------------------------------------------------------------
    def feed(self, triples: Iterable[Any]) -> int:
        """Consume triples (or quads) of this source; returns how many.

        Fed once the stream has :attr:`ended` (links out's statements after a bulk load), they
        are checked but reach no sink; with a checking thread :meth:`alongside`, :meth:`wait`
        for it first, as it flushes the file's last block."""
        n = 0
        start = self.count
        named = ox.NamedNode
        add = self._add
        key, block = self._subject_key, self._block
        for n, t in enumerate(triples, 1):
            s = t.subject
            if type(s) is not named:
                add(t)  # may flush the block of the named subject before it
                key, block = self._subject_key, self._block
                continue
            sv = s.value
            if sv != key:
                self._flush()
                self._subject = s
                self._subject_key = key = sv
                block = self._block
                self.count = start + n  # once a subject: what progress reports as read
            p = t.predicate.value
            values = block.get(p)
            if values is None:
                block[p] = [t.object]
            else:
                values.append(t.object)
        self.count = start + n
        return n

    def through(self, quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        """Pass quads on (to ``bulk_extend``) while checking them."""
        for q in quads:
            self.count += 1
            self._add(q)
            yield q

    @contextlib.contextmanager
    def alongside(
        self, path: str, fmt: ox.RdfFormat, base_iri: str | None = None
    ) -> Iterator[None]:
        """Check the file at ``path`` in a thread while the block's body loads it.

        Once the body is done and the thread has read the whole file, this returns; the thread
        may still be doing what :meth:`when_streamed` asked, which :meth:`close` waits for.
        """
        error: list[BaseException] = []
        fed = threading.Event()

        def run() -> None:
            try:
                # Lenient: the bulk loader reads the same file strictly and fails the load on
                # anything invalid, so the checker need not validate each IRI again (half the
                # parse's CPU).
                self.feed(ox.parse(path=path, format=fmt, base_iri=base_iri, lenient=True))
            except BaseException as exc:  # noqa: BLE001 - handed to the loading thread, raised there
                error.append(exc)
                return
            finally:
                fed.set()
            if self._cancelled:
                return
            try:
                self._ended()
            except BaseException as exc:  # noqa: BLE001 - close() raises it in the loading thread
                self._late_error = exc

        thread = threading.Thread(target=run, name="kiemen-check", daemon=True)
        thread.start()
        try:
            yield
        except BaseException:
            self._cancelled = True
            thread.join()
            raise
        fed.wait()
        if error:
            thread.join()
            raise error[0]
        self._thread = thread

    def _add(self, t: Any) -> None:
        s = t.subject
        if type(s) is ox.BlankNode:
            key = s.value
            entry = self._blank.get(key)
            if entry is None:
                entry = (s, {})
                self._blank[key] = entry
            entry[1].setdefault(t.predicate.value, []).append(t.object)
            if len(self._blank) > 10_000:
                self._flush()
            return
        if type(s) is ox.NamedNode:
            sv = s.value
        else:  # an RDF-star triple term as subject: check nothing about it
            return
        if sv != self._subject_key:
            self._flush()
            self._subject = s
            self._subject_key = sv
        block = self._block
        p = t.predicate.value
        values = block.get(p)
        if values is None:
            block[p] = [t.object]
        else:
            values.append(t.object)

    def _flush(self) -> None:
        # Blank nodes first: the block that points at them is usually the one just ending.
        sink = self._sink
        if self._blank:
            for key, (node, block) in self._blank.items():
                self.checker._block(self, node, "_:" + key, block)
                if sink is not None:
                    sink("_:" + key, block)
            self._blank = {}
        if self._subject is not None:
            self.checker._block(self, self._subject, self._subject_key or "", self._block)
            if sink is not None:
                sink(self._subject_key or "", self._block)
            self.blocks += 1
            self._block = {}
            self._subject = None
            self._subject_key = None

    def wait(self) -> None:
        """Wait for the checking thread, if it is still busy (see :meth:`alongside`)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def close(self) -> None:
        self.wait()
        late, self._late_error = self._late_error, None
        if late is not None:
            raise late
        self._ended()


class Checker:
    """Validates one load: sessions stream sources in, :meth:`finish` settles the rest."""

    def __init__(
        self,
        shapes: Shapes,
        store: ox.Store,
        *,
        max_errors: int = 200,
        max_warnings: int = 200,
        memo_limit: int = 1_500_000,
        waiting_limit: int = 50_000,
        suspect_limit: int = 100_000,
        subjects_of: Callable[[ox.NamedNode], Iterable[str]] | None = None,
        read_context: ContextReader | None = None,
        context_limit: int = 300_000,
        window: int = 16,
    ) -> None:
        self.subjects_of = subjects_of
        #: Each block is checked once this many more have streamed: the nodes it points to
        #: are often described just after it (an initiative's channels and facts), and a check
        #: that has to wait for them costs it twice, with the waiting's bookkeeping.
        self.window = window
        self._later: deque[tuple[Session, Term, Desc, list[Shape]]] = deque()
        self.read_context = read_context
        self.context_limit = context_limit
        self._context_complete = False
        self._all_complete = read_context is not None
        self.shapes = shapes
        self.store = store
        self.max_errors = max_errors
        self.max_warnings = max_warnings
        self.memo_limit = memo_limit
        self.waiting_limit = waiting_limit
        self.suspect_limit = suspect_limit
        self.sessions: list[Session] = []
        self._memo: dict[int, Desc] = {}
        self._types: dict[frozenset[str], frozenset[str]] = {}
        self._one_type: dict[str, frozenset[str]] = {}
        #: One memo entry per set of types for the many nodes with no value-rule values: a
        #: Desc each took 48 bytes a node (66 MB of the memo's 1.4 M nodes at 10 M triples).
        self._bare: dict[frozenset[str], Desc] = {}
        self._context: OrderedDict[str, Desc | None] = OrderedDict()
        self._waiting: OrderedDict[int, Waiting] = OrderedDict()
        self._waits_for: dict[int, list[Waiting]] = {}
        self._suspects: OrderedDict[str, Session] = OrderedDict()
        self.suspects_overflowed = False
        self._warnings: dict[str, list[Finding]] = {}
        self.warning_count = 0
        self._blank_findings: list[Finding] = []
        self.focus_checked = 0
        self._misses: list[Term] = []
        self._late: list[Waiting] = []
        self._store_cache: OrderedDict[str, Desc] = OrderedDict()
        self._current: Session | None = None
        self.error_count = 0
        self._stream_eval = FastEvaluator(shapes, self._stream_describe)
        self._value_preds = shapes.value_predicates

    def session(self, label: str, graph: ox.NamedNode) -> Session:
        """Start streaming one source; what the store holds now becomes its context."""
        s = Session(self, label, graph)
        self.sessions.append(s)
        if self.read_context is not None:
            self._preload(self.read_context)
        return s

    def _preload(self, read: ContextReader) -> None:
        """Read the types (and value-rule predicates) of the nodes the store already holds.

        With the context in memory the stream never reads the store while the bulk loader
        writes it (which slows the loader down); a node found nowhere then simply waits for its
        block. Past ``context_limit`` nodes the rest is looked up one by one instead.
        """
        types: dict[str, list[Term]] = {}
        complete = True
        for iri, t in read.types():
            lst = types.get(iri)
            if lst is None:
                if len(types) >= self.context_limit:
                    complete = False
                    break
                lst = types[iri] = []
            lst.append(t)
        values: dict[str, dict[str, list[Term]]] = {}
        for p in self._value_preds:
            for iri, o in read.values(p):
                if iri in types or complete:
                    values.setdefault(iri, {}).setdefault(p, []).append(o)
        self._context.clear()
        for iri in types.keys() | values.keys():
            self._context[iri] = Desc(
                self._intern_types(types.get(iri)), values.get(iri) or _EMPTY_MAP
            )
        self._context_complete = complete
        self._all_complete = self._all_complete and complete

    # -- the stream ---------------------------------------------------------------------------
    def _intern_types(self, values: list[Term] | None) -> frozenset[str]:
        if not values:
            return _NO_TYPES
        if len(values) == 1:  # most nodes: one type, one shared set for it
            v = values[0]
            if type(v) is not ox.NamedNode:
                return _NO_TYPES
            iri = v.value
            found = self._one_type.get(iri)
            if found is None:
                found = self._one_type[iri] = self._intern(frozenset((iri,)))
            return found
        return self._intern(frozenset(v.value for v in values if type(v) is ox.NamedNode))

    def _intern(self, types: frozenset[str]) -> frozenset[str]:
        return self._types.setdefault(types, types)

    def _described(self, types: frozenset[str], proj: dict[str, list[Term]]) -> Desc:
        """A memo entry: shared by all nodes of the same types that no value rule reads."""
        if proj is not _EMPTY_MAP:
            return Desc(types, proj)
        bare = self._bare.get(types)
        if bare is None:
            bare = self._bare[types] = Desc(types, _EMPTY_MAP)
        return bare

    def _block(self, session: Session, node: Term, key: str, block: dict[str, list[Term]]) -> None:
        types = self._intern_types(block.get(RDF_TYPE))
        desc = Desc(types, block)
        blank = key.startswith("_:")
        h = hash(("_:" + str(id(session)) + key) if blank else key)
        old = self._memo.get(h)
        if not blank and self._context_complete and key in self._context:
            # Another graph describes this subject too: only the store sees it whole.
            self._suspect(key, session)
        if old is not None and not blank:
            # The subject was described before in the stream: only the store sees it whole.
            self._suspect(key, session)
            types = self._intern(old.types | types)
        if old is not None or len(self._memo) < self.memo_limit:
            proj = _EMPTY_MAP
            for p in self._value_preds:
                if p in block:
                    if proj is _EMPTY_MAP:
                        proj = {}
                    proj[p] = block[p]
            if old is not None and old.values_by:
                merged = {k: list(v) for k, v in old.values_by.items()}
                for k, v in proj.items():
                    merged.setdefault(k, []).extend(v)
                proj = merged
            self._memo[h] = self._described(types, proj)
        waiting = self._waits_for.pop(h, None)
        if waiting:
            for w in waiting:
                w.waits.discard(h)
                if not w.waits and self._waiting.pop(id(w), None) is not None:
                    self._check(w.session, w.focus, w.desc, w.shapes)
        if old is not None and not blank:
            return
        shapes = self.shapes.for_node(key, desc)
        if shapes:
            later = self._later
            later.append((session, node, desc, shapes))
            if len(later) > self.window:
                self._check_later(*later.popleft())

    def _check_later(self, session: Session, focus: Term, desc: Desc, shapes: list[Shape]) -> None:
        if self._suspects and type(focus) is ox.NamedNode and focus.value in self._suspects:
            return  # described again meanwhile: checked whole from the store at the end
        self._check(session, focus, desc, shapes)

    def _check_all_later(self) -> None:
        """Check the blocks still held back (see :attr:`window`)."""
        later = self._later
        while later:
            self._check_later(*later.popleft())

    def _check(self, session: Session, focus: Term, desc: Desc, shapes: list[Shape]) -> None:
        self.focus_checked += 1
        self._current = session
        ev = self._stream_eval
        self._misses = []
        ev.unknown = False
        results = ev.check(focus, desc, shapes)
        if not results and not ev.unknown:
            return  # most nodes
        blank = type(focus) is ox.BlankNode
        if ev.unknown and self._misses:
            waits = {self._key_hash(m, session) for m in self._misses}
            w = Waiting(focus, desc, shapes, session, waits)
            self._waiting[id(w)] = w
            for h in waits:
                self._waits_for.setdefault(h, []).append(w)
            if len(self._waiting) > self.waiting_limit:
                _key, oldest = self._waiting.popitem(last=False)
                self._give_up_waiting(oldest)
            return
        suspicious = any(r.severity == "error" or r.component in _REFERRING for r in results)
        if blank:
            for r in results:
                self._record(Finding(session, r), blank=True)
            return
        if suspicious:
            self._suspect(focus.value, session)
            return
        for r in results:
            self._record(Finding(session, r))

    def _give_up_waiting(self, w: Waiting) -> None:
        for h in w.waits:
            lst = self._waits_for.get(h)
            if lst is not None:
                with contextlib.suppress(ValueError):
                    lst.remove(w)
                if not lst:
                    del self._waits_for[h]
        if type(w.focus) is ox.BlankNode:
            self._late.append(w)
        else:
            self._suspect(w.focus.value, w.session)

    def _key_hash(self, node: Term, session: Session) -> int:
        if type(node) is ox.BlankNode:
            return hash("_:" + str(id(session)) + "_:" + node.value)
        return hash(node.value)

    def _stream_describe(self, node: Term) -> Desc | None:
        if type(node) is ox.BlankNode:
            d = None
            if self._current is not None:
                d = self._memo.get(self._key_hash(node, self._current))
            if d is None:
                self._misses.append(node)
            return d
        d = self._memo.get(hash(node.value))
        if d is not None:
            return d
        d = self._context_desc(node)
        if d is None:
            self._misses.append(node)
        return d

    def _context_desc(self, node: Term) -> Desc | None:
        """Types and value-rule predicates of a node as the store holds it so far (cached)."""
        key = node.value
        if key in self._context:
            if not self._context_complete:
                self._context.move_to_end(key)
            return self._context[key]
        if self._context_complete:
            return None
        store = self.store
        rdf_type = ox.NamedNode(RDF_TYPE)
        types = [q.object for q in store.quads_for_pattern(node, rdf_type, None, None)]
        proj: dict[str, list[Term]] = {}
        for p in self._value_preds:
            vals = [q.object for q in store.quads_for_pattern(node, ox.NamedNode(p), None, None)]
            if vals:
                proj[p] = vals
        d = Desc(self._intern_types(types), proj or _EMPTY_MAP) if (types or proj) else None
        self._context[key] = d
        if len(self._context) > self.context_limit + 100_000:
            self._context.popitem(last=False)
        return d

    def _suspect(self, iri: str, session: Session) -> None:
        self._warnings.pop(iri, None)
        if iri in self._suspects:
            return
        if len(self._suspects) >= self.suspect_limit:
            self.suspects_overflowed = True
            return
        self._suspects[iri] = session

    def _record(self, f: Finding, blank: bool = False) -> None:
        if f.result.severity == "error":
            self._blank_findings.append(f)
            return
        self.warning_count += 1
        if blank:
            if len(self._blank_findings) < self.max_warnings * 4:
                self._blank_findings.append(f)
            return
        if len(self._warnings) < self.max_warnings:
            self._warnings.setdefault(f.result.focus.value, []).append(f)

    def streams_done(self) -> None:
        """No more sources will stream: let go of the memo of streamed nodes now (settling
        reads the store), so that freeing it does not hold up the end of the load."""
        self._memo = {}
        self._bare = {}
        self._stream_eval.forget()

    # -- settling against the store -----------------------------------------------------------
    def close_streams(self) -> None:
        for s in self.sessions:
            s.close()

    def wait(self) -> None:
        """Let every checking thread end (a failed load must not leave one writing)."""
        for s in self.sessions:
            s._cancelled = True
            s.wait()

    @property
    def knows_shared_subjects(self) -> bool:
        """Whether the stream itself caught subjects that other graphs describe too."""
        return self._all_complete

    def finish(
        self, shared_subjects: Mapping[Session, Iterable[str]] | None = None
    ) -> list[Finding]:
        """Settle everything the stream left open; return errors first, then warnings."""
        self.close_streams()
        store_eval = Evaluator(self.shapes, self._store_describe)
        errors = [f for f in self._blank_findings if f.result.severity == "error"]
        blank_warnings = [f for f in self._blank_findings if f.result.severity != "error"]
        for session, iris in (shared_subjects or {}).items():
            for iri in iris:
                self._suspect(iri, session)
        self._settle_late(store_eval, errors)
        checked = self._settle_suspects(store_eval, errors)
        if self.suspects_overflowed and len(errors) < self.max_errors and self.subjects_of:
            self._settle_all(store_eval, errors, checked)
        findings = errors[: self.max_errors]
        for lst in self._warnings.values():
            findings.extend(lst)
        findings.extend(blank_warnings)
        self.error_count = len(errors)
        return findings

    def _sort(self, session: Session, results: Iterable[Result], errors: list[Finding]) -> None:
        """Errors go to ``errors``; warnings are kept per subject."""
        for r in results:
            f = Finding(session, r)
            if r.severity == "error":
                errors.append(f)
            else:
                self._record(f)

    def _settle_late(self, store_eval: Evaluator, errors: list[Finding]) -> None:
        """Nodes whose check waited for another node: decide them now, from the store."""
        late = self._late + list(self._waiting.values())
        self._late = []
        self._waiting.clear()
        self._waits_for.clear()
        for w in late:
            if type(w.focus) is ox.NamedNode and w.focus.value in self._suspects:
                continue  # checked whole from the store below
            for shape in w.shapes:
                self._sort(w.session, store_eval.validate(w.focus, w.desc, shape), errors)

    def _settle_suspects(self, store_eval: Evaluator, errors: list[Finding]) -> set[str]:
        """Subjects described in more than one place: check each whole, from the store."""
        checked: set[str] = set()
        for iri, session in list(self._suspects.items()):
            if len(errors) >= self.max_errors:
                break
            checked.add(iri)
            self._warnings.pop(iri, None)
            self._sort(session, self._revalidate(ox.NamedNode(iri), store_eval), errors)
        return checked

    def _settle_all(self, store_eval: Evaluator, errors: list[Finding], checked: set[str]) -> None:
        """Too many suspects to track: check every subject of every graph from the store."""
        assert self.subjects_of is not None
        for session in self.sessions:
            for iri in self.subjects_of(session.graph):
                if iri in checked:
                    continue
                self._sort(session, self._revalidate(ox.NamedNode(iri), store_eval), errors)
                if len(errors) >= self.max_errors:
                    break

    def _revalidate(self, node: ox.NamedNode, ev: Evaluator) -> list[Result]:
        desc = self._store_describe(node) or EMPTY
        results: list[Result] = []
        for shape in self.shapes.for_node(node.value, desc):
            results.extend(ev.validate(node, desc, shape))
        return results

    def _store_describe(self, node: Term) -> Desc:
        """Everything the store says about a node (all graphs): the final word."""
        cache = self._store_cache
        key = ("_:" if type(node) is ox.BlankNode else "") + node.value
        d = cache.get(key)
        if d is not None:
            return d
        values: dict[str, list[Term]] = {}
        for q in self.store.quads_for_pattern(node, None, None, None):
            lst = values.setdefault(q.predicate.value, [])
            if q.object not in lst:
                lst.append(q.object)
        d = Desc(self._intern_types(values.get(RDF_TYPE)), values)
        cache[key] = d
        if len(cache) > 20_000:
            cache.popitem(last=False)
        return d
