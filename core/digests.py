"""Per-graph content digests: what a SPARQL update's effect check compares, engine-fast.

Why: the effect check must notice *any* change to a graph the writer may not touch, from what
the engine did rather than from the update's text. Reading every quad into Python to hash it
costs ~70 k quads a second (a term lookup each); the engine's own N-Triples serialisation of a
graph streams in its index order, which depends only on the graph's content, so a SHA-256 of
that byte stream is a content digest at engine speed, and its line count is the graph's size
(N-Triples escapes line breaks inside literals). A published generation never changes, so its
digests, once computed, are kept beside it (:data:`DIGESTS_FILE`) and reused as the "before"
side of the next update.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

#: The default graph's key: the same as the SPARQL layer's (portal.sparql_text.DEFAULT_GRAPH),
#: so that the protected set and the token grants name it as the effect check does.
DEFAULT_GRAPH = ""
DIGESTS_FILE = "digests.json"
FORMAT = 1

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


def read_cached(generation: Path | None) -> dict[str, Digest] | None:
    """The digests kept beside a published generation, or None when it has none (or bad ones)."""
    if generation is None:
        return None
    try:
        raw = json.loads((generation / DIGESTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return None
    graphs = raw.get("graphs")
    if not isinstance(graphs, dict):
        return None
    out: dict[str, Digest] = {}
    for key, value in graphs.items():
        if not (isinstance(value, list) and len(value) == 2):
            return None
        out[str(key)] = (int(value[0]), str(value[1]))
    return out


def write_cache(directory: Path, found: dict[str, Digest]) -> None:
    """Keep ``found`` (the digests of *every* graph of the generation in ``directory``)."""
    tmp = directory / (DIGESTS_FILE + ".tmp")
    body = {"format": FORMAT, "graphs": {k: list(v) for k, v in sorted(found.items())}}
    tmp.write_text(json.dumps(body), encoding="utf-8")
    os.replace(tmp, directory / DIGESTS_FILE)


def changed(before: dict[str, Digest], after: dict[str, Digest]) -> list[str]:
    """Graphs whose size or content differs, or that exist on one side only (as before)."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
