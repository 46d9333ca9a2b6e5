"""The effect check of SPARQL Update on a real server, and the indexes patched from its delta.

A write that changes a graph it may not change is refused whatever the update's text says and
however it keeps the graph's size: a DELETE of one statement with an INSERT of another (the
count stays, the content does not) is refused like any other change. An allowed write is
searchable as soon as it answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from conftest import free_port
from sparql_helpers import bundled_store, kiemen_server, make_token

from core import digests
from core.config import Settings
from core.sparql.text import DEFAULT_GRAPH
from core.store import KiemenStore


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, port: int) -> Path:
    return bundled_store(tmp_path_factory.mktemp("effects") / "store", f"http://127.0.0.1:{port}/")


@pytest.fixture(scope="module")
def server(store: Path, port: int) -> Iterator[str]:
    with kiemen_server(store, port) as base:
        yield base


def update(server: str, text: str, token: str) -> requests.Response:
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"}
    return requests.post(server + "/sparql", data=text.encode(), headers=headers, timeout=120)


def ask(server: str, query: str) -> bool:
    r = requests.get(server + "/sparql", params={"query": query}, timeout=60)
    return bool(r.json()["boolean"])


def _one_literal(store: Path, graph: str) -> ox.Quad:
    kstore = KiemenStore(Settings.from_env(store_path=store, base_uri=graph.split("graph/")[0]))
    reader = kstore.reader()
    for q in reader.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
        if (
            isinstance(q.object, ox.Literal)
            and '"' not in q.object.value
            and "\\" not in q.object.value
        ):
            return q
    raise AssertionError(f"no literal in {graph}")


def _term(t: object) -> str:
    return str(t)


def test_count_preserving_change_to_a_protected_graph_is_refused(store: Path, server: str) -> None:
    everything = make_token(store, server + "/", "*")
    scratch = server + "/graph/scratch"
    # An allowed write first: the refused ones below start from what it published.
    ok = update(
        server, f"INSERT DATA {{ GRAPH <{scratch}> {{ <http://a> <http://b> 1 }} }}", everything
    )
    assert ok.status_code == 204, ok.text
    current = (store / "current").resolve()
    graph = server + "/graph/ontology"
    quad = _one_literal(store, graph)
    s, p, o = _term(quad.subject), _term(quad.predicate), _term(quad.object)
    swap = (
        f"DELETE DATA {{ GRAPH <{graph}> {{ {s} {p} {o} }} }} ;\n"
        f'INSERT DATA {{ GRAPH <{graph}> {{ {s} {p} "changed behind your back" }} }}'
    )
    refused = update(server, swap, everything)
    assert refused.status_code == 403, refused.text
    assert "kiemen load" in refused.json()["error"]
    assert ask(server, f"ASK {{ GRAPH <{graph}> {{ {s} {p} {o} }} }}")
    assert not ask(server, f'ASK {{ GRAPH <{graph}> {{ {s} {p} "changed behind your back" }} }}')
    # The same through a WHERE clause that the text does not name the graph in.
    where = (
        f'DELETE {{ GRAPH ?g {{ {s} {p} {o} }} }} INSERT {{ GRAPH ?g {{ {s} {p} "x" }} }} '
        f"WHERE {{ GRAPH ?g {{ {s} {p} {o} }} }}"
    )
    assert update(server, where, everything).status_code == 403
    assert ask(server, f"ASK {{ GRAPH <{graph}> {{ {s} {p} {o} }} }}")
    assert (store / "current").resolve() == current  # nothing was published


def test_an_allowed_write_is_searchable_at_once(store: Path, server: str) -> None:
    token = make_token(store, server + "/", "scratch")
    scratch = server + "/graph/scratch"
    km = server + "/def/"
    thing = server + "/id/actor/effects-test"
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    # An organisation that follows the shapes (every HTTP write is validated like a load).
    text = (
        f"INSERT DATA {{ GRAPH <{scratch}> {{ <{thing}> a <{km}Organisation> , <{km}Actor> ; "
        f'{label} "Zeldzaamwoordinitiatief"@nl , "Zeldzaamwoordinitiatief"@en ; '
        f"<{km}actorType> <{km}actor-type/government> }} }}"
    )
    first = update(
        server, f"INSERT DATA {{ GRAPH <{scratch}> {{ <http://a> <http://b> 2 }} }}", token
    )
    assert first.status_code == 204, first.text
    r = update(server, text, token)
    assert r.status_code == 204, r.text
    # (Every HTTP write records its provenance in the meta graph, and the incremental update
    # still rebuilds in full when the meta graph changed: core/indexes/incremental.py.)
    found = requests.get(
        server + "/api/search", params={"q": "Zeldzaamwoordinitiatief"}, timeout=60
    ).json()
    assert thing in str(found)


def test_the_default_graph_is_named_as_tokens_name_it(store: Path, server: str) -> None:
    """The effect check keys the default graph as grants and the protected set do."""
    assert digests.DEFAULT_GRAPH == DEFAULT_GRAPH
    token = make_token(store, server + "/", "default")
    ok = update(server, "INSERT DATA { <http://a> <http://b> 3 }", token)
    assert ok.status_code == 204, ok.text
    other = make_token(store, server + "/", "scratch")
    assert update(server, "DELETE DATA { <http://a> <http://b> 3 }", other).status_code == 403
    assert ask(server, "ASK { <http://a> <http://b> 3 }")
