"""SPARQL execution in worker processes that are killed and replaced at the deadline.

pyoxigraph has no query timeout, so a query runs where it can be stopped: in a worker process of
a small pool. The web process hands a :class:`Job` over a pipe and waits until the deadline; a
worker that has not answered by then is killed (SIGKILL) and a fresh one takes its place, so a
runaway query costs one process and never a web thread or another client's answer.

Workers are plain subprocesses (``python -m core.sparql.engine``), started ahead of need and
killed by the kernel if the web process dies. Each opens the store read-only through
:meth:`core.store.KiemenStore.reader`, which reopens itself when a writer publishes a new
generation. Writes (SPARQL Update and the Graph Store Protocol) run under a deadline too, one at
a time, in the pool's *write worker*: a worker like the others (confined, killed at the
deadline), started with the pool, that outlives its writes and, while it waits, reads the
published generation's index state ahead (:func:`core.indexes.incremental.warm`), so that a
write patches the indexes from state in memory instead of reading it back from disk (about 0.9 s
at a million triples). It is replaced when killed, when a write failed, and when it has grown
past :data:`WRITER_RESIDENT_SHARE` of the query workers' memory cap. Every write goes through the
one write pipeline (:func:`core.write.pipeline.run`: authorised by what the engine did, validated
against the shapes, recorded in the provenance graph), so it is atomic: a worker killed half-way
leaves the published store exactly as it was.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import datetime as dt
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from core import data_updates, effects
from core.config import Settings
from core.failpoints import fault
from core.formats import RDF_FORMATS, RESULTS_FORMATS, by_key
from core.indexes import incremental
from core.indexes import state as index_state
from core.prefixes import ontology_prefixes
from core.problems import Problem
from core.sparql import results as sparql_results
from core.sparql import sandbox
from core.sparql.channel import Channel, Timeout
from core.sparql.text import DEFAULT_GRAPH
from core.store import Generation, KiemenStore, StoreError, graph_iri
from core.tokens import bundled_graph_iris, covers
from core.validation.graphs import validate_graphs
from core.write import pipeline, provenance

TRUNCATED_HEADER = "Kiemen-Truncated"
log = logging.getLogger(__name__)
#: Jobs that only read; a worker that ran anything else is replaced.
READ_KINDS = ("query", "graph-get")
#: CPU seconds under which a job leaves its worker warm and in good shape for the next one.
WARM_SECONDS = 0.5
#: The write worker ends after a write once its resident memory passes this share of the query
#: workers' memory cap (a big write leaves a big address space behind); a fresh one takes over.
WRITER_RESIDENT_SHARE = 0.5
#: Seconds the idle write worker waits between looks at the published generation's index state.
WRITER_WARM_EVERY = 1.0


@dataclass
class Job:
    """One request for a worker; plain data so it crosses the pipe cheaply."""

    kind: str  # query | update | graph-get | graph-put | graph-post | graph-delete
    text: str = ""
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    query_has_dataset: bool = False
    results_format: str | None = None
    rdf_format: str | None = None
    max_rows: int = 10_000
    base_iri: str | None = None
    link: str = ""
    graph: str | None = None
    payloads: list[tuple[bytes, str]] = field(default_factory=list)
    grants: tuple[str, ...] = ()
    #: Who writes: the token's id and name (for the provenance record; never its secret).
    token_id: str = ""
    token_name: str = ""
    max_write_quads: int = 100_000
    memory_limit: int = 0


@dataclass
class Outcome:
    status: int
    body: bytes = b""
    media_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    #: CPU seconds the worker spent on the job (all of the time limit if it was killed).
    worker_seconds: float = 0.0
    #: The generation a read was answered from (the web process keeps answers under it).
    generation: str = ""
    #: The worker ends after this answer (the web process starts another when it needs one).
    retired: bool = False

    @classmethod
    def fail(cls, status: int, message: str) -> Outcome:
        return cls(status=status, error=message)


NO_NETWORK = (
    "this endpoint makes no network connections: SERVICE and LOAD cannot reach other servers "
    "(send data with the Graph Store at /store)"
)


def _is_network_error(exc: OSError) -> bool:
    """The engine tried (and the sandbox or its own rules stopped) an HTTP request.

    Only chooses the message: the sandbox, not this test, keeps the worker off the network.
    """
    return isinstance(exc, PermissionError) or "HTTP" in str(exc)


def _needs_memory(limit: int) -> str:
    size = f" of {limit // (1024 * 1024)} MB" if limit else ""
    return (
        f"the query needs too much memory (more than the limit{size}) or nests too deeply, and "
        "was stopped; make it more selective or add a LIMIT"
    )


class Refused(Exception):
    """Stop a job with an HTTP status (inside a write: the generation is thrown away)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- inside the worker --------------------------------------------------------------------------


def media(key: str, results: bool) -> str:
    fmt = by_key(key, RESULTS_FORMATS if results else RDF_FORMATS)
    assert fmt is not None
    if fmt.media_type.startswith("text/") or fmt.key in ("json", "xml", "nt", "nq", "trig"):
        return f"{fmt.media_type}; charset=utf-8"
    return fmt.media_type


def not_acceptable(results: bool) -> Outcome:
    formats = RESULTS_FORMATS if results else RDF_FORMATS
    kind = "SELECT and ASK results" if results else "CONSTRUCT and DESCRIBE results"
    return Outcome.fail(
        406,
        f"Not Acceptable: {kind} are offered as "
        + ", ".join(f"{f.media_type} (?format={f.key})" for f in formats),
    )


def _node(iri: str) -> Any:
    return ox.DefaultGraph() if iri == DEFAULT_GRAPH else ox.NamedNode(iri)


def _serialize_triples(triples: list[Any], key: str, truncated: bool, limit: int) -> bytes:
    fmt = by_key(key, RDF_FORMATS)
    assert fmt is not None and fmt.rdf is not None
    body = ox.serialize(triples, format=fmt.rdf) or b""
    if truncated:
        if key == "rdf":
            return sparql_results.with_xml_comment(body, limit)
        return sparql_results.truncation_note(key, limit) + body
    return body


def _used(prefixes: dict[str, str], text: str) -> dict[str, str]:
    """The predeclared prefixes the text may use (``name:`` occurs in it): the engine converts
    every prefix it is given on every query, ~2 µs each, and there are over forty."""
    return {name: iri for name, iri in prefixes.items() if name + ":" in text}


def run_query(kstore: KiemenStore, job: Job, prefixes: dict[str, str]) -> Outcome:
    store = kstore.reader()
    kwargs: dict[str, Any] = {"base_iri": job.base_iri, "prefixes": _used(prefixes, job.text)}
    if job.default_graphs is not None or job.named_graphs is not None:
        kwargs["default_graph"] = [_node(g) for g in job.default_graphs or []]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or []]
    elif not job.query_has_dataset:
        kwargs["use_default_graph_as_union"] = True
    try:
        result = store.query(job.text, **kwargs)
    except SyntaxError as exc:
        return Outcome.fail(400, f"SPARQL syntax error: {exc}")
    except PermissionError:
        return Outcome.fail(403, NO_NETWORK)
    if isinstance(result, ox.QueryBoolean):
        if job.results_format is None:
            return not_acceptable(True)
        body = sparql_results.boolean(job.results_format, bool(result))
        return Outcome(200, body, media(job.results_format, True))
    if isinstance(result, ox.QuerySolutions):
        return _solutions(job, result)
    return _graph_result(job, result)


def _solutions(job: Job, result: ox.QuerySolutions) -> Outcome:
    """A SELECT's rows, at most ``max_rows`` of them (the header says when more were cut).

    The engine writes the rows as TSV (one line a row) into a sink that counts lines and stops
    it past the cap; the wanted format is then written from those lines, again by the engine.
    No Python runs per row.
    """
    if job.results_format is None:
        return not_acceptable(True)
    limit = job.max_rows
    variables = [v.value for v in result.variables]
    if not variables:
        return _solutions_without_variables(job, result)
    sink = sparql_results.RowCap(limit)
    with contextlib.suppress(sparql_results.RowCapReached):  # the cap is the sink's to say
        result.serialize(sink, format=ox.QueryResultsFormat.TSV)
    tsv, truncated = sink.rows()
    headers = {TRUNCATED_HEADER: f"true; rows={limit}"} if truncated else {}
    body = sparql_results.from_tsv_bytes(job.results_format, tsv, truncated, job.link)
    return Outcome(200, body, media(job.results_format, True), headers)


def _solutions_without_variables(job: Job, result: ox.QuerySolutions) -> Outcome:
    """``SELECT * {}`` and the like: empty rows, counted here (TSV has no line for them)."""
    assert job.results_format is not None
    limit = job.max_rows
    rows = 0
    truncated = False
    for _solution in result:
        if rows >= limit:
            truncated = True
            break
        rows += 1
    headers = {TRUNCATED_HEADER: f"true; rows={limit}"} if truncated else {}
    body = sparql_results.solutions(job.results_format, [], [[]] * rows, truncated, job.link)
    return Outcome(200, body, media(job.results_format, True), headers)


def _graph_result(job: Job, result: Any) -> Outcome:
    """A CONSTRUCT's or DESCRIBE's triples, at most ``max_rows`` of them."""
    if job.rdf_format is None:
        return not_acceptable(False)
    limit = job.max_rows
    triples: list[Any] = []
    truncated = False
    for triple in result:
        if len(triples) >= limit:
            truncated = True
            break
        triples.append(triple)
    headers = {TRUNCATED_HEADER: f"true; triples={limit}"} if truncated else {}
    body = _serialize_triples(triples, job.rdf_format, truncated, limit)
    return Outcome(200, body, media(job.rdf_format, False), headers)


def _protected(kstore: KiemenStore, store: ox.Store) -> set[str]:
    """Graphs only ``kiemen load`` may change: the bundled ones and any with load provenance.

    Fails closed: if the provenance cannot be read, the write is refused.
    """
    names = bundled_graph_iris(kstore.settings)
    try:
        fault("authorise:protected-graphs")
        names |= {str(r["graph"]) for r in kstore.rows("loaded-graphs", store=store)}
    except Exception as exc:
        log.exception("the protected graphs could not be computed")
        raise Refused(
            503, "the server cannot tell which graphs are protected right now; nothing was written"
        ) from exc
    return names


def _label(graph: str) -> str:
    return "the default graph" if graph == DEFAULT_GRAPH else f"<{graph}>"


def _check_target(graph: str, grants: tuple[str, ...], protected: set[str]) -> None:
    if graph in protected:
        raise Refused(
            403, f"{_label(graph)} is filled by `kiemen load` and cannot be changed over HTTP"
        )
    if not covers(grants, graph):
        raise Refused(403, f"this token may not write {_label(graph)}")


def _graph_key(term: Any) -> str:
    return term.value if isinstance(term, ox.NamedNode) else DEFAULT_GRAPH


def _fingerprints(store: ox.Store, keep: Any) -> dict[str, tuple[int, int]]:
    """Count and order-independent hash of every graph ``keep(graph)`` selects.

    Comparing these before and after an update tells which of those graphs it changed, from
    what the engine did rather than from reading the update's text.
    """
    out: dict[str, tuple[int, int]] = {}
    graphs: list[Any] = [ox.DefaultGraph(), *store.named_graphs()]
    for graph in graphs:
        key = _graph_key(graph)
        if isinstance(graph, ox.BlankNode) or not keep(key):
            continue
        count, total = 0, 0
        for quad in store.quads_for_pattern(None, None, None, graph):
            count += 1
            total = (total + hash(quad)) & 0xFFFFFFFFFFFFFFFF
        out[key] = (count, total)
    return out


def _parse_payloads(job: Job, graph: Any) -> list[Any]:
    quads: list[Any] = []
    for body, media in job.payloads:
        fmt = by_key(media.split(";")[0].strip(), RDF_FORMATS)
        if fmt is None or fmt.rdf is None:
            raise Refused(415, f"cannot read {media or 'a body without Content-Type'} as RDF")
        base = graph.value if isinstance(graph, ox.NamedNode) else job.base_iri
        try:
            for q in ox.parse(body, format=fmt.rdf, base_iri=base, rename_blank_nodes=True):
                if not isinstance(q.graph_name, ox.DefaultGraph):
                    raise Refused(400, "the body names graphs; send the triples of one graph")
                quads.append(ox.Quad(q.subject, q.predicate, q.object, graph))
                if len(quads) > job.max_write_quads:
                    raise Refused(413, _too_many(job.max_write_quads))
        except SyntaxError as exc:
            raise Refused(400, f"the body is not valid {fmt.label}: {exc}") from exc
    return quads


def _too_many(limit: int) -> str:
    return (
        f"the write changes more than {limit} statements (KIEMEN_MAX_WRITE_QUADS); "
        "load large data with `kiemen load`"
    )


def _meta_fingerprint(kstore: KiemenStore, store: ox.Store) -> tuple[int, int]:
    """Count and hash of the meta graph without the write records (which no update may change:
    the pipeline puts them back, see provenance.keep_write_records)."""
    settings = kstore.settings
    meta = graph_iri(settings, provenance.META_GRAPH)
    count, total = 0, 0
    for quad in store.quads_for_pattern(None, None, None, meta):
        if not provenance.is_write_record(quad, settings):
            count += 1
            total = (total + hash(quad)) & 0xFFFFFFFFFFFFFFFF
    return count, total


def _all_fingerprints(kstore: KiemenStore, store: ox.Store) -> dict[str, tuple[int, int]]:
    """Fingerprints of every graph, the meta graph's without its write records."""
    meta = graph_iri(kstore.settings, provenance.META_GRAPH).value
    out = _fingerprints(store, lambda graph: graph != meta)
    counted = _meta_fingerprint(kstore, store)
    if counted != (0, 0):
        out[meta] = counted
    return out


def _run_update(
    kstore: KiemenStore,
    store: ox.Store,
    job: Job,
    prefixes: dict[str, str],
    protected: set[str],
    before: dict[str, tuple[int, int]],
) -> list[str]:
    """Run an update in the private generation; refuse if it changed a graph it may not.

    ``before`` holds the fingerprints of every graph taken before the update; the graphs it
    changed are decided from what the engine did, never from the update's text. Returns them.
    """
    try:
        store.update(job.text, base_iri=job.base_iri, prefixes=prefixes)
    except SyntaxError as exc:
        raise Refused(400, f"SPARQL syntax error: {exc}") from exc
    except OSError as exc:
        if _is_network_error(exc):
            raise Refused(403, NO_NETWORK) from exc
        raise
    except RuntimeError as exc:  # the engine's own evaluation errors ("graph does not exist")
        raise Refused(400, f"the update failed: {exc}") from exc
    after = _all_fingerprints(kstore, store)
    changed = sorted(g for g in before.keys() | after.keys() if before.get(g) != after.get(g))
    for graph in changed:
        _check_target(graph, job.grants, protected)
    moved = sum(abs(after.get(g, (0, 0))[0] - before.get(g, (0, 0))[0]) for g in changed)
    if moved > job.max_write_quads:
        raise Refused(413, _too_many(job.max_write_quads))
    return changed


def _apply_data(
    store: ox.Store, job: Job, operations: list[data_updates.Operation], protected: set[str]
) -> tuple[list[str], effects.Delta]:
    """An update of INSERT DATA / DELETE DATA only, applied as read (:mod:`core.data_updates`):
    the graphs it changed are those of the quads it added or removed, exactly, checked like
    :func:`_run_update`'s. Returns them and the delta."""
    effect = data_updates.apply(store, operations)
    changed = sorted({_graph_key(g) for g in effect.graphs()})
    for graph in changed:
        _check_target(graph, job.grants, protected)
    if len(effect.added) + len(effect.removed) > job.max_write_quads:
        raise Refused(413, _too_many(job.max_write_quads))
    return changed, effects.Delta(effect.added, effect.removed)


def _write_graph(store: ox.Store, job: Job) -> Outcome:
    """A Graph Store PUT, POST or DELETE of ``job.graph`` in the private generation."""
    assert job.graph is not None
    graph = _node(job.graph)
    existed = job.graph == DEFAULT_GRAPH or store.contains_named_graph(graph)
    if job.kind == "graph-delete":
        if not existed:
            raise Refused(404, f"there is no graph <{job.graph}>")
        store.remove_graph(graph)
        return Outcome(204)
    quads = _parse_payloads(job, graph)
    if job.kind == "graph-put" and existed:
        store.remove_graph(graph)
    if job.graph != DEFAULT_GRAPH:
        store.add_graph(graph)
    store.extend(quads)
    if existed:
        return Outcome(204)
    return Outcome(201, headers={"Location": job.graph})


#: Most broken rules listed in a refusal (the rest are counted).
MAX_LISTED_PROBLEMS = 20


def _shape_report(errors: list[Problem]) -> str:
    lines = [
        f"{p.source}, <{p.focus}>: {p.message} [{p.rule}]" if p.focus else f"{p.source}: {p}"
        for p in errors[:MAX_LISTED_PROBLEMS]
    ]
    if len(errors) > MAX_LISTED_PROBLEMS:
        lines.append(f"… and {len(errors) - MAX_LISTED_PROBLEMS} more")
    return (
        "the write breaks the shapes, so nothing was written (graph, focus node: rule):\n"
        + "\n".join(lines)
    )


def _diff(old: ox.Store | None, new: ox.Store, graph: str) -> tuple[int, int]:
    """Statements ``graph`` gained and lost between the published generation and ``new``."""
    node = _node(graph)
    added = sum(
        1 for q in new.quads_for_pattern(None, None, None, node) if old is None or q not in old
    )
    removed = 0
    if old is not None:
        removed = sum(1 for q in old.quads_for_pattern(None, None, None, node) if q not in new)
    return added, removed


def _counted(delta: effects.Delta) -> dict[str, tuple[int, int]]:
    """Statements each graph gained and lost, from a write's exact delta."""
    out: dict[str, tuple[int, int]] = {}
    for quads, side in ((delta.added, 0), (delta.removed, 1)):
        for q in quads:
            key = _graph_key(q.graph_name)
            now = out.get(key, (0, 0))
            out[key] = (now[0] + 1, now[1]) if side == 0 else (now[0], now[1] + 1)
    return out


class _HttpWrite:
    """A SPARQL Update or Graph Store write, as a writer of :func:`core.write.pipeline.run`."""

    def __init__(self, kstore: KiemenStore, job: Job, prefixes: dict[str, str]) -> None:
        self.kstore = kstore
        self.job = job
        self.prefixes = prefixes
        self.started = dt.datetime.now(dt.UTC)
        self.protected: set[str] = set()
        self.before: dict[str, tuple[int, int]] = {}
        self.changed: list[str] = []
        self.outcome = Outcome(204)
        #: An update of ground data only: its operations, and what they did (exactly).
        self.operations: list[data_updates.Operation] | None = None
        self.delta: effects.Delta | None = None

    def authorise(self, gen: Generation) -> None:
        """Which graphs are off limits (503 when that cannot be known); the named target."""
        self.protected = _protected(self.kstore, gen.store)
        if self.job.kind == "update":
            self.operations = data_updates.plan(self.job.text, self.job.base_iri, self.prefixes)
            if self.operations is None:  # the engine runs it: compare every graph after
                self.before = _all_fingerprints(self.kstore, gen.store)
        else:
            assert self.job.graph is not None
            _check_target(self.job.graph, self.job.grants, self.protected)

    def write(self, gen: Generation) -> None:
        if self.operations is not None:
            self.changed, self.delta = _apply_data(
                gen.store, self.job, self.operations, self.protected
            )
        elif self.job.kind == "update":
            self.changed = _run_update(
                self.kstore, gen.store, self.job, self.prefixes, self.protected, self.before
            )
        else:
            assert self.job.graph is not None
            self.outcome = _write_graph(gen.store, self.job)
            self.changed = [self.job.graph]

    def validate(self, gen: Generation) -> None:
        """The nodes the write can have made break a rule (from its delta, exactly), or, when
        its graphs are too large to diff, the graphs it changed, whole."""
        if self.delta is None and self.changed:
            self.delta = effects.delta(gen, self.changed, {})
        problems = validate_graphs(self.kstore, gen, self.changed, self.delta)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise Refused(422, _shape_report(errors))

    def provenance(self, gen: Generation) -> None:
        published = self.kstore.current_generation()  # the one this generation copies
        old = self.kstore.reader() if published is not None else None
        provenance.keep_write_records(gen.store, old, self.kstore.settings)
        if not self.changed:
            return
        if self.delta is not None:  # known exactly: no need to read the graphs again
            changes = _counted(self.delta)
        else:
            changes = {g: _diff(old, gen.store, g) for g in self.changed}
        provenance.record_write(
            gen.store,
            self.kstore.settings,
            changes,
            kind=self.job.kind,
            agent=self.job.token_id or "unknown",
            agent_label=self.job.token_name,
            started=self.started,
        )

    def close(self) -> None:
        pass

    def index_delta(self, gen: Generation) -> effects.Delta | None:
        """The quads it changed (known since validation) and the meta graph's (its provenance
        record), diffed against the parent generation; None (a full rebuild) when one of them is
        too large to diff."""
        meta = graph_iri(self.kstore.settings, provenance.META_GRAPH).value
        if self.delta is None:
            return effects.delta(gen, sorted({*self.changed, meta}), {})
        records = effects.delta(gen, [meta], {})  # the data's delta is known already
        if records is None:
            return None
        return effects.Delta(self.delta.added + records.added, self.delta.removed + records.removed)


def run_write(kstore: KiemenStore, job: Job, prefixes: dict[str, str]) -> Outcome:
    """Every HTTP write goes through the one write pipeline (authorise … publish)."""
    writer = _HttpWrite(kstore, job, prefixes)
    pipeline.run(kstore, writer)
    return writer.outcome


def run_graph_get(kstore: KiemenStore, job: Job) -> Outcome:
    store = kstore.reader()
    assert job.graph is not None
    graph = _node(job.graph)
    if job.graph != DEFAULT_GRAPH and not store.contains_named_graph(graph):
        return Outcome.fail(404, f"there is no graph <{job.graph}>")
    if job.rdf_format is None:
        return not_acceptable(False)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, graph)
    ]
    body = _serialize_triples(triples, job.rdf_format, False, 0)
    return Outcome(200, body, media(job.rdf_format, False))


def _read(kstore: KiemenStore, job: Job, prefixes: dict[str, str]) -> Outcome:
    """A query or graph read, from one generation, whose name goes with the answer."""
    if kstore.current_generation() is None:  # nothing published: reader() says what to do
        return (
            run_query(kstore, job, prefixes) if job.kind == "query" else run_graph_get(kstore, job)
        )
    with kstore.one_generation():
        if job.kind == "query":
            outcome = run_query(kstore, job, prefixes)
        else:
            outcome = run_graph_get(kstore, job)
        outcome.generation = kstore.generation_id() or ""
    return outcome


def execute(kstore: KiemenStore, job: Job, prefixes: dict[str, str]) -> Outcome:
    if CONFINED.error is not None:
        return Outcome.fail(503, "the query workers cannot be confined; see the server log")
    try:
        if job.kind in READ_KINDS:
            return _read(kstore, job, prefixes)
        return run_write(kstore, job, prefixes)
    except Refused as exc:
        return Outcome.fail(exc.status, exc.message)
    except SyntaxError as exc:
        return Outcome.fail(400, f"syntax error: {exc}")
    except PermissionError:
        return Outcome.fail(403, NO_NETWORK)
    except OSError as exc:
        if _is_network_error(exc):
            return Outcome.fail(403, NO_NETWORK)
        log.exception("a %s job failed", job.kind)
        return Outcome.fail(500, "the request failed inside the server; the details are logged")
    except MemoryError:
        return Outcome.fail(503, _needs_memory(job.memory_limit))
    except StoreError:
        log.exception("the store refused a %s job", job.kind)
        return Outcome.fail(503, "the store cannot take this request now; the reason is logged")
    except Exception:
        log.exception("a %s job failed", job.kind)
        return Outcome.fail(500, "the request failed inside the server; the details are logged")


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the web process ends, however it ends."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pipe's EOF still ends the worker
        return
    if os.getppid() != parent:
        os._exit(0)


@dataclass
class _Confinement:
    how: str = ""
    error: str | None = None
    ceiling: int = 0


#: How this worker process was confined (set once, before the first job).
CONFINED = _Confinement()


def confine(settings: Settings, limit: int | None = None) -> None:
    """Cut the network off and cap memory (at ``limit``, by default the query workers' cap);
    on failure every job gets 503 (fail closed)."""
    try:
        CONFINED.how = sandbox.deny_network()
        CONFINED.ceiling = max(settings.worker_memory_bytes, settings.write_memory_bytes)
        cap = settings.worker_memory_bytes if limit is None else limit
        sandbox.limit_memory(cap, CONFINED.ceiling)
    except (sandbox.SandboxError, OSError, ValueError) as exc:
        CONFINED.error = str(exc)
        print(f"kiemen worker: {exc}; refusing every request", file=sys.stderr, flush=True)


def _resident_bytes() -> int:
    """This process's resident memory (0 where /proc cannot say)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _wait_warm(conn: Connection, kstore: KiemenStore) -> None:
    """The write worker's wait for its next job: meanwhile it keeps the published generation's
    index state in memory (read again when another process published)."""
    while not conn.poll(WRITER_WARM_EVERY if CONFINED.error is None else None):
        try:
            incremental.warm(kstore)
        except (OSError, ValueError, StoreError, MemoryError):
            # only an optimisation: the write reads the state itself (or rebuilds)
            log.warning("the write worker could not read the index state ahead", exc_info=True)
            index_state.forget()


def _retire(settings: Settings, job: Job, outcome: Outcome, writer: bool) -> bool:
    """Whether this worker ends after ``job``: a query worker after any write; the write
    worker after a failed write or once it has grown big."""
    if job.kind in READ_KINDS:
        return False
    if not writer or outcome.status >= 500:
        return True
    return _resident_bytes() > settings.worker_memory_bytes * WRITER_RESIDENT_SHARE


def _worker_main(conn: Connection) -> None:
    _die_with_parent()
    settings: Settings = conn.recv()
    pipeline.use_index_hooks(conn.recv())  # the web process's wiring (portal.features)
    writer: bool = conn.recv()
    confine(settings, settings.write_memory_bytes if writer else None)
    kstore = KiemenStore(settings)
    prefixes = ontology_prefixes(settings)
    while True:
        try:
            if writer:
                _wait_warm(conn, kstore)
            job = conn.recv()
        except (EOFError, OSError):
            return
        if CONFINED.ceiling:
            sandbox.limit_memory(job.memory_limit, CONFINED.ceiling)
        cpu = time.process_time()
        outcome = execute(kstore, job, prefixes)
        outcome.worker_seconds = time.process_time() - cpu
        outcome.retired = _retire(settings, job, outcome, writer)
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return
        if outcome.retired:
            return  # a write leaves a big address space behind: a fresh worker takes over


# -- in the web process -------------------------------------------------------------------------


class _Worker:
    """A worker process (``python -m core.sparql.engine FD``) and our end of its socket.

    A plain subprocess rather than ``multiprocessing``: nothing of the web process (its threads,
    its open store, its ``__main__``) is inherited or re-run.
    """

    def __init__(self, settings: Settings, writer: bool = False) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "core.sparql.engine", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            theirs.close()
        self.conn = Channel(ours)
        self.conn.send(settings)
        self.conn.send(pipeline.wired_hooks())  # a write runs the hooks the app was wired with
        self.conn.send(writer)  # the write worker: outlives its writes, keeps index state warm

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):  # already gone, or stuck
            self.process.kill()
            self.process.wait(5)
        with contextlib.suppress(OSError):
            self.conn.close()


class _Starter:
    """Starts every worker (query workers and the write worker) from one thread that lives as
    long as the process.

    Why: Linux sends a worker its parent-death signal (:func:`_die_with_parent`) when the
    *thread* that started it ends, so a worker started by a request's thread, or by the short
    thread that replaces a killed one, would be killed with that thread.
    """

    def __init__(self) -> None:
        self._asks: queue.SimpleQueue[
            tuple[Settings, bool, list[_Worker | BaseException], threading.Event]
        ] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="kiemen-worker-starter", daemon=True).start()

    def _serve(self) -> None:
        while True:
            settings, writer, box, done = self._asks.get()
            try:
                box.append(_Worker(settings, writer=writer))
            except (OSError, ValueError, subprocess.SubprocessError) as exc:
                box.append(exc)  # handed to the asking thread, which raises it
            finally:
                done.set()

    def start(self, settings: Settings, writer: bool = False) -> _Worker:
        """A new worker, started on the starter's thread (it never takes the pool's lock, so a
        caller may hold that lock while it waits)."""
        box: list[_Worker | BaseException] = []
        done = threading.Event()
        self._asks.put((settings, writer, box, done))
        done.wait()
        if not box:
            raise OSError("a query worker could not be started; see the server log")
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]


class PoolBusy(Exception):
    """No worker became free before the deadline."""


class WorkerPool:
    """``size`` warm workers, growing to ``max_size`` under load; killed workers are replaced.

    The pool keeps at least one worker more than one client may occupy
    (``max_concurrent_per_client + 1``), so a single client's expensive queries can never take
    every worker. The last ``reserve`` workers go only to a client with nothing else in flight:
    however many clients keep expensive queries running, a client that asks one cheap question
    finds a worker without waiting for theirs to end.
    """

    reserve = 1

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.size = max(settings.query_workers, settings.max_concurrent_per_client + 1)
        self.max_size = self.size * 2 + 2
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._cond = threading.Condition()
        self._closed = False
        #: The write worker, and the lock that lets one write at a time have it.
        self._writer: _Worker | None = None
        self._writing = threading.Lock()
        self._starter = _Starter()

    def start(self) -> None:
        """Start the warm workers and the write worker (in the background: the first request
        may wait for one)."""
        with self._cond:
            missing = self.size - len(self._all)
        for _ in range(max(0, missing)):
            self._spawn_idle()
        with self._writing:
            self._write_worker()

    def _write_worker(self) -> _Worker:
        """The write worker, started anew when there is none or it ended (holding ``_writing``)."""
        worker = self._writer
        if worker is None or not worker.alive():
            if worker is not None:
                worker.kill()
            worker = self._writer = self._starter.start(self.settings, writer=True)
        return worker

    def _spawn_idle(self) -> None:
        with self._cond:
            if self._closed or len(self._all) >= self.max_size:
                return
        worker = self._starter.start(self.settings)
        with self._cond:
            if self._closed or len(self._all) >= self.max_size:  # filled meanwhile
                worker.kill()
                return
            self._all.add(worker)
            self._idle.insert(0, worker)  # behind the warm ones: it may still be starting
            self._cond.notify_all()

    def _checkout(self, deadline: float, busy: bool) -> _Worker:
        """A worker: warm if one is idle. A busy or heavy client leaves the last ``reserve``
        idle workers (and the room to start them) to the others."""
        keep = self.reserve if busy else 0
        with self._cond:
            while True:
                if self._closed:
                    raise PoolBusy
                if len(self._idle) > keep:
                    # The list runs from new and heavy-used workers (bottom) to the one that
                    # answered a light job last (top: started, caches warm, small). A light
                    # client takes the top; a busy or heavy one the bottom, which keeps the warm
                    # workers for cheap questions however many heavy queries arrive.
                    worker = self._idle.pop(0) if busy else self._idle.pop()
                    if worker.alive():
                        return worker
                    self._all.discard(worker)
                    worker.kill()
                    continue
                if len(self._all) < self.max_size - keep:
                    worker = self._starter.start(self.settings)
                    self._all.add(worker)
                    return worker
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolBusy
                self._cond.wait(remaining)

    def _release(self, worker: _Worker, outcome: Outcome) -> None:
        """Back to the idle list: on top (the next taken) after a light answer; at the bottom
        after an error or a heavy job, whose worker may hold a big address space under its
        memory cap, so that the next cheap query goes to a worker known to be in good shape."""
        light = outcome.status < 400 and outcome.worker_seconds < WARM_SECONDS
        with self._cond:
            if light:
                self._idle.append(worker)
            else:
                self._idle.insert(0, worker)
            self._cond.notify_all()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        if worker is self._writer:  # the next write starts another (see _write_worker)
            self._writer = None
            return
        with self._cond:
            self._all.discard(worker)
            room = len(self._all) < self.max_size
            below = (
                not self._closed
                and room
                and (len(self._all) < self.size or len(self._idle) < self.reserve)
            )
            self._cond.notify_all()
        if below:
            threading.Thread(target=self._spawn_idle, daemon=True).start()

    def run(self, job: Job, timeout: float, what: str = "query", busy: bool = False) -> Outcome:
        """Run ``job``; past ``timeout`` seconds the worker is killed and a 503 returned.

        ``busy``: the client has other requests in flight (it may not take a reserved worker).
        """
        deadline = time.monotonic() + timeout
        if job.kind not in READ_KINDS:
            return self._write(job, deadline, timeout)
        try:
            worker = self._checkout(deadline, busy)
        except PoolBusy:
            return Outcome.fail(
                503, f"every query worker stayed busy for {timeout:g} s; try again later"
            )
        return self._exchange(worker, job, deadline, timeout, what)

    def _write(self, job: Job, deadline: float, timeout: float) -> Outcome:
        """A write, in the write worker; one at a time, each within its deadline (waiting for
        the write before it counts)."""
        if not self._writing.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return Outcome.fail(
                503,
                f"other writes kept the store busy for {timeout:g} s (KIEMEN_WRITE_TIMEOUT); "
                "nothing was published; try again later",
            )
        try:
            if self._closed:
                return Outcome.fail(503, "the server is stopping; nothing was published")
            return self._exchange(self._write_worker(), job, deadline, timeout, "write")
        finally:
            self._writing.release()

    def _exchange(
        self, worker: _Worker, job: Job, deadline: float, timeout: float, what: str
    ) -> Outcome:
        try:
            worker.conn.send(job, deadline)
            outcome: Outcome = worker.conn.receive(deadline)
        except Timeout:
            self._discard(worker)
            return self._timed_out(what, timeout)
        except (EOFError, OSError):
            self._discard(worker)
            died = Outcome.fail(503, _needs_memory(job.memory_limit))
            died.worker_seconds = timeout
            return died
        if job.kind in READ_KINDS:
            self._release(worker, outcome)
        elif outcome.retired:
            self._discard(worker)  # it ends itself after this write
        return outcome

    @staticmethod
    def _timed_out(what: str, timeout: float) -> Outcome:
        if what == "write":
            message = (
                f"the write ran longer than its time limit of {timeout:g} s "
                "(KIEMEN_WRITE_TIMEOUT) and was undone; nothing was published"
            )
        else:
            message = (
                f"the query ran longer than the time limit of {timeout:g} s and was "
                "stopped; make it more selective or add a LIMIT"
            )
        killed = Outcome.fail(503, message)
        killed.worker_seconds = timeout
        return killed

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._cond.notify_all()
        writer, self._writer = self._writer, None
        for worker in [*workers, *([writer] if writer is not None else [])]:
            worker.kill()


class ClientLimiter:
    """At most ``limit`` requests in flight per client address; remembers light clients.

    A client whose recent requests each kept a worker busy for less than ``HEAVY_SECONDS`` of
    CPU counts as light for ``MEMORY`` seconds; one heavy request (or one its worker was killed
    for) makes it heavy for as long, whatever cheap requests it sends in between. Only light
    clients with nothing else in flight may take the pool's reserved worker, so people asking
    cheap questions are served however many clients send expensive queries, whether new or
    known, one at a time or in parallel.
    """

    HEAVY_SECONDS = 0.5
    MEMORY = 60.0

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active: dict[str, int] = {}
        self._light: dict[str, float] = {}
        self._heavy: dict[str, float] = {}
        self._lock = threading.Lock()

    def is_light(self, client: str) -> bool:
        """Recently seen, and no request of the last ``MEMORY`` seconds was heavy."""
        now = time.monotonic()
        with self._lock:
            if self._heavy.get(client, 0.0) > now:
                return False
            until = self._light.get(client)
            if until is not None and until < now:
                del self._light[client]
                return False
            return until is not None

    def ran(self, client: str, cpu_seconds: float) -> None:
        """Record how much CPU a request of ``client`` cost a worker."""
        now = time.monotonic()
        with self._lock:
            if len(self._light) + len(self._heavy) > 100_000:
                self._light.clear()
                self._heavy.clear()
            if cpu_seconds >= self.HEAVY_SECONDS:
                self._heavy[client] = now + self.MEMORY
                self._light.pop(client, None)
            else:
                self._light[client] = now + self.MEMORY

    @contextlib.contextmanager
    def slot(self, client: str) -> Iterator[tuple[bool, int]]:
        """Yields whether the request may run, and how many others the client has in flight."""
        with self._lock:
            taken = self._active.get(client, 0)
            granted = taken < self.limit
            if granted:
                self._active[client] = taken + 1
        try:
            yield granted, taken
        finally:
            if granted:
                with self._lock:
                    left = self._active[client] - 1
                    if left:
                        self._active[client] = left
                    else:
                        del self._active[client]


_POOLS: list[WorkerPool] = []


def create_pool(settings: Settings) -> WorkerPool:
    pool = WorkerPool(settings)
    _POOLS.append(pool)
    return pool


@atexit.register
def _close_all() -> None:
    for pool in _POOLS:
        pool.close()


if __name__ == "__main__":  # a worker process, started by _Worker
    # run the imported module's loop, so that pickled classes are core.sparql.engine's
    from core.sparql.engine import _worker_main as _main

    _main(Connection(int(sys.argv[1])))
