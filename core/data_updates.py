"""SPARQL updates made only of ``INSERT DATA`` and ``DELETE DATA``: their quads, applied exactly.

Why: to know which graphs an arbitrary update changed, the write path fingerprints every graph
before and after it (O(store): a minute on a million triples). An update that only inserts and
deletes ground data says its quads in its text, so the write can apply them itself and know its
effect exactly (the quads added and removed, and so their graphs) at the cost of the update.

The text is read by rdflib's SPARQL parser (literals kept as written) and the reading is held to
the engine's: the engine runs the same text on a small in-memory store holding the quads the
update deletes, and the result must be exactly what applying our reading to that store gives
(blank nodes compared by count). Any difference, any operation other than those two, or any
error: :func:`plan` answers None, and the engine runs the update on the store as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate

#: Operations read as data (anything else: the engine runs the update).
_DATA_OPS = {"InsertData": True, "DeleteData": False}


@dataclass
class Operation:
    """One ``INSERT DATA`` (``insert``) or ``DELETE DATA`` with its quads, in text order."""

    insert: bool
    quads: list[ox.Quad]


@dataclass
class Effect:
    """What applying the operations did: quads added and removed (exactly), by graph key."""

    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)

    def graphs(self) -> set[Any]:
        return {q.graph_name for q in (*self.added, *self.removed)}


@contextmanager
def _literals_as_written() -> Iterator[None]:
    """rdflib normalises typed literals ("01"^^xsd:integer to "1") unless told not to."""
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = saved


def _term(t: Any, blanks: dict[str, ox.BlankNode]) -> Any:
    if isinstance(t, rdflib.URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, rdflib.BNode):
        return blanks.setdefault(str(t), ox.BlankNode())
    if isinstance(t, rdflib.Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        if t.datatype is not None:
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)))
        return ox.Literal(str(t))
    raise ValueError(f"not a data term: {t!r}")


def _operation(op: Any) -> Operation:
    blanks: dict[str, ox.BlankNode] = {}  # a blank node label is fresh in each operation
    quads = [
        ox.Quad(_term(s, blanks), _term(p, blanks), _term(o, blanks), ox.DefaultGraph())
        for s, p, o in op.get("triples") or ()
    ]
    for graph, triples in (op.get("quads") or {}).items():
        g = _term(graph, blanks)
        quads += [
            ox.Quad(_term(s, blanks), _term(p, blanks), _term(o, blanks), g) for s, p, o in triples
        ]
    return Operation(_DATA_OPS[op.name], _as_stored(quads))


def _as_stored(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The quads as the store gives them back ("01"^^xsd:integer is kept as "1"), so that the
    effect names them exactly as a read of the store would."""
    store = ox.Store()
    store.extend(quads)
    return list(store.quads_for_pattern(None, None, None, None))


def _read(text: str, base_iri: str | None, prefixes: dict[str, str]) -> list[Operation] | None:
    with _literals_as_written():
        parsed = translateUpdate(parseUpdate(text), base=base_iri, initNs=prefixes)
        ops = list(parsed.algebra)
        if any(getattr(op, "name", None) not in _DATA_OPS for op in ops):
            return None
        return [_operation(op) for op in ops]


def _move(q: ox.Quad, undone: dict[ox.Quad, None], done: dict[ox.Quad, None]) -> None:
    """``q`` changed: either it undoes an earlier change, or it is a change of its own."""
    if q in undone:
        del undone[q]
    else:
        done[q] = None


def apply(store: ox.Store, operations: list[Operation]) -> Effect:
    """Apply the operations in order to ``store``; what they added and removed, exactly."""
    added: dict[ox.Quad, None] = {}
    removed: dict[ox.Quad, None] = {}
    for op in operations:
        for q in op.quads:
            if op.insert and q not in store:
                store.add(q)
                _move(q, removed, added)
            elif not op.insert and q in store:
                store.remove(q)
                _move(q, added, removed)
    return Effect(list(added), list(removed))


def _shape(store: ox.Store) -> tuple[set[ox.Quad], int]:
    """Quads without blank nodes, and how many have one (blank node ids differ per run)."""
    ground: set[ox.Quad] = set()
    blank = 0
    for q in store.quads_for_pattern(None, None, None, None):
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            blank += 1
        else:
            ground.add(q)
    return ground, blank


def _engine_agrees(
    text: str, base_iri: str | None, prefixes: dict[str, str], operations: list[Operation]
) -> bool:
    """Whether the engine, running ``text`` on a store of the deleted quads, ends exactly where
    applying ``operations`` to that store ends."""
    start = [q for op in operations if not op.insert for q in op.quads]
    ours, engine = ox.Store(), ox.Store()
    for store in (ours, engine):
        store.extend(start)
    apply(ours, operations)
    engine.update(text, base_iri=base_iri, prefixes=prefixes)
    return _shape(ours) == _shape(engine)


#: Text where two SPARQL parsers are most likely to part ways: a carriage return (does a ``#``
#: comment end there?) and codepoint escapes (processed before parsing, or not). An update
#: holding any of these is left to the engine, so that the operations applied are the ones the
#: engine reads (``#\rDROP ALL ; INSERT DATA ...`` is a DROP ALL to the engine, which the
#: check on a small in-memory store cannot show).
_AMBIGUOUS = ("\r", "\\u", "\\U")


def plan(text: str, base_iri: str | None, prefixes: dict[str, str]) -> list[Operation] | None:
    """The update's operations when it is only ``INSERT DATA`` / ``DELETE DATA`` and the engine
    reads it the same way; None when the engine has to run it (or to refuse it)."""
    if any(mark in text for mark in _AMBIGUOUS):
        return None
    try:
        operations = _read(text, base_iri, prefixes)
        if operations is None or not _engine_agrees(text, base_iri, prefixes, operations):
            return None
    except Exception:  # noqa: BLE001 - any doubt: the engine runs the text and decides
        return None
    return operations


__all__ = ["Effect", "Operation", "apply", "plan"]
