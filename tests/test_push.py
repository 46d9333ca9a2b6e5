"""``kiemen push``: every named graph, provenance included, into a real Graph Store (the
Oxigraph server on loopback), compared quad by quad with the store it came from."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from conftest import REPO, free_port, kiemen_cmd, kiemen_env
from deploy_helpers import oxigraph_server
from rdflib.compare import isomorphic

from core.config import CANONICAL_BASE, Settings
from core.store import KiemenStore


def kiemen(store: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*kiemen_cmd(), *args],
        env=kiemen_env(store, CANONICAL_BASE, **env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


def graph_of(store: ox.Store, graph: str) -> rdflib.Graph:
    triples = (
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    )
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=text.decode(), format="nt")


def quads_of(store: ox.Store) -> set[str]:
    return {str(q) for q in store.quads_for_pattern(None, None, None, None)}


@pytest.mark.slow
def test_push_sends_every_graph_to_the_oxigraph_server(
    loaded_store_path: Path, tmp_path: Path
) -> None:
    kstore = KiemenStore(Settings(store_path=loaded_store_path))
    ours = kstore.reader()
    graphs = sorted(g.value for g in ours.named_graphs() if isinstance(g, ox.NamedNode))
    assert CANONICAL_BASE + "graph/meta" in graphs and len(graphs) > 3
    server_dir = tmp_path / "oxigraph"
    with oxigraph_server(server_dir) as server:
        # Something stale in a graph we push, and a graph of the server's own that stays.
        stale = f'<{CANONICAL_BASE}id/x/stale> <http://example.org/p> "old" .'
        own = '<http://example.org/a> <http://example.org/b> "kept" .'
        curated = CANONICAL_BASE + "graph/curated"
        for graph, text in ((curated, stale), ("http://example.org/g", own)):
            r = requests.put(
                f"{server}/store",
                params={"graph": graph},
                data=text.encode(),
                headers={"Content-Type": "application/n-triples"},
                timeout=30,
            )
            assert r.status_code in (201, 204)

        dry = kiemen(loaded_store_path, "push", f"{server}/store", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert f"would push {len(graphs)} graphs" in dry.stderr

        result = kiemen(loaded_store_path, "push", f"{server}/store")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == len(graphs)
        assert lines[-1].endswith(f"<{CANONICAL_BASE}graph/meta>"), "provenance goes last"

        # Every graph arrived whole, and replaced what was there (the stale triple is gone).
        for graph in graphs:
            got = requests.get(
                f"{server}/store",
                params={"graph": graph},
                headers={"Accept": "application/n-quads"},
                timeout=60,
            )
            assert got.status_code == 200, graph
        count = requests.post(
            f"{server}/query",
            data={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        ).json()
        assert int(count["results"]["bindings"][0]["n"]["value"]) == len(ours) + 1
    # Stopped: compare the server's database with ours, graph by graph (blank nodes get new
    # labels on the way, so the graphs must be isomorphic, not equal as text).
    theirs = ox.Store.read_only(str(server_dir))
    for graph in graphs:
        assert isomorphic(graph_of(ours, graph), graph_of(theirs, graph)), graph
    extra = {g.value for g in theirs.named_graphs()} - set(graphs)
    assert extra == {"http://example.org/g"}
    assert not any("stale" in q for q in quads_of(theirs))


def test_push_reports_a_refusal_with_exit_code_2(loaded_store_path: Path, tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "oxigraph") as server:
        one = CANONICAL_BASE + "graph/ontology"
        wrong = kiemen(loaded_store_path, "push", f"{server}/nothing-here", "--graph", one)
        assert wrong.returncode == 2
        assert "refused" in wrong.stderr and f"<{one}>" in wrong.stderr
        missing = kiemen(loaded_store_path, "push", f"{server}/store", "--graph", "http://x/")
        assert missing.returncode == 2 and "not in the store: <http://x/>" in missing.stderr
    closed = kiemen(loaded_store_path, "push", f"http://127.0.0.1:{free_port()}/store")
    assert closed.returncode == 2 and "cannot reach the Graph Store" in closed.stderr
