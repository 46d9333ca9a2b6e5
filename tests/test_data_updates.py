"""INSERT DATA / DELETE DATA applied as read (core/data_updates.py) ends where the engine ends.

An update made only of ground data is applied by the write path itself, so that it knows its
effect without fingerprinting every graph. Each text below is run both ways on copies of the
same store: the engine's ``Store.update`` and :func:`core.data_updates.apply` of the plan; the
stores must be equal after (blank nodes by count), and the reported effect must be exactly the
difference. Anything that is not only ground data has no plan (the engine runs it).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from core import data_updates

BASE = "http://kiemen.test/"
PREFIXES = {"km": BASE + "def/", "skos": "http://www.w3.org/2004/02/skos/core#"}
G = f"<{BASE}graph/edits>"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _store() -> ox.Store:
    store = ox.Store()
    store.update(
        f"INSERT DATA {{ GRAPH {G} {{ <{BASE}a> <{BASE}p> 1, <{BASE}b>, 'x'@nl }} "
        f"<{BASE}a> <{BASE}p> 'default' }}"
    )
    return store


def _shape(store: ox.Store) -> tuple[set[ox.Quad], int]:
    ground, blank = set(), 0
    for q in store.quads_for_pattern(None, None, None, None):
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            blank += 1
        else:
            ground.add(q)
    return ground, blank


DATA_TEXTS = [
    f"INSERT DATA {{ GRAPH {G} {{ <{BASE}a> skos:altLabel 'Naam'@NL-be }} }}",
    f'INSERT DATA {{ <{BASE}a> <{BASE}p> "01"^^<{XSD}integer>, "1.50"^^<{XSD}decimal>, 1e0 }}',
    f'INSERT DATA {{ <{BASE}a> <{BASE}p> """twee\\nregels""" , "x"^^<{XSD}integer> }}',
    f"# a comment ends at the line's end\nINSERT DATA {{ <{BASE}a> <{BASE}p> 3 }} # and here",
    f"INSERT DATA {{ GRAPH {G} {{ <{BASE}a> <{BASE}p> _:n . _:n <{BASE}q> true }} }}",
    f"DELETE DATA {{ GRAPH {G} {{ <{BASE}a> <{BASE}p> 1, <{BASE}b> }} }}",
    f"DELETE DATA {{ GRAPH <{BASE}graph/none> {{ <{BASE}a> <{BASE}p> 1 }} }}",
    f"INSERT DATA {{ <{BASE}c> <{BASE}p> 2 }} ; DELETE DATA {{ <{BASE}c> <{BASE}p> 2 }}",
    f"DELETE DATA {{ GRAPH {G} {{ <{BASE}a> <{BASE}p> 'x'@nl }} }} ;"
    f" INSERT DATA {{ GRAPH {G} {{ <{BASE}a> <{BASE}p> 'x'@nl }} }}",
    f"BASE <{BASE}> INSERT DATA {{ GRAPH <graph/edits> {{ <a> km:relative <b> }} }}",
    f"PREFIX e: <{BASE}> INSERT DATA {{ GRAPH e:g2 {{ e:a e:p 'één' }} e:a e:p 'twee' }}",
]


@pytest.mark.parametrize("text", DATA_TEXTS)
def test_data_updates_end_where_the_engine_ends(text: str) -> None:
    plan = data_updates.plan(text, BASE, PREFIXES)
    assert plan is not None, text
    engine, ours = _store(), _store()
    engine.update(text, base_iri=BASE, prefixes=PREFIXES)
    before = set(ours.quads_for_pattern(None, None, None, None))
    effect = data_updates.apply(ours, plan)
    assert _shape(ours) == _shape(engine)
    after = set(ours.quads_for_pattern(None, None, None, None))
    assert set(effect.added) == after - before
    assert set(effect.removed) == before - after


@pytest.mark.parametrize(
    "text",
    [
        f"INSERT {{ GRAPH {G} {{ ?s <{BASE}q> 1 }} }} WHERE {{ ?s <{BASE}p> 1 }}",
        f"DELETE WHERE {{ GRAPH {G} {{ ?s ?p ?o }} }}",
        f"CLEAR GRAPH {G}",
        f"INSERT DATA {{ <{BASE}a> <{BASE}p> 1 }} ; CLEAR ALL",
        f"LOAD <{BASE}elsewhere>",
        f"INSERT DATA {{ <{BASE}a> <{BASE}p> <<( <{BASE}a> <{BASE}p> 1 )>> }}",
        "INSERT DATA { <a> <b> }",  # a syntax error: the engine refuses it, with its message
        f"INSERT DATA {{ undeclared:a <{BASE}p> 1 }}",
        "",  # no operation at all: the engine's business too
        # Where parsers may part ways, the engine reads the text: to it this is a DROP ALL.
        f"#\rDROP ALL ;\nINSERT DATA {{ GRAPH {G} {{ <{BASE}a> <{BASE}p> 1 }} }}",
        f'INSERT DATA {{ <{BASE}a> <{BASE}p> "\\u00e9" }}',
    ],
)
def test_anything_but_ground_data_is_left_to_the_engine(text: str) -> None:
    assert data_updates.plan(text, BASE, PREFIXES) is None
