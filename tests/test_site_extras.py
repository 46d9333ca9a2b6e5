"""The small things a first visit notices (issue #17 items 9-11): a favicon, /api in the
navigation with a bilingual overview that links the OpenAPI description, and axe-core clean
new pages (error pages, search with a correction or suggestions, /downloads/ being prepared,
pages of unnamed nodes) in a real Chromium against a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import browser_helpers
import pytest
from browser_helpers import axe_violations


def test_favicon(client) -> None:  # type: ignore[no-untyped-def]
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.mimetype == "image/x-icon"
    assert ico.data[:4] == b"\x00\x00\x01\x00" and b"PNG" in ico.data[:40]
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    html = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in html and 'href="/favicon.ico"' in html


@pytest.mark.parametrize(
    "lang,words", [("nl", "machineleesbare beschrijving"), ("en", "machine-readable description")]
)
def test_api_page_in_the_navigation_and_both_languages(client, lang: str, words: str) -> None:  # type: ignore[no-untyped-def]
    home = client.get(f"/?lang={lang}").get_data(as_text=True)
    nav = home[home.index("<nav") : home.index("</nav>")]
    assert 'href="/api/"' in nav
    page = client.get(f"/api?lang={lang}").get_data(as_text=True)
    assert words in page and 'href="/api/openapi.json"' in page
    assert "Facetten" in page if lang == "nl" else "Facets" in page
    assert "/api/initiatives" in page and "/api/search" in page


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    browser_helpers.sync_api()
    with browser_helpers.chromium() as b:
        yield b


@pytest.mark.browser
@pytest.mark.slow
def test_new_pages_pass_axe(browser: Any, live_server: str) -> None:
    urls = {
        "not-found": "/no/such/page",
        "bad-facet": "/browse?form=nope",
        "past-last": "/browse?page=999",
        "corrected": "/search?q=Oldebrok",
        "suggestions": "/search?q=gelderland+qxzvwq",
        "api": "/api",
        "downloads": "/downloads/",
        "involvement": "/page/involvement/laat-je-hoorn--gemeente-hoorn",
        "browse-legend": "/browse",
    }
    failures = {}
    options = {"locale": "nl-NL", "viewport": {"width": 1280, "height": 900}}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        for name, url in urls.items():
            for lang in ("nl", "en"):
                sep = "&" if "?" in url else "?"
                page.goto(f"{live_server}{url}{sep}lang={lang}")
                page.wait_for_load_state("networkidle")
                assert page.evaluate("document.documentElement.lang") == lang, (name, lang)
                found = axe_violations(page)
                if found:
                    failures[f"{name} ({lang})"] = found
    assert not failures, json.dumps(failures, indent=1)
