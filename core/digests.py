"""Per-graph content digests, at engine speed.

Why: the index state remembers which meta graph it was built with, to notice a change later.
Reading every quad into Python to hash it costs ~70 k quads a second (a term lookup each); the
engine's own N-Triples serialisation of a graph streams in its index order, which depends only
on the graph's content, so a SHA-256 of that byte stream is a content digest at engine speed,
and its line count is the graph's size (N-Triples escapes line breaks inside literals).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import IO, Any, cast

import pyoxigraph as ox

#: The default graph's key: the same as the SPARQL layer's (core.sparql.text.DEFAULT_GRAPH),
#: so that the protected set and the token grants name it as the effect check does.
DEFAULT_GRAPH = ""

#: A graph's size and the hex SHA-256 of its N-Triples dump.
Digest = tuple[int, str]


class _Sink:
    """A binary file-like object that hashes and counts lines of what is written to it."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.lines += data.count(b"\n")
        return len(data)

    def flush(self) -> None:
        return None


def graph_key(term: Any) -> str:
    return term.value if isinstance(term, ox.NamedNode) else DEFAULT_GRAPH


def graph_term(key: str) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if key == DEFAULT_GRAPH else ox.NamedNode(key)


def graph_keys(store: ox.Store) -> list[str]:
    """The default graph and every named graph with an IRI (blank-node graphs are not kept)."""
    named = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return [DEFAULT_GRAPH, *named]


def digest(store: ox.Store, key: str) -> Digest:
    """Size and content digest of one graph (an absent graph is empty)."""
    sink = _Sink()
    store.dump(cast(IO[bytes], sink), format=ox.RdfFormat.N_TRIPLES, from_graph=graph_term(key))
    return sink.lines, sink.hash.hexdigest()


def digests(
    store: ox.Store, keep: Callable[[str], bool] | None = None, keys: Iterable[str] | None = None
) -> dict[str, Digest]:
    """Digests of the graphs ``keep`` selects (default: all) among ``keys`` (default: all)."""
    chosen = graph_keys(store) if keys is None else keys
    return {k: digest(store, k) for k in chosen if keep is None or keep(k)}
