"""A data officer publishes in a real browser: Debian's Chromium driven by Playwright.

Check, read the report, publish, confirm a suggested link — with the pages in Dutch, every
request to another host aborted, and axe-core finding no serious or critical WCAG 2.1 AA
problem on any publishing page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import browser_helpers
import pytest
import requests
from browser_helpers import axe_violations
from publishing_helpers import EXAMPLE, Server, publishing_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser_helpers.sync_api()  # skips the module when Chromium is missing


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with publishing_server(tmp_path_factory.mktemp("publishing-browser"), {"GM0344": ()}) as srv:
        yield srv


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[Any]:
    options = {"locale": "nl-NL", "viewport": {"width": 1280, "height": 900}}
    with (
        browser_helpers.chromium() as browser,
        browser_helpers.offline_page(browser, server.url, **options) as p,
    ):
        yield p


def test_a_data_officer_checks_publishes_and_links_in_the_browser(
    server: Server, page: Any
) -> None:
    code = "GM0344"
    files = [str(EXAMPLE / f"{name}.csv") for name in ("initiatives", "actors", "roles")]
    page.goto(f"{server.url}/publish")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", name="In vijf stappen").is_visible()
    assert not axe_violations(page)
    page.goto(f"{server.url}/publish/template")
    assert page.locator("#initiatives-form").is_visible()
    assert not axe_violations(page)

    # 1. check: the report says valid, nothing is published
    page.goto(f"{server.url}/publish")
    page.get_by_label("Token van uw organisatie").fill(server.tokens[code])
    page.get_by_label("Bestanden (CSV of Excel)").set_input_files(files)
    page.get_by_role("button", name="Controleren").click()
    page.wait_for_load_state()
    assert "Geldig: 11 records" in page.locator("#summary").inner_text()
    assert not axe_violations(page)
    assert (
        requests.get(f"{server.url}/publish/api/{code}/versions", timeout=30).json()["rows"] == []
    )

    # 2. publish
    page.goto(f"{server.url}/publish")
    page.get_by_label("Token van uw organisatie").fill(server.tokens[code])
    page.get_by_label("Bestanden (CSV of Excel)").set_input_files(files)
    page.get_by_role("button", name="Publiceren").click()
    page.wait_for_load_state()
    assert "Gepubliceerd als versie 1" in page.locator("#summary").inner_text()

    # 3. the publisher's page: versions, and a suggested link to confirm
    page.goto(f"{server.url}/publish/{code}")
    assert page.get_by_role("heading", name="Gemeente Utrecht").is_visible()
    assert not axe_violations(page)
    row = page.locator("tr", has_text="Overvecht-De Gagel vernieuwt").first
    row.get_by_label("Token van uw organisatie").fill(server.tokens[code])
    row.get_by_role("button", name="Bevestigen").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/publish/{code}#links")
    assert page.locator("tr", has_text="Overvecht-De Gagel vernieuwt").count() == 0
    statuses = {
        r["subject_label"]: r["status"]
        for r in requests.get(f"{server.url}/publish/api/{code}/suggestions", timeout=30).json()[
            "rows"
        ]
    }
    assert statuses["Overvecht-De Gagel vernieuwt"] == "confirmed"

    # 4. a mistake, reported in the browser's language with row and column
    bad = tmp_file(server, "initiatives.csv", "id,name_nl\nUTR-1,Iets\n")
    page.goto(f"{server.url}/publish?lang=en")
    page.get_by_label("Your organisation's token").fill(server.tokens[code])
    page.get_by_label("Files (CSV or Excel)").set_input_files([bad])
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    table = page.locator("table.problems")
    assert "the required column description_nl is missing" in table.inner_text()
    assert "nothing was published" in page.locator("#summary").inner_text()
    assert not axe_violations(page)

    # 5. replace with initiatives.csv alone: a preview of the removals, then a confirmation
    page.goto(f"{server.url}/publish?lang=nl")
    page.get_by_label("Token van uw organisatie").fill(server.tokens[code])
    page.get_by_label("Bestanden (CSV of Excel)").set_input_files([files[0]])
    page.get_by_label("Vervangen: records die de upload niet noemt").check()
    page.get_by_role("button", name="Publiceren").click()
    page.wait_for_load_state()
    assert "Vervangen verwijdert 8 record(s)" in page.locator("#summary").inner_text()
    assert page.locator("ul.preview-removed li").count() == 8
    assert not axe_violations(page)
    page.locator("#confirm-token").fill(server.tokens[code])
    page.get_by_label("Ja, verwijder deze 8 record(s) uit mijn dataset").check()
    page.get_by_role("button", name="Vervangen en publiceren").click()
    page.wait_for_load_state()
    assert "Gepubliceerd als versie 2" in page.locator("#summary").inner_text()
    assert page.locator("#count-removed").inner_text() == "8"


def tmp_file(server: Server, name: str, text: str) -> str:
    path = server.store.parent / name
    path.write_text(text, encoding="utf-8")
    return str(path)
