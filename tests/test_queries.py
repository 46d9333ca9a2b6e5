"""Every stored query has a header and runs against the bundled data with bound parameters."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from queries import QueryParameterError, catalogue, get_query, parse

SAMPLE_PARAMS: dict[str, str] = {
    "lang": "nl",
    "g": "https://w3id.org/kiemen/graph/curated",
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
    q = get_query(name)
    params = {}
    for p in q.parameters:
        if p.name in SAMPLE_PARAMS:
            params[p.name] = (
                settings.rebase(SAMPLE_PARAMS[p.name]) if p.type == "iri" else SAMPLE_PARAMS[p.name]
            )
        elif p.required:
            pytest.fail(f"{name}: add a sample value for required parameter {p.name}")
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
