"""Checking graphs of a private generation against the shapes, for every writer.

:func:`store_checker` sets up the streaming checker (:mod:`core.validation.checker`) over a
generation's store, or says the shapes need pyshacl; a load streams its sources past it, and
:func:`validate_graphs` streams the graphs an HTTP write changed past the same checker, so that
every writer meets exactly the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pyoxigraph as ox
import rdflib

from core.effects import Delta
from core.problems import Problem
from core.store import Generation, KiemenStore, graph_iri
from core.validation.checker import Checker, Finding, Session
from core.validation.shacl import compiled_shapes, shacl_problems, to_rdflib
from core.validation.shapes import Unsupported, reach
from core.write.provenance import META_GRAPH

#: Graphs whose content gives context to validation of any other graph (pyshacl fallback).
CONTEXT_GRAPHS = ("ontology", "curated", "mappings")
#: Graphs that hold no instance data to validate.
UNVALIDATED_GRAPHS = ("shapes", META_GRAPH)
#: Most errors reported (and looked for) in one load; the load fails at the first anyway.
MAX_ERRORS = 200
#: Nodes the check of one write may single out; past this its graphs are checked whole.
MAX_FOCUS = 20_000


def store_checker(
    kstore: KiemenStore, store: ox.Store, say: Callable[[str], None], preload: bool = True
) -> Checker | None:
    """The streaming checker, or None when the shapes need pyshacl. ``preload``: each stream
    starts by reading the types of every node the store holds (fast for a load; a small write
    into a large store looks the few nodes it meets up one by one instead)."""
    pairs = {
        (str(r["sub"]), str(r["super"])) for r in kstore.rows("subclass-pairs", {}, store=store)
    }
    try:
        shapes = compiled_shapes(kstore.settings, pairs)
    except Unsupported as exc:
        say(f"the shapes use {exc}, which only pyshacl checks: validating with pyshacl (slow)")
        return None

    def subjects_of(graph: ox.NamedNode) -> Any:
        for row in kstore.run("graph-subjects", {"g": graph}, store=store):
            yield row["s"].value

    return Checker(
        shapes,
        store,
        max_errors=MAX_ERRORS,
        subjects_of=subjects_of,
        read_context=_StoreContext(kstore, store) if preload else None,
    )


class _StoreContext:
    """What the store holds before a source streams in, read with stored queries."""

    def __init__(self, kstore: KiemenStore, store: ox.Store) -> None:
        self.kstore = kstore
        self.store = store

    def types(self) -> Any:
        for row in self.kstore.run("typed-subjects", {}, store=self.store):
            yield row["s"].value, row["type"]

    def values(self, predicate: str) -> Any:
        params = {"p": ox.NamedNode(predicate)}
        for row in self.kstore.run("predicate-values", params, store=self.store):
            yield row["s"].value, row["o"]


def focus_nodes(
    store: ox.Store, delta: Delta, hops: int, limit: int = MAX_FOCUS
) -> set[Any] | None:
    """The nodes whose verdict under the shapes ``delta`` can change: the subjects of its quads
    (their statements changed), and then, ``hops`` times (:func:`core.validation.shapes.reach`),
    every node of any graph with a statement pointing at one found so far. None past ``limit``."""
    found: set[Any] = {q.subject for q in (*delta.added, *delta.removed)}
    frontier = set(found)
    for _ in range(hops):
        nxt: set[Any] = set()
        for node in frontier:
            for q in store.quads_for_pattern(None, None, node, None):
                if q.subject not in found:
                    nxt.add(q.subject)
            if len(found) + len(nxt) > limit:
                return None
        found |= nxt
        frontier = nxt
    return found if len(found) <= limit else None


def _label(node: Any) -> str:
    return f"<{node.value}>" if isinstance(node, ox.NamedNode) else "the default graph"


def _validate_focus(
    checker: Checker, store: ox.Store, nodes: list[Any], focus: set[Any]
) -> list[Finding]:
    """Check the ``focus`` nodes whole, from every graph of the store: each named node as a
    subject the graphs share, each blank node streamed with its statements."""
    sessions = {node: checker.session(_label(node), node) for node in nodes}
    first = next(iter(sessions.values()))
    named: dict[Any, list[str]] = {s: [] for s in sessions.values()}
    for node in sorted(focus, key=str):
        graphs = {q.graph_name for q in store.quads_for_pattern(node, None, None, None)}
        session = next((sessions[g] for g in nodes if g in graphs), first)
        if isinstance(node, ox.BlankNode):
            session.feed(q for q in store.quads_for_pattern(node, None, None, None))
        else:
            named[session].append(node.value)
    for session in sessions.values():
        session.close()
    return checker.finish(named)


def validate_graphs(
    kstore: KiemenStore,
    gen: Generation,
    graphs: Sequence[str],
    delta: Delta | None = None,
    also: Iterable[Any] = (),
) -> list[Problem]:
    """Check graphs already written in ``gen`` (what an HTTP write changed) against the shapes.

    With the write's ``delta`` (exactly the quads it added and removed in ``graphs``), only
    the nodes it can have made break a rule are checked (:func:`focus_nodes`), each whole from
    every graph, with the checker a load uses. Without it, or when those are too many, each
    whole graph streams past the checker, settled against the rest of the generation. Either
    way a write over HTTP meets exactly the rules a load meets. ``""`` names the default
    graph. ``also``: nodes checked with the delta's whatever it holds (an upload's own records,
    reported as a whole-graph check would). Returns the problems, errors first.
    """
    settings = kstore.settings
    skip = {graph_iri(settings, u).value for u in UNVALIDATED_GRAPHS}
    targets = [g for g in dict.fromkeys(graphs) if g not in skip]
    if not targets:
        return []
    store = gen.store
    nodes: list[Any] = [ox.NamedNode(g) if g else ox.DefaultGraph() for g in targets]
    checker = store_checker(kstore, store, lambda _msg: None, preload=False)  # a few nodes
    if checker is None:
        return _validate_graphs_pyshacl(kstore, store, nodes)
    focus = None if delta is None else focus_nodes(store, delta, reach(checker.shapes))
    if focus is not None:
        focus |= set(also)
        try:
            return _problems(_validate_focus(checker, store, nodes, focus))
        finally:
            checker.wait()
    checker.subjects_of = lambda graph: _subjects(store, graph)
    try:
        shared: dict[Session, list[str]] = {}
        for node in nodes:
            session = checker.session(_label(node), node)
            session.feed(store.quads_for_pattern(None, None, None, node))
            session.close()
            shared[session] = shared_subjects(store, node)
        findings = checker.finish(shared)
    finally:
        checker.wait()
    return _problems(findings)


def _problems(findings: list[Finding]) -> list[Problem]:
    problems = []
    for f in findings:
        r = f.result
        focus = r.focus.value if isinstance(r.focus, ox.NamedNode) else f"_:{r.focus.value}"
        text = r.message
        if r.value is not None and str(r.value.value) not in text and r.value != r.focus:
            text += f" (value: {r.value.value})"
        problems.append(
            Problem(f.session.label, text, rule=r.rule, focus=focus, severity=r.severity)
        )
    problems.sort(key=lambda p: p.severity != "error")
    return problems


def _subjects(store: ox.Store, graph: Any) -> Iterator[str]:
    seen: set[str] = set()
    for q in store.quads_for_pattern(None, None, None, graph):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value not in seen:
            seen.add(q.subject.value)
            yield q.subject.value


def shared_subjects(store: ox.Store, graph: Any) -> list[str]:
    """Subjects of ``graph`` that other graphs describe too (checked whole from the store)."""
    out = []
    for s in _subjects(store, graph):
        node = ox.NamedNode(s)
        if any(q.graph_name != graph for q in store.quads_for_pattern(node, None, None, None)):
            out.append(s)
    return out


def _validate_graphs_pyshacl(
    kstore: KiemenStore, store: ox.Store, nodes: list[Any]
) -> list[Problem]:
    """The reference path, for shapes the streaming checker does not support."""
    settings = kstore.settings
    data = rdflib.Graph()
    for ctx in CONTEXT_GRAPHS:
        to_rdflib(store.quads_for_pattern(None, None, None, graph_iri(settings, ctx)), data)
    focus: set[str] = set()
    for node in nodes:
        to_rdflib(store.quads_for_pattern(None, None, None, node), data)
        focus |= set(_subjects(store, node))
    _conforms, problems = shacl_problems(data, settings, focus_filter=focus, source="the write")
    return sorted(problems, key=lambda p: p.severity != "error")
