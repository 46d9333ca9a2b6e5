"""The portal a researcher keeps open, in real headless Chromium against ``kiemen serve``:
the Content-Security-Policy breaks nothing (issue #13 item 3), phones at 390 px and the
keyboard (issue #17 item 5), and the new pages pass axe-core.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import browser_helpers
import pytest
import requests
from browser_helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser_helpers.sync_api()  # skips the module when Chromium is missing

#: Records every CSP violation the page reports (init scripts run whatever the policy says).
CSP_WATCH = """
document.addEventListener('securitypolicyviolation', function (e) {
  (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI + ' ' +
    (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with browser_helpers.chromium() as b:
        yield b


def page_urls(live_server: str, kstore: Any) -> dict[str, str]:
    """A page of every type: the fixed pages and one page of every kind of thing."""
    from portal.resource import page_path

    rows = requests.get(f"{live_server}/api/initiatives?_size=1", timeout=10).json()
    form = rows["facet_results"]["form"]["results"][0]["token"]
    out: dict[str, str] = {
        "home": "/",
        "browse": "/browse",
        "browse-filtered": f"/browse?form={form}",
        "search": "/search?q=gelderland",
        "network": "/network",
        "sparql": "/query",
        "codebook": "/def",
        "downloads": "/downloads/",
        "void": "/.well-known/void",
        "api": "/api",
        "publish": "/publish",
        "initiative": "/page/" + str(page_path(kstore.settings, rows["rows"][0]["iri"])),
    }
    for r in kstore.rows("index-search-things", {}):
        if r["kind"] not in out:
            path = page_path(kstore.settings, r["thing"])
            if path:
                out[r["kind"]] = "/page/" + path
    return out


def settle(page: Any) -> None:
    """Wait until the page's scripts have drawn what they draw (map, network, editor)."""
    page.wait_for_load_state("networkidle")
    for selector in ("#map", "#network"):
        if page.locator(selector).count():
            page.locator(f"{selector}[data-ready]").wait_for(timeout=20000)


def test_no_page_violates_the_content_security_policy(
    browser: Any, live_server: str, kstore: Any
) -> None:
    options = {"locale": "nl-NL", "viewport": {"width": 1280, "height": 900}}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        page.context.add_init_script(CSP_WATCH)
        console: list[str] = []
        page.on(
            "console",
            lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
        )
        found: dict[str, Any] = {}
        for name, url in {**page_urls(live_server, kstore), **{u: u for u in NEW_PAGES}}.items():
            response = page.goto(f"{live_server}{url}")
            assert (
                response is not None
                and "frame-ancestors 'none'" in response.headers["content-security-policy"]
            )
            settle(page)
            if name == "sparql":
                page.locator(".CodeMirror").first.wait_for()
                page.locator(".yasqe_queryButton").first.click()
                page.locator(".yasr .dataTable, .yasr table").first.wait_for(timeout=20000)
            violations = page.evaluate("() => window.__csp || []")
            if violations:
                found[name] = violations
        assert not found and not console, json.dumps(
            {"events": found, "console": console}, indent=1
        )
        # The libraries work under the policy: markers, the graph and the editor are there.
        page.goto(f"{live_server}/browse")
        settle(page)
        assert page.locator(".leaflet-marker-icon").count() > 0
        page.goto(f"{live_server}/network")
        settle(page)
        assert page.evaluate("() => window.kiemenNetwork.nodes().length") > 2


def test_new_pages_pass_axe(browser: Any, live_server: str) -> None:
    options = {"locale": "nl-NL", "viewport": {"width": 1280, "height": 900}}
    failures = {}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        for url in NEW_PAGES:
            for lang in ("nl", "en"):
                sep = "&" if "?" in url else "?"
                page.goto(f"{live_server}{url}{sep}lang={lang}")
                settle(page)
                found = axe_violations(page)
                if found:
                    failures[f"{url} ({lang})"] = found
    assert not failures, json.dumps(failures, indent=1)


#: Pages this round adds; each must pass axe-core like the rest.
NEW_PAGES: list[str] = [
    "/about",
    "/page/section/booklet-wat-zijn-de-sociale-media",
    "/page/place/amsterdam",
    "/page/actor/tno",
    "/compare?i=gelderland-anders&i=galaxy-zoo",
    "/timeline",
    "/timeline?form=civic-initiative",
]


def test_no_page_overflows_a_phone(browser: Any, live_server: str, kstore: Any) -> None:
    """At 390x844 the page is never wider than the screen: wide tables scroll in their box."""
    # Not is_mobile: a phone browser widens its layout viewport to fit wide content, which would
    # hide the overflow this test is here to catch.
    options = {"locale": "en-GB", "viewport": {"width": 390, "height": 844}}
    wide: dict[str, Any] = {}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        for name, url in {**page_urls(live_server, kstore), **{u: u for u in NEW_PAGES}}.items():
            page.goto(f"{live_server}{url}")
            settle(page)
            sizes = page.evaluate(
                """() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
                  culprits: Array.from(document.querySelectorAll('body *')).filter(e =>
                    e.getBoundingClientRect().right > window.innerWidth + 1 &&
                    !e.closest('.scroll-x, .leaflet-container, .CodeMirror, pre')
                  ).slice(0, 4).map(e => e.tagName + '.' + e.className)})"""
            )
            if sizes["scroll"] > sizes["inner"]:
                wide[name] = sizes
    assert not wide, json.dumps(wide, indent=1)


def tab_until(page: Any, predicate: str, limit: int) -> int:
    """Press Tab until ``predicate`` (a JS expression on ``document.activeElement``) holds;
    return how many presses it took (fails after ``limit``)."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!({predicate}); }}"):
            return n
    raise AssertionError(f"not reached within {limit} Tab presses: {predicate}")


@pytest.mark.parametrize("url", ["/browse", "/browse?q=buurt", "/search?q=buurt"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_first_result_is_within_ten_tabs(
    browser: Any, live_server: str, url: str, width: int
) -> None:
    options = {"locale": "en-GB", "viewport": {"width": width, "height": 844}}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        page.goto(f"{live_server}{url}")
        settle(page)
        presses = tab_until(page, "e.classList.contains('skip-results')", 3)
        page.keyboard.press("Enter")
        presses += tab_until(page, "e.closest('ol.result-list') && e.tagName === 'A'", 10 - presses)
        assert presses <= 10
        first = page.locator("ol.result-list a").first.get_attribute("href")
        assert page.evaluate("() => document.activeElement.getAttribute('href')") == first


def test_phones_see_results_first_and_filters_behind_a_button(
    browser: Any, live_server: str
) -> None:
    options = {"locale": "nl-NL", "viewport": {"width": 390, "height": 844}}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        page.goto(f"{live_server}/browse")
        settle(page)
        toggle = page.locator("button.filters-toggle")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("#facets").is_visible()
        first = page.locator("ol.result-list li").first.bounding_box()
        assert first is not None and first["y"] < 2 * 844, "the first result within two screens"
        toggle.focus()
        page.keyboard.press("Enter")
        assert (
            page.locator("#facets").is_visible() and toggle.get_attribute("aria-expanded") == "true"
        )
        # On a wide screen the filters are simply there, beside the results.
        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.locator("#facets").is_visible() and not toggle.is_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_focus_stays_on_the_toggled_facet(browser: Any, live_server: str, width: int) -> None:
    options = {"locale": "en-GB", "viewport": {"width": width, "height": 844}}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        page.goto(f"{live_server}/browse")
        settle(page)
        if width < 600:
            page.locator("button.filters-toggle").click()
        link = page.locator("#facet-form li a").nth(1)
        focus_id = link.get_attribute("data-focus-id")
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**form=**")
        settle(page)
        active = page.evaluate("() => document.activeElement.getAttribute('data-focus-id')")
        assert active == focus_id
        assert page.evaluate("() => document.activeElement.getAttribute('aria-current')") == "true"
        page.keyboard.press("Enter")  # and off again, still in the same place
        page.wait_for_url(lambda u: "form=" not in u)
        settle(page)
        assert (
            page.evaluate("() => document.activeElement.getAttribute('data-focus-id')") == focus_id
        )


@pytest.mark.parametrize("url", ["/browse", "/page/place/amsterdam", "/page/actor/tno"])
def test_the_map_has_geography_and_named_markers(browser: Any, live_server: str, url: str) -> None:
    """Natural Earth outlines drawn offline; each marker (and cluster) has an accessible name;
    a country's name shows on hover."""
    options = {"locale": "en-GB", "viewport": {"width": 1280, "height": 900}}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        page.goto(f"{live_server}{url}?lang=en")
        page.locator("#map[data-ready]").wait_for()
        page.locator("#map[data-countries-ready]").wait_for()
        assert int(page.locator("#map").get_attribute("data-countries-ready") or 0) > 200
        assert page.locator("#map path.leaflet-interactive").count() > 50, "country shapes"
        markers = page.locator("#map .leaflet-marker-icon")
        assert markers.count() >= 1
        names = page.evaluate(
            """() => Array.from(document.querySelectorAll('#map .leaflet-marker-icon')).map(
                 e => (e.getAttribute('aria-label') || e.textContent || '').trim())"""
        )
        assert all(n and not n.isdigit() for n in names), names
        # Hover over the Netherlands (the map starts on the data, in or near it).
        page.mouse.move(5, 5)
        box = page.locator("#map").bounding_box()
        assert box is not None
        shown = ""
        for fx, fy in ((0.5, 0.5), (0.3, 0.3), (0.7, 0.6), (0.2, 0.8), (0.8, 0.2)):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            tip = page.locator(".leaflet-tooltip")
            if tip.count():
                shown = tip.first.inner_text()
                break
        assert shown, "a name on hover"


def test_the_network_is_readable(browser: Any, live_server: str) -> None:
    """fCoSE layout, labels at least 11 px on screen at the default zoom, roles on edges, a
    legend, and the initiatives without actors listed instead of vanishing."""
    options = {"locale": "en-GB", "viewport": {"width": 1280, "height": 900}}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        page.goto(f"{live_server}/network?lang=en")
        settle(page)
        net = page.locator("#network")
        assert net.get_attribute("data-layout") == "fcose"
        sizes = page.evaluate(
            """() => window.kiemenNetwork.nodes('[?major]').map(
                 n => parseFloat(n.renderedStyle('font-size')))"""
        )
        assert sizes and min(sizes) >= 11, sizes
        # Spread out: no two labelled nodes on top of each other.
        spread = page.evaluate(
            """() => { const ps = window.kiemenNetwork.nodes('[?major]').map(
                   n => n.renderedPosition());
                 let close = 0;
                 for (let i = 0; i < ps.length; i++) for (let j = i + 1; j < ps.length; j++)
                   if (Math.hypot(ps[i].x - ps[j].x, ps[i].y - ps[j].y) < 4) close++;
                 return close; }"""
        )
        assert spread == 0
        # Hovering an edge shows its role as a label.
        role = page.evaluate(
            """() => { const e = window.kiemenNetwork.edges()[0]; e.emit('mouseover');
                 return [e.data('label'), e.hasClass('show'), e.style('label')]; }"""
        )
        assert role[0] and role[1] and role[2] == role[0]
        legend = page.locator("#network-legend-h + ul").inner_text()
        assert "stated" in legend and "inferred" in legend and "Actor" in legend
        assert page.locator(".legend .edge-role").count() >= 1
        # Every initiative of the selection is either in the picture or in the list.
        total = requests.get(f"{live_server}/api/initiatives?_size=1", timeout=10).json()["count"]
        in_picture = page.evaluate(
            "() => window.kiemenNetwork.nodes('[kind = \"initiative\"]').length"
        )
        alone = page.locator("#alone-h").inner_text()
        n_alone = int(alone.rsplit("(", 1)[1].rstrip(")"))
        assert n_alone >= 1
        assert in_picture + n_alone == total
