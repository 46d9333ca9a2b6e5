"""An HTTP write is validated by the nodes it can have made break a rule, not by whole graphs.

The check follows the write's delta: the subjects whose statements changed, and every node
pointing at one of them as far as the shapes read (``loaders.shapes.reach``: one hop for
``sh:class``). So a rule broken on a node the write did not touch -- an organisation whose place
stops being a place when another token's write removes the place's type -- is still caught, even
though that organisation lives in another graph than the one written (checking the written graph
whole would not have seen it). And a write that keeps every rule still goes through.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import requests
from sparql_helpers import bundled_store, kiemen_server, make_token

from core.config import Settings
from core.effects import Delta
from core.store import KiemenStore
from core.validation.graphs import focus_nodes
from core.validation.shacl import compiled_shapes
from core.validation.shapes import reach

BASE = "https://w3id.org/kiemen/"
KM = BASE + "def/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"


def _update(server: str, token: str, text: str) -> requests.Response:
    return requests.post(
        server + "/sparql",
        data=text.encode(),
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"},
        timeout=300,
    )


def _place_copy(store: Path, copy: str) -> list[str]:
    """The statements of a curated place (one that follows the shapes), about ``copy``."""
    reader = KiemenStore(Settings.from_env(store_path=store, base_uri=BASE)).reader()
    place = ox.NamedNode(BASE + "id/place/country/nl")
    lines = {
        f"<{copy}> {q.predicate} {q.object} ."
        for q in reader.quads_for_pattern(place, None, None, None)
        if not isinstance(q.object, ox.BlankNode)
    }
    assert f"<{copy}> <{RDF_TYPE}> <{KM}Place> ." in lines, sorted(lines)
    return sorted(lines)


def test_the_shapes_read_one_hop_and_the_focus_follows_statements_backwards() -> None:
    shapes = compiled_shapes(Settings.from_env(store_path=Path("unused"), base_uri=BASE))
    assert reach(shapes) == 1  # sh:class reads the types of a value
    store = ox.Store()
    a, b, c, d = (ox.NamedNode(f"{BASE}id/x/{n}") for n in "abcd")
    p = ox.NamedNode(KM + "p")
    store.extend([ox.Quad(b, p, a), ox.Quad(c, p, b), ox.Quad(d, p, c)])
    changed = Delta(added=[ox.Quad(a, p, ox.Literal("x"))])
    assert focus_nodes(store, changed, 0) == {a}
    assert focus_nodes(store, changed, 1) == {a, b}
    assert focus_nodes(store, changed, 2) == {a, b, c}
    assert focus_nodes(store, changed, 3, limit=3) is None  # too many: whole graphs instead


def test_a_write_breaking_a_rule_on_a_node_in_another_graph_is_refused(tmp_path: Path) -> None:
    store = bundled_store(tmp_path / "store", BASE)
    place = BASE + "id/place/focus-copy"
    org = BASE + "id/actor/focus-org"
    with kiemen_server(store) as server:
        places = make_token(store, BASE, "scratch")
        actors = make_token(store, BASE, "other")
        body = "\n".join(_place_copy(store, place))
        r = _update(server, places, f"INSERT DATA {{ GRAPH <{BASE}graph/scratch> {{ {body} }} }}")
        assert r.status_code == 204, r.text
        r = _update(
            server,
            actors,
            f"INSERT DATA {{ GRAPH <{BASE}graph/other> {{ <{org}> a <{KM}Organisation>, "
            f'<{KM}Actor> ; <{SKOS}prefLabel> "Focusorganisatie"@nl, "Focus organisation"@en ; '
            f"<{KM}actorType> <{KM}actor-type/government> ; <{DCT}spatial> <{place}> }} }}",
        )
        assert r.status_code == 204, r.text
        published = (store / "current").resolve().name
        # The place loses its type: no rule of the place itself breaks (it is no place any more),
        # but the organisation's place must be a km:Place.
        bad = _update(
            server,
            places,
            f"DELETE DATA {{ GRAPH <{BASE}graph/scratch> {{ <{place}> a <{KM}Place> }} }}",
        )
        assert bad.status_code == 422, bad.text
        error = bad.json()["error"]
        assert f"<{org}>" in error and "km:Place" in error, error
        assert (store / "current").resolve().name == published  # nothing was written
        # A write that keeps every rule goes through.
        ok = _update(
            server,
            places,
            f"INSERT DATA {{ GRAPH <{BASE}graph/scratch> "
            f"{{ <{place}> <{SKOS}altLabel> 'NL'@nl }} }}",
        )
        assert ok.status_code == 204, ok.text
