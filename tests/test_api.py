"""The JSON API: one documented shape (datasette's) for lists, facets, search, map, network,
things, and errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

LIST_KEYS = {"ok", "rows", "count", "truncated", "next", "next_url"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/initiatives",
        "/api/facets",
        "/api/search?q=gelderland",
        "/api/map",
        "/api/network",
    ],
)
def test_every_list_has_the_one_shape(client, url: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert set(data) >= LIST_KEYS, url
    assert (
        data["ok"] is True and isinstance(data["rows"], list) and data["truncated"] in (True, False)
    )


def test_next_url_leads_to_the_next_page(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/api/initiatives?_size=5").get_json()
    assert first["next"] is not None and first["next_url"].endswith(f"_next={first['next']}")
    parts = urlsplit(first["next_url"])
    second = client.get(parts.path + "?" + parts.query).get_json()
    assert not {r["iri"] for r in first["rows"]} & {r["iri"] for r in second["rows"]}
    assert len(second["rows"]) == 5
    last = client.get(f"/api/initiatives?_size=5&page={-(-first['count'] // 5)}").get_json()
    assert last["next"] is None and last["next_url"] is None


def test_search_pages_with_next(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/api/search?q=sociale&_size=3").get_json()
    assert first["count"] > 3 and len(first["rows"]) == 3
    parts = urlsplit(first["next_url"])
    second = client.get(parts.path + "?" + parts.query).get_json()
    assert second["rows"] and second["rows"][0]["iri"] != first["rows"][0]["iri"]
    kinds = first["facet_results"]["kind"]["results"]
    assert sum(k["count"] for k in kinds) == first["count"]


def test_things_describe_one_resource(client) -> None:  # type: ignore[no-untyped-def]
    row = client.get("/api/initiatives?_size=1").get_json()["rows"][0]
    data = client.get("/api/things", query_string={"iri": row["iri"]}).get_json()
    assert data["ok"] and data["count"] == 1
    thing = data["rows"][0]
    assert thing["iri"] == row["iri"] and thing["kind"] == "initiative"
    assert "skos:prefLabel" in thing["properties"]
    assert thing["page_url"].startswith("/page/initiative/")


@pytest.mark.parametrize(
    "url,status",
    [
        ("/api/things", 400),
        ("/api/things?iri=http://example.org/nothing", 404),
        ("/api/search?q=x&kind=planet", 400),
        ("/api/initiatives?_size=100000", 400),
        ("/api/search", 400),
    ],
)
def test_errors_have_one_shape(client, url: str, status: int) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == status
    body: dict[str, Any] = response.get_json()
    assert body == {"ok": False, "error": body["error"], "status": status} and body["error"]


def test_the_shape_is_documented(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/api").get_data(as_text=True)
    for word in ("next_url", "facet_results", "truncated", "toggle_url", '"ok": false', "_next"):
        assert word in html
    for path in (
        "/api/initiatives",
        "/api/facets",
        "/api/search",
        "/api/map",
        "/api/network",
        "/api/things",
    ):
        assert path in html


def test_api_names_follow_the_language(client) -> None:  # type: ignore[no-untyped-def]
    nl = client.get("/api/initiatives?_size=500&_lang=nl").get_json()["rows"]
    en = client.get("/api/initiatives?_size=500&_lang=en").get_json()["rows"]
    by_nl = {r["iri"]: r["label"] for r in nl}
    assert any(by_nl[r["iri"]] != r["label"] for r in en)
