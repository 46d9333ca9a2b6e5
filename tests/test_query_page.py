"""The query page in headless Chromium, offline: YASGUI loads from our own server, opens on an
example, runs it against /sparql and shows its results; examples switch; shareable links carry
the query; no request ever leaves 127.0.0.1; axe finds no WCAG 2.1 AA violations."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from conftest import REPO, free_port
from sparql_helpers import bundled_store, kiemen_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    store = bundled_store(tmp_path_factory.mktemp("page") / "store", f"http://127.0.0.1:{port}/")
    with kiemen_server(store, port) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (make test-deps installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Page:
    """A page that aborts (and records) every request to another host."""

    def __init__(self, browser: object, base: str) -> None:
        self.context = browser.new_context(locale="en-GB")  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        host = urlparse(base).netloc

        def route(r: object) -> None:
            url = r.request.url  # type: ignore[attr-defined]
            if urlparse(url).netloc != host and not url.startswith("data:"):
                self.outside.append(url)
                r.abort()  # type: ignore[attr-defined]
            else:
                r.continue_()  # type: ignore[attr-defined]

        self.page.route("**/*", route)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def page(browser: object, server: str) -> Iterator[Page]:
    p = Page(browser, server)
    yield p
    p.close()


def results_text(page: object) -> str:
    """The results table once it has rows (an empty table does not count)."""
    page.wait_for_selector(  # type: ignore[attr-defined]
        ".yasr .dataTable tbody tr td:not(.dataTables_empty)", timeout=20_000
    )
    return str(page.inner_text(".yasr .dataTable"))  # type: ignore[attr-defined]


def test_page_opens_on_an_example_and_shows_its_results(page: Page, server: str) -> None:
    p = page.page
    with p.expect_response(
        lambda r: r.url.startswith(server + "/sparql") and r.request.method == "POST"
    ) as answer:
        p.goto(server + "/query?lang=en")
    assert answer.value.status == 200
    table = results_text(p)
    assert table.strip(), "the example's results are shown"
    editor = p.evaluate("window.kiemenYasgui.getTab().getQuery()")
    assert editor.startswith("# Initiatives by collaboration form")  # the example's title
    assert "km:form/" in table  # rows of the example, IRIs shortened with the ontology's prefix
    assert not page.outside, page.outside
    assert not page.errors, page.errors


def test_choosing_another_example_runs_it(page: Page, server: str) -> None:
    p = page.page
    p.goto(server + "/query?lang=nl")
    results_text(p)
    links = p.locator(".example-link")
    assert links.count() >= 2
    second = links.nth(1)
    name = second.get_attribute("data-example")
    title = second.inner_text()
    with p.expect_response(lambda r: r.url.startswith(server + "/sparql")) as answer:
        second.click()
    assert answer.value.status == 200
    assert p.evaluate("window.kiemenYasgui.getTab().getQuery()").startswith("# " + title)
    assert second.get_attribute("aria-current") == "true"
    assert f"example={name}" in p.url
    results_text(p)
    assert not page.outside, page.outside


def test_share_link_carries_the_query(page: Page, server: str) -> None:
    p = page.page
    p.goto(server + "/query")
    results_text(p)
    own = (
        'SELECT ?class WHERE { ?class a owl:Class FILTER(CONTAINS(STR(?class), "/def/")) } LIMIT 3'
    )
    p.evaluate(f"void window.kiemenYasgui.getTab().setQuery({own!r})")
    href = p.get_attribute("#share-link", "href")
    assert href and parse_qs(urlparse(href).query)["query"] == [own]
    p.goto(href)
    assert p.evaluate("window.kiemenYasgui.getTab().getQuery()") == own
    assert "/def/" in results_text(p)  # the ontology's classes, from the shared query
    # a plain /sparql?query=… link, as the portal's "show the SPARQL" links make, opens the page
    p.goto(server + "/sparql?query=" + quote(own, safe=""))
    assert urlparse(p.url).path == "/query"
    assert p.evaluate("window.kiemenYasgui.getTab().getQuery()") == own
    assert "/def/" in results_text(p)
    assert not page.outside, page.outside


def test_no_remote_autocompletion(page: Page, server: str) -> None:
    p = page.page
    p.goto(server + "/query")
    results_text(p)
    completers = p.evaluate("window.kiemenYasgui.getTab().getYasqe().config.autocompleters")
    assert completers == ["kiemen-prefixes", "kiemen-classes", "kiemen-properties", "variables"]
    yasqe = "window.kiemenYasgui.getTab().getYasqe()"
    p.evaluate(f"void {yasqe}.setValue('PREFIX km')")
    p.evaluate(f"void {yasqe}.setCursor({{line: 0, ch: 9}})")
    p.evaluate(f"void {yasqe}.autocomplete()")
    p.wait_for_timeout(500)
    p.evaluate(f"void {yasqe}.setValue('SELECT * WHERE {{ ?x a km:Init')")
    p.evaluate(f"void {yasqe}.setCursor({{line: 0, ch: 29}})")
    p.evaluate(f"void {yasqe}.autocomplete()")
    p.wait_for_timeout(500)
    assert not page.outside, page.outside


def test_axe_finds_no_violations(page: Page, server: str) -> None:
    p = page.page
    p.goto(server + "/query?lang=en")
    results_text(p)
    axe = REPO / "node_modules" / "axe-core" / "axe.min.js"
    p.evaluate(axe.read_text(encoding="utf-8") + "\n;undefined")  # the CSP refuses inline <script>
    result = p.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert not violations, violations
