"""The portal in a real browser: Debian's Chromium driven by Playwright, against ``kiemen serve``.

Covers search, facets, the map, an initiative page, the network view, the language switch,
keyboard use and axe-core on every page type (zero serious or critical violations). Every
request to another host is aborted: the portal must work offline. Screenshots are kept in
``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser_helpers
import pytest
import requests
from browser_helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

browser_helpers.sync_api()  # skips the module when Chromium is missing


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with browser_helpers.chromium() as b:
        yield b


@pytest.fixture()
def page(browser: Any, live_server: str) -> Iterator[Any]:
    options = {"locale": "nl-NL", "viewport": {"width": 1280, "height": 900}}
    with browser_helpers.offline_page(browser, live_server, **options) as p:
        yield p


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def kind_urls(live_server: str, kstore: Any) -> dict[str, str]:
    """A page of every kind, found with the stored queries."""
    from portal.resource import page_path

    rows = requests.get(f"{live_server}/api/initiatives?_size=1", timeout=10).json()
    form = rows["facet_results"]["form"]["results"][0]["token"]
    out: dict[str, str] = {
        "home": "/",
        "browse": "/browse",
        "browse-filtered": f"/browse?form={form}",
        "search": "/search?q=gelderland",
        "network": "/network",
        "api": "/api",
        "initiative": "/page/" + str(page_path(kstore.settings, rows["rows"][0]["iri"])),
    }
    for r in kstore.rows("index-search-things", {}):
        if r["kind"] not in out:
            path = page_path(kstore.settings, r["thing"])
            if path:
                out[r["kind"]] = "/page/" + path
    return out


def test_every_page_type_passes_axe(page: Any, live_server: str, kstore: Any) -> None:
    urls = kind_urls(live_server, kstore)
    assert {"initiative", "actor", "place", "concept", "document", "reference"} <= set(urls)
    failures = {}
    for name, url in urls.items():
        for lang in ("nl", "en"):
            sep = "&" if "?" in url else "?"
            page.goto(f"{live_server}{url}{sep}lang={lang}")
            page.wait_for_load_state("networkidle")
            found = axe_violations(page)
            if found:
                failures[f"{name} ({lang})"] = found
        shot(page, f"page-{name}")
    assert not failures, json.dumps(failures, indent=1)


def test_search_then_open_an_initiative(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/?lang=nl")
    page.get_by_label("Initiatief zoeken op naam").fill("Oldebrok")  # a typo
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Oldebrok"))
    assert page.locator("mark").count() >= 1
    shot(page, "search-typo")
    page.locator("ol.result-list a", has_text="Oldebroek").first.click()
    page.wait_for_url(re.compile(r"/page/"))
    assert page.locator("h1").inner_text()
    shot(page, "search-result-page")


def test_facets_combine_and_the_map_follows(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/browse?lang=en")
    heading = page.locator("#results-h")
    total = int(heading.inner_text().split()[0])
    page.locator("#map[data-ready]").wait_for()
    assert int(page.locator("#map").get_attribute("data-ready") or 0) > 0
    assert page.locator(".leaflet-marker-icon").count() > 0
    facet = page.locator("#facet-province li a").first
    expected = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_url(re.compile(r"province="))
    assert int(heading.inner_text().split()[0]) == expected < total
    second = page.locator("#facet-form li a:not(.selected)").first
    narrowed = int(second.locator(".count").inner_text())
    second.click()
    page.wait_for_url(re.compile(r"form="))
    assert int(heading.inner_text().split()[0]) == narrowed <= expected
    page.locator("#map[data-ready]").wait_for()
    markers = page.locator(".leaflet-marker-icon").count()
    assert markers >= 1
    shot(page, "browse-facets-map")
    page.locator(".leaflet-marker-icon").first.click()
    page.locator(".leaflet-popup-content a").first.wait_for()
    shot(page, "browse-map-popup")
    # The list's SPARQL opens the query page with the query in it.
    link = page.locator("a.sparql-link", has_text="Show the SPARQL").last.get_attribute("href")
    response = requests.get(f"{live_server}{link}", allow_redirects=False, timeout=10)
    assert response.status_code == 303 and response.headers["Location"].startswith("/sparql?query=")


def test_a_municipality_facilitated_cited_mapped_networked(page: Any, live_server: str) -> None:
    """The issue's 'done when': every initiative a municipality facilitated, where the source
    says so, the map and the network of those initiatives, and a citation — by keyboard."""
    page.goto(f"{live_server}/browse?lang=en")
    link = page.locator("#facet-govrole a", has_text="facilitating")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"govrole=facilitating"))
    link = page.locator("#facet-actortype a", has_text="municipal government")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"actortype=municipal-government"))
    count = int(page.locator("#results-h").inner_text().split()[0])
    assert count >= 1
    page.locator("#map[data-ready]").wait_for()
    first_result = page.locator("ol.result-list h3 a").first
    first_result.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/page/initiative/"))
    row = page.locator("tr", has=page.locator("a", has_text=re.compile("unicipality|emeente")))
    assert row.count() >= 1 and "facilitating" in row.first.inner_text()
    assert page.locator("ol.sources li").count() >= 1
    assert "lines" in page.locator("ol.sources").inner_text()
    shot(page, "initiative-facilitated")
    bib = page.locator(".cite a", has_text="BibTeX").get_attribute("href")
    assert requests.get(f"{live_server}{bib}", timeout=10).text.startswith("@misc{")
    page.goto(f"{live_server}/network?govrole=facilitating&actortype=municipal-government&lang=en")
    page.locator("#network[data-ready]").wait_for()
    assert int(page.locator("#network").get_attribute("data-ready") or 0) >= 2
    assert page.locator("#network canvas").count() >= 1
    shot(page, "network-facilitated")


def test_network_view_filters(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/network?lang=nl")
    page.locator("#network[data-ready]").wait_for()
    everything = int(page.locator("#network").get_attribute("data-ready") or 0)
    assert everything > 2
    options = page.locator("#nf-form option")
    page.select_option("#nf-form", index=1)
    page.locator("form.filters button").click()
    page.wait_for_url(re.compile(r"form="))
    page.locator("#network[data-ready]").wait_for()
    assert 0 < int(page.locator("#network").get_attribute("data-ready") or 0) < everything
    assert options.count() > 2
    nodes = page.evaluate("() => window.kiemenNetwork.nodes().length")
    assert nodes == int(page.locator("#network").get_attribute("data-ready") or 0)
    shot(page, "network-form")


def test_language_switch(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/browse")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert "Samenwerkingsvorm" in page.locator("aside.facets").inner_text()
    page.locator("header a.lang").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Collaboration form" in page.locator("aside.facets").inner_text()
    page.goto(f"{live_server}/")  # remembered in a cookie
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "home-en")


def test_everything_is_reachable_by_keyboard(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/browse?lang=en")
    page.locator("#map[data-ready]").wait_for()
    page.keyboard.press("Tab")
    first = page.evaluate("() => document.activeElement.className")
    assert "skip" in first
    seen: list[str] = []
    for _ in range(400):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                """() => { const e = document.activeElement;
                    return (e.closest('[id]') ? e.closest('[id]').id : '') + '|' + e.tagName + '|' +
                           (e.getAttribute('href') || '') + '|' + (e.className || ''); }"""
            )
        )
    joined = "\n".join(seen)
    assert "facet-form|A|" in joined, "facet links"
    assert "|SELECT|" in joined, "the sort control"
    assert "leaflet-marker-icon" in joined or "marker-cluster" in joined, "map markers"
    assert "leaflet-control-zoom-in" in joined, "map zoom"
    assert re.search(r"\|A\|/page/initiative/", joined), "results"
    # The home picture's forms are links reached by Tab as well.
    page.goto(f"{live_server}/?lang=en")
    reached = False
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('svg')"):
            reached = True
            break
    assert reached, "the forms in the two-axis picture"
    shot(page, "home-keyboard")
