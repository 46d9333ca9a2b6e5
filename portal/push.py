"""``kiemen push``: every named graph of the published generation to a SPARQL 1.1 Graph Store.

For deployments whose load outgrows the embedded store: the data stay loaded, validated and
versioned by Kiemen, and a big triple store (Oxigraph server, Virtuoso, GraphDB, Fuseki, ...)
receives a copy through the standard Graph Store HTTP Protocol, graph by graph:

* each graph is written to a temporary N-Triples file first (bounded memory whatever its size)
  and sent with ``PUT {store}?graph=<iri>``, which replaces that graph on the server;
* the provenance graph (``graph/meta``) goes last, so the server never describes a graph it
  has not received yet;
* the first failure stops the push with the server's status and message; graphs already sent
  stay replaced (each ``PUT`` is atomic on the server), the others are untouched, so pushing
  again is always safe.

The push reads one generation, resolved once, so a load published meanwhile cannot mix in.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO

import pyoxigraph as ox
import requests

from core.store import KiemenStore, StoreError, graph_iri

META_GRAPH = "meta"
#: Seconds one PUT may take before the push gives up (big graphs on slow servers: raise it).
DEFAULT_TIMEOUT = 600.0


class PushError(StoreError):
    """The Graph Store refused a graph or could not be reached (exit code 2)."""


@dataclass
class Pushed:
    graph: str
    triples: int
    bytes: int
    seconds: float
    status: int


@dataclass
class Target:
    """Where to push and how to authenticate there."""

    url: str
    graph_param: str = "graph"
    token: str | None = None
    user: str | None = None
    password: str | None = None
    digest: bool = False
    timeout: float = DEFAULT_TIMEOUT

    def auth(self) -> requests.auth.AuthBase | None:
        if self.user is None:
            return None
        if self.digest:
            return requests.auth.HTTPDigestAuth(self.user, self.password or "")
        return requests.auth.HTTPBasicAuth(self.user, self.password or "")

    def headers(self) -> dict[str, str]:
        out = {"Content-Type": "application/n-triples"}
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out


def _ordered(names: Iterable[str], meta: str) -> list[str]:
    """Data graphs in a stable order, the provenance graph last."""
    graphs = sorted(set(names))
    if meta in graphs:
        graphs.remove(meta)
        graphs.append(meta)
    return graphs


def _write_graph(store: ox.Store, graph: str, out: IO[bytes]) -> int:
    count = 0

    def triples() -> Iterable[ox.Triple]:
        nonlocal count
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            count += 1
            yield ox.Triple(q.subject, q.predicate, q.object)

    ox.serialize(triples(), out, format=ox.RdfFormat.N_TRIPLES)
    return count


def _excerpt(response: requests.Response) -> str:
    text = " ".join(response.text.split())
    return text[:300] + ("…" if len(text) > 300 else "")


def push(
    kstore: KiemenStore,
    target: Target,
    graphs: list[str] | None = None,
    dry_run: bool = False,
    say: Callable[[str], None] | None = None,
) -> list[Pushed]:
    """Send each named graph (all, or those listed) to ``target``; see the module text."""
    gen = kstore.current_generation()
    if gen is None:
        raise StoreError(f"the store {kstore.root} is empty: load data with `kiemen load` first")
    store = ox.Store.read_only(str(gen / "oxigraph"))  # this generation, whatever is published
    present = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    if graphs:
        missing = [g for g in graphs if g not in present]
        if missing:
            raise PushError(f"not in the store: {', '.join(f'<{g}>' for g in missing)}")
        chosen = graphs
    else:
        chosen = list(present)
    order = _ordered(chosen, graph_iri(kstore.settings, META_GRAPH).value)
    session = requests.Session()
    done: list[Pushed] = []
    for graph in order:
        with tempfile.TemporaryFile() as body:
            triples = _write_graph(store, graph, body)
            size = body.tell()
            body.seek(0)
            if dry_run:
                done.append(Pushed(graph, triples, size, 0.0, 0))
                continue
            started = time.monotonic()
            try:
                response = session.put(
                    target.url,
                    params={target.graph_param: graph},
                    data=body,
                    headers={**target.headers(), "Content-Length": str(size)},
                    auth=target.auth(),
                    timeout=target.timeout,
                )
            except requests.RequestException as exc:
                raise PushError(f"cannot reach the Graph Store {target.url}: {exc}") from exc
            if response.status_code not in (200, 201, 204):
                raise PushError(
                    f"the Graph Store refused <{graph}> with {response.status_code}: "
                    f"{_excerpt(response)} ({len(done)} of {len(order)} graphs were sent)"
                )
            item = Pushed(graph, triples, size, time.monotonic() - started, response.status_code)
            done.append(item)
            if say is not None:
                say(f"pushed <{graph}>: {triples} triples in {item.seconds:.1f} s")
    return done
