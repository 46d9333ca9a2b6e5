"""Every stored query has a header and runs against the bundled data with bound parameters."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from queries import QueryParameterError, catalogue, get_query, parse

K = "https://w3id.org/kiemen/"
#: A real value for each parameter name used in queries/, so every query runs bound.
SAMPLE_PARAMS: dict[str, str] = {
    "lang": "nl",
    "g": K + "graph/curated",
    "graph": K + "graph/curated",
    "in": K + "graph/ontology",
    "p": "http://www.w3.org/2004/02/skos/core#prefLabel",
    "actor": K + "id/actor/tno",
    "actortype": K + "def/actor-type/municipal-government",
    "channel": K + "def/platform/twitter",
    "concept": K + "def/form/civic-initiative",
    "document": K + "id/document/sociale-media-nieuwe-wegen",
    "form": K + "def/form/civic-initiative",
    "statedform": K + "def/form/civic-initiative",
    "govrole": K + "def/government-role/facilitating",
    "role": K + "def/government-role/facilitating",
    "initiative": K + "id/initiative/gelderland-anders",
    "iri": K + "id/initiative/gelderland-anders",
    "thing": K + "id/initiative/gelderland-anders",
    "place": K + "id/place/cbs/GM0363",
    "spatial": K + "id/place/cbs/GM0363",
    "municipality": K + "id/place/cbs/GM0363",
    "province": K + "id/place/cbs/PV25",
    "theme": K + "def/theme/environment-and-nature",
    "period": "2012",
    "cap": "10",
    "text": "buurt",
    "facet": "form",
    "code": "GM0484",
    "section": K + "id/section/booklet-sociale-innovatie",
}


def test_catalogue_is_not_empty() -> None:
    assert len(catalogue()) >= 5


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_header_is_complete(name: str) -> None:
    q = get_query(name)
    assert q.title.get("en") and q.title.get("nl"), f"{name}: title in en and nl"
    assert q.description.get("en") and q.description.get("nl"), f"{name}: description in en and nl"


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_every_query_runs(name: str, kstore, settings) -> None:  # type: ignore[no-untyped-def]
    """Each query runs with only its required parameters, then with every parameter bound."""
    q = get_query(name)
    for p in q.parameters:
        assert p.name in SAMPLE_PARAMS, f"{name}: add a sample value for parameter {p.name!r}"
    required = {p.name: SAMPLE_PARAMS[p.name] for p in q.parameters if p.required}
    full = {p.name: SAMPLE_PARAMS[p.name] for p in q.parameters}
    for params in (required, full):
        result = kstore.run(name, params)
        if hasattr(result, "variables"):
            list(result)


def test_parameters_are_bound_not_pasted(kstore) -> None:  # type: ignore[no-untyped-def]
    q = get_query("graph-triple-count")
    text, subs = q.bind({"g": "http://example.org/g"})
    assert "example.org" not in text
    assert subs == {ox.Variable("g"): ox.NamedNode("http://example.org/g")}


def test_values_marker_gets_a_validated_term() -> None:
    q = get_query("stats-by-form")
    text, subs = q.bind({"lang": "en"})
    assert 'VALUES ?lang { "en" }' in text and not subs
    with pytest.raises(QueryParameterError):
        q.bind({"lang": '" } . ?x ?y ?z { "'})


def test_limit_marker_gets_a_validated_integer(kstore) -> None:  # type: ignore[no-untyped-def]
    """``# @limit ?cap`` becomes a LIMIT (SPARQL has no variable there): an integer or refused,
    and the count stops at it."""
    q = get_query("store-quads-up-to")
    text, subs = q.bind({"cap": "7"})
    assert "LIMIT 7" in text and not subs
    with pytest.raises(QueryParameterError):
        q.bind({"cap": "7 } ?x ?y ?z {"})
    total = kstore.rows("store-quads-up-to", {"cap": 10**9})[0]["quads"]
    assert total > 20
    assert kstore.rows("store-quads-up-to", {"cap": 20})[0]["quads"] == 20


def test_unknown_and_missing_parameters_are_errors() -> None:
    with pytest.raises(QueryParameterError):
        get_query("graph-triple-count").bind({})
    with pytest.raises(QueryParameterError):
        get_query("graph-triple-count").bind({"g": "http://x/", "nope": "1"})


def test_header_without_title_is_rejected() -> None:
    with pytest.raises(ValueError, match="title"):
        parse("x", "SELECT * WHERE { ?s ?p ?o }")


def test_facilitated_initiatives_with_source(kstore) -> None:  # type: ignore[no-untyped-def]
    """Issue 3's question, answered by one stored query."""
    rows = kstore.rows("initiatives-by-government-role", {"lang": "en"})
    assert rows, "some initiative is facilitated by a government"
    for row in rows:
        assert row["document"] and row["section"], row
