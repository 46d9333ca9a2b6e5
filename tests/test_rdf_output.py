"""Linked-data output people can read (issue #17 item 8): Turtle grouped per subject with
prefixes, JSON-LD compacted with an @context, and ``Accept: application/json`` gets JSON-LD."""

from __future__ import annotations

import json
import re
from typing import Any

import rdflib
from rdflib.compare import isomorphic


def _thing(client: Any) -> str:
    row = client.get("/api/initiatives?_size=1").get_json()["rows"][0]
    return str(row["page_url"]).removeprefix("/page/")


def _graph(body: str, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=body, format=fmt)


def test_turtle_is_one_block_per_subject_with_prefixes(client) -> None:  # type: ignore[no-untyped-def]
    path = _thing(client)
    ttl = client.get(f"/data/{path}.ttl").get_data(as_text=True)
    nt = client.get(f"/data/{path}.nt").get_data(as_text=True)
    assert isomorphic(_graph(ttl, "turtle"), _graph(nt, "nt"))
    assert "@prefix skos:" in ttl
    body = [line for line in ttl.splitlines() if line and not line.startswith("@prefix")]
    starts = [line.split()[0] for line in body if not line[0].isspace()]
    assert len(starts) == len(set(starts)), "each subject opens one block"
    assert starts[0] == path.replace("/", ":", 1)  # the described thing comes first
    assert re.search(r"^\S+ a \S+ ;$", body[0]), "rdf:type first"


def test_jsonld_is_compacted_with_a_context(client) -> None:  # type: ignore[no-untyped-def]
    path = _thing(client)
    response = client.get(f"/data/{path}.jsonld")
    assert response.mimetype == "application/ld+json"
    doc = json.loads(response.get_data(as_text=True))
    assert doc["@context"]["skos"] == "http://www.w3.org/2004/02/skos/core#"
    nodes = doc["@graph"]
    first = nodes[0]
    assert first["@id"] == path.replace("/", ":", 1)
    assert "skos:prefLabel" in first and "@type" in first
    assert not any(k.startswith("http") for n in nodes for k in n)
    nt = client.get(f"/data/{path}.nt").get_data(as_text=True)
    assert isomorphic(_graph(response.get_data(as_text=True), "json-ld"), _graph(nt, "nt"))


def test_accept_application_json_gets_jsonld(client) -> None:  # type: ignore[no-untyped-def]
    path = _thing(client)
    see = client.get(f"/id/{path}", headers={"Accept": "application/json"})
    assert see.status_code == 303 and see.headers["Location"].endswith(f"/data/{path}.jsonld")
    void = client.get("/.well-known/void", headers={"Accept": "application/json"})
    assert void.status_code == 200 and void.mimetype == "application/ld+json"
    assert "@context" in void.get_json()
    # Browsers still get the page.
    page = client.get(f"/id/{path}", headers={"Accept": "text/html,application/json;q=0.9"})
    assert page.headers["Location"].endswith(f"/page/{path}")
