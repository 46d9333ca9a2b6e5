"""Consistent errors (issue #17 item 9): styled pages in the visitor's language, JSON under /api
(unknown routes too), 400 naming the valid facet values, 404 past the last page with the way to
it, and generic texts for the client while the details go to the log."""

from __future__ import annotations

import logging
from typing import Any

import pytest


def json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert body["ok"] is False and body["status"] == status and body["error"]
    return body


@pytest.mark.parametrize("lang,title", [("nl", "Pagina niet gevonden"), ("en", "Page not found")])
def test_unknown_pages_are_styled_in_the_ui_language(client, lang: str, title: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/foo?lang={lang}")
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and f"<h1>{title}</h1>" in html
    assert "kiemen.css" in html and 'role="search"' in html  # the site's layout, a way on


@pytest.mark.parametrize("path", ["/api/nope", "/api/", "/api/things/x/y", "/api/search/extra"])
def test_everything_under_api_answers_json(client, path: str) -> None:  # type: ignore[no-untyped-def]
    if path == "/api/":
        assert client.get(path).status_code == 200  # the overview page
        return
    json_error(client.get(path), 404)


def test_wrong_method_under_api_is_json_with_allow(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/initiatives")
    json_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_unknown_facet_value_is_400_with_the_valid_values(client) -> None:  # type: ignore[no-untyped-def]
    body = json_error(client.get("/api/initiatives?form=nope"), 400)
    assert body["facet"] == "form" and "co-creation" in body["valid_values"]
    assert "nope" in body["error"] and "co-creation" in body["error"]
    page = client.get("/browse?form=nope&lang=en")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Unknown value for form" in html and "co-creation" in html
    assert "Onbekende waarde voor form" in client.get("/browse?form=nope&lang=nl").get_data(
        as_text=True
    )
    # A known value by token or IRI still works.
    assert client.get("/browse?form=co-creation").status_code == 200


def test_a_page_past_the_last_is_404_with_a_link_to_the_last(client, settings) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/api/initiatives?_size=10").get_json()
    pages = -(-first["count"] // 10)
    body = json_error(client.get("/api/initiatives?_size=10&page=999"), 404)
    assert body["last_page"] == pages and f"page={pages}" in body["last_page_url"]
    last = client.get(body["last_page_url"])
    assert last.status_code == 200 and last.get_json()["rows"]
    html = client.get("/browse?page=999&lang=en")
    assert html.status_code == 404
    text = html.get_data(as_text=True)
    browse_pages = -(-first["count"] // settings.page_size)
    assert f"there are {browse_pages} pages" in text
    assert f'href="/browse?page={browse_pages}"' in text
    assert client.get("/search?q=gelderland&page=99").status_code == 404


def test_server_errors_are_generic_and_logged(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    app = create_app(settings)

    def boom() -> str:
        raise RuntimeError("secret detail /etc/passwd")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="kiemen.errors"):
        page = client.get("/boom?lang=en")
        api = client.get("/api/boom")
    assert page.status_code == 500 and "Something went wrong" in page.get_data(as_text=True)
    assert "secret" not in page.get_data(as_text=True)
    body = json_error(api, 500)
    assert "secret" not in body["error"]
    assert "secret detail" in caplog.text


def test_clients_that_do_not_read_html_get_text_or_json(client) -> None:  # type: ignore[no-untyped-def]
    plain = client.get("/foo", headers={"Accept": "text/plain"})
    assert plain.status_code == 404 and plain.mimetype == "text/plain"
    json_error(client.get("/foo", headers={"Accept": "application/json"}), 404)


def test_live_server_errors(live_server: str) -> None:
    import requests

    response = requests.get(live_server + "/api/nope", timeout=30)
    assert response.status_code == 404 and response.json()["ok"] is False
    response = requests.get(live_server + "/nope", headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 404 and "<h1>" in response.text
