"""The reconciliation service: every answer validated against the Reconciliation Service API 0.2
JSON Schemas (../shared/external/reconciliation-api-0.2), and the booklet's cases found from
the spellings a spreadsheet would have."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.conftest import SHARED

SCHEMAS = SHARED / "external" / "reconciliation-api-0.2" / "schemas"


def _registry() -> Registry:
    """Every schema of the folder under its ``$id`` (and its file name), so references resolve
    without a network."""
    resources = []
    for path in sorted(Path(SCHEMAS).glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        ident = contents["$id"].rstrip("#")
        resources.append((ident, resource))
        resources.append((ident + "#", resource))
        base = ident.rsplit("/", 1)[0]
        resources.append((base + "/" + path.name, resource))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(instance: Any, schema_file: str) -> None:
    schema = json.loads((SCHEMAS / schema_file).read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, registry=REGISTRY)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def post(client, **form: Any) -> Any:  # type: ignore[no-untyped-def]
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}
    response = client.post("/reconcile", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def test_manifest_follows_the_schema(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/reconcile")
    assert response.status_code == 200 and response.mimetype == "application/json"
    manifest = response.get_json()
    validate(manifest, "manifest.json")
    assert "0.2" in manifest["versions"]
    assert {t["id"] for t in manifest["defaultTypes"]} == {
        "Initiative",
        "Actor",
        "Place",
        "Concept",
    }
    assert manifest["preview"]["url"].startswith("http://localhost/reconcile/preview?id={{id}}")
    assert manifest["view"]["url"] == "http://localhost/page/{{id}}"


#: (spreadsheet spelling, type or None, the id it must find as the one certain match)
BOOKLET_CASES = [
    ("riot clean up", None, "initiative/riotcleanup"),
    ("Riot Clean-Up", "Initiative", "initiative/riotcleanup"),
    ("Verander Leusden", None, "initiative/verander-leusden"),
    ("onder tussen", None, "initiative/onder-tussen"),
    ("Onder-Tussen", "Initiative", "initiative/onder-tussen"),
    ("Gemeente Alphen a/d Rijn", None, "actor/gemeente-alphen-aan-den-rijn"),
    ("gem. Alphen a.d. Rijn", "Actor", "actor/gemeente-alphen-aan-den-rijn"),
    ("Alphen a/d Rijn", "Place", "place/cbs/GM0484"),
    ("Fryslan", "Place", "place/cbs/PV21"),
    ("burgerinitiatief", "Concept", "def/form/civic-initiative"),
]


def test_the_booklet_is_found_from_spreadsheet_spellings(client) -> None:  # type: ignore[no-untyped-def]
    queries = {
        f"q{n}": {"query": text, **({"type": kind} if kind else {})}
        for n, (text, kind, _id) in enumerate(BOOKLET_CASES)
    }
    validate(queries, "reconciliation-query-batch.json")
    answer = post(client, queries=queries)
    validate(answer, "reconciliation-result-batch.json")
    for n, (text, _kind, ident) in enumerate(BOOKLET_CASES):
        result = answer[f"q{n}"]["result"]
        assert result and result[0]["id"] == ident, (text, result[:3])
        assert result[0]["match"] is True and result[0]["score"] == 100, (text, result[0])
        assert [r["id"] for r in result if r["match"]] == [ident], text
        scores = [r["score"] for r in result]
        assert scores == sorted(scores, reverse=True), text


def test_a_typo_is_a_candidate_but_not_a_match(client) -> None:  # type: ignore[no-untyped-def]
    answer = post(client, queries={"q": {"query": "Verandr Leusdn", "type": "Initiative"}})
    validate(answer, "reconciliation-result-batch.json")
    first = answer["q"]["result"][0]
    assert first["id"] == "initiative/verander-leusden"
    assert first["match"] is False and 80 <= first["score"] < 100


def test_type_filter_and_names_in_english(client) -> None:  # type: ignore[no-untyped-def]
    queries = {
        "en": {"query": "Municipality of Alphen aan den Rijn"},
        "place": {"query": "Alphen aan den Rijn", "type": ["Place"]},
        "two": {"query": "Alphen aan den Rijn", "type": ["Place", "Actor"], "limit": 2},
    }
    answer = post(client, queries=queries, lang="en")
    validate(answer, "reconciliation-result-batch.json")
    assert answer["en"]["result"][0]["id"] == "actor/gemeente-alphen-aan-den-rijn"
    assert answer["en"]["result"][0]["name"] == "Municipality of Alphen aan den Rijn"
    assert {t["id"] for r in answer["place"]["result"] for t in r["type"]} == {"Place"}
    assert len(answer["two"]["result"]) <= 2


def test_property_constraints_change_score_and_match(client) -> None:  # type: ignore[no-untyped-def]
    queries = {
        "place-ok": {
            "query": "Verander Leusden",
            "properties": [{"pid": "place", "v": "Leusden"}],
        },
        "place-wrong": {
            "query": "Verander Leusden",
            "properties": [{"pid": "place", "v": "Amsterdam"}],
        },
        "form-by-id": {
            "query": "onder tussen",
            "properties": [{"pid": "form", "v": {"id": "def/form/civic-initiative"}}],
        },
        "code-only": {"properties": [{"pid": "cbsCode", "v": "GM0484"}], "type": "Actor"},
    }
    validate(queries, "reconciliation-query-batch.json")
    answer = post(client, queries=queries)
    validate(answer, "reconciliation-result-batch.json")
    ok, wrong = answer["place-ok"]["result"][0], answer["place-wrong"]["result"][0]
    assert ok["id"] == wrong["id"] == "initiative/verander-leusden"
    assert ok["match"] is True and ok["score"] == 100
    assert wrong["match"] is False and wrong["score"] == 70
    assert {"id": "property:place", "value": False} in wrong["features"]
    assert answer["form-by-id"]["result"][0]["match"] is True
    assert answer["code-only"]["result"][0]["id"] == "actor/gemeente-alphen-aan-den-rijn"


def test_queries_by_get_as_well(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/reconcile", query_string={"queries": json.dumps({"q": {"query": "riot clean up"}})}
    )
    assert response.get_json()["q"]["result"][0]["id"] == "initiative/riotcleanup"


@pytest.mark.parametrize(
    "queries",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"q": {"query": "x", "type": "Planet"}}),
        json.dumps({"q": {"query": "x", "limit": -1}}),
        json.dumps({"q": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}),
        json.dumps({"q": {"query": "x", "sneaky": 1}}),
        json.dumps({"q": {"query": "x", "type_strict": "some"}}),
        json.dumps({"q": {"query": "x", "limit": "5"}}),
        json.dumps({"q": {"query": "x", "type": "initiative"}}),  # ids are exact: Initiative
        '{"q": {"query": "x", "limit": Infinity}}',
        json.dumps({f"q{n}": {"query": "x"} for n in range(101)}),
        "[" * 100_000,
    ],
)
def test_bad_queries_get_a_clear_400(client, queries: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/reconcile", data={"queries": queries})
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False and body["status"] == 400 and body["error"]


def test_an_empty_cell_gets_no_candidates(client) -> None:  # type: ignore[no-untyped-def]
    answer = post(client, queries={"a": {}, "b": {"query": "  "}, "c": {"query": "", "limit": 3}})
    validate(answer, "reconciliation-result-batch.json")
    assert answer == {"a": {"result": []}, "b": {"result": []}, "c": {"result": []}}


def test_suggest_entities_properties_and_types(client) -> None:  # type: ignore[no-untyped-def]
    entity = client.get("/reconcile/suggest/entity?prefix=riot%20c").get_json()
    validate(entity, "suggest-entities-response.json")
    assert entity["result"][0]["id"] == "initiative/riotcleanup"
    actor = client.get("/reconcile/suggest/entity?prefix=Gemeente%20Alph&type=Actor").get_json()
    validate(actor, "suggest-entities-response.json")
    assert [r["id"] for r in actor["result"]] == ["actor/gemeente-alphen-aan-den-rijn"]
    props = client.get("/reconcile/suggest/property?prefix=pla").get_json()
    validate(props, "suggest-properties-response.json")
    assert {p["id"] for p in props["result"]} >= {"place", "placeType"}
    types = client.get("/reconcile/suggest/type?prefix=act").get_json()
    validate(types, "suggest-types-response.json")
    assert [t["id"] for t in types["result"]] == ["Actor"]
    nothing = client.get("/reconcile/suggest/entity?prefix=").get_json()
    assert nothing == {"result": []}
    deep = client.get("/reconcile/suggest/entity?prefix=a&cursor=4961849410058105856")
    assert deep.status_code == 400 and "cursor" in deep.get_json()["error"]


def test_propose_properties_follows_the_schema(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/reconcile/propose_properties?type=Initiative").get_json()
    validate(body, "data-extension-property-proposal.json")
    assert {"place", "form", "role", "actor", "source"} <= {p["id"] for p in body["properties"]}
    assert "cbsCode" not in {p["id"] for p in body["properties"]}


def test_extend_gives_forms_roles_places_and_sources(client) -> None:  # type: ignore[no-untyped-def]
    query = {
        "ids": ["initiative/riotcleanup", "initiative/verander-leusden", "initiative/nothing"],
        "properties": [
            {"id": p} for p in ("form", "role", "actor", "place", "source", "document", "startDate")
        ],
    }
    validate(query, "data-extension-query.json")
    body = post(client, extend=query, lang="en")
    validate(body, "data-extension-response.json")
    assert [m["id"] for m in body["meta"]] == [p["id"] for p in query["properties"]]
    riot = body["rows"]["initiative/riotcleanup"]
    assert {"id": "place/geonames/2643743", "name": "London"} in riot["place"]
    assert {c["id"] for c in riot["role"]} >= {"def/government-role/facilitating"}
    assert any(c["id"] == "def/form/civic-initiative" for c in riot["form"])
    assert riot["source"] and riot["document"]
    leusden = body["rows"]["initiative/verander-leusden"]
    assert [c["id"] for c in leusden["place"]] == ["place/cbs/GM0327"]
    assert body["rows"]["initiative/nothing"] == {p["id"]: [] for p in query["properties"]}


@pytest.mark.parametrize(
    "extend",
    [
        {"ids": "initiative/riotcleanup", "properties": [{"id": "place"}]},
        {"ids": ["initiative/riotcleanup"], "properties": [{"id": "colour"}]},
        {"ids": ["x"] * 201, "properties": [{"id": "place"}]},
    ],
)
def test_bad_extend_gets_a_clear_400(client, extend: Any) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/reconcile", data={"extend": json.dumps(extend)})
    assert response.status_code == 400 and response.get_json()["error"]


def test_preview_over_http_may_be_framed_and_escapes(live_server: str) -> None:
    """A real HTTP client against ``kiemen serve``: the preview allows framing (OpenRefine's
    iframe) with a policy of its own; an unknown id is shown escaped, with 404."""
    response = requests.get(
        live_server + "/reconcile/preview",
        params={"id": "initiative/riotcleanup", "lang": "en"},
        timeout=30,
    )
    assert response.status_code == 200 and "text/html" in response.headers["Content-Type"]
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "default-src 'none'" in policy
    assert "Riot clean-up" in response.text and '<html lang="en">' in response.text
    assert "London" in response.text
    hostile = requests.get(
        live_server + "/reconcile/preview", params={"id": "<script>alert(1)</script>"}, timeout=30
    )
    assert hostile.status_code == 404
    assert "<script>alert" not in hostile.text and "&lt;script&gt;" in hostile.text
    manifest = requests.get(live_server + "/reconcile", timeout=30)
    validate(manifest.json(), "manifest.json")
    assert manifest.headers["Access-Control-Allow-Origin"] == "*"
    batch = requests.post(
        live_server + "/reconcile",
        data={"queries": json.dumps({"q0": {"query": "Gemeente Alphen a/d Rijn"}})},
        timeout=30,
    )
    validate(batch.json(), "reconciliation-result-batch.json")
    assert batch.json()["q0"]["result"][0]["match"] is True
