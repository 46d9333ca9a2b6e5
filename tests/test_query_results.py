"""Readable SPARQL results (issue #17 item 8), in headless Chromium against a real server:
typed literals show as values with the datatype on hover, result tables stay inside the page
(also on a phone), and the examples' ?lang follows the interface language."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from browser_helpers import chromium, offline_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNT = 'SELECT (COUNT(*) AS ?n) (1.5 AS ?d) ("x"@nl AS ?l) WHERE { ?s ?p ?o }'
WIDE = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 60"


def _results(page: object) -> None:
    page.wait_for_selector(  # type: ignore[attr-defined]
        ".yasr .dataTable tbody tr td:not(.dataTables_empty)", timeout=30_000
    )


def test_typed_literals_are_values_with_the_datatype_on_hover(live_server: str) -> None:
    with chromium() as browser, offline_page(browser, live_server) as page:
        page.goto(live_server + "/query?lang=en&query=" + quote(COUNT, safe=""))
        _results(page)
        table = page.inner_text(".yasr .dataTable")
        assert "^^" not in table and "XMLSchema" not in table
        typed = page.locator(".yasr .literal.typed[title='xsd:integer']")
        assert typed.count() == 1 and int(typed.inner_text()) > 1000
        assert page.locator(".yasr .literal.typed[title='xsd:decimal']").count() == 1
        assert page.locator(".yasr .literal[lang='nl'][title='@nl']").inner_text() == "x"


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_result_tables_stay_inside_the_page(live_server: str, width: int, height: int) -> None:
    with (
        chromium() as browser,
        offline_page(browser, live_server, viewport={"width": width, "height": height}) as page,
    ):
        page.goto(live_server + "/query?lang=en&query=" + quote(WIDE, safe=""))
        _results(page)
        page.wait_for_timeout(300)
        sizes = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert sizes["scroll"] <= sizes["inner"], sizes


def test_examples_bind_lang_to_the_interface_language(live_server: str) -> None:
    with chromium() as browser, offline_page(browser, live_server) as page:
        for lang in ("nl", "en"):
            page.goto(live_server + f"/query?lang={lang}")
            _results(page)
            query = page.evaluate("window.kiemenYasgui.getTab().getQuery()")
            assert f'VALUES ?lang {{ "{lang}" }}' in query
