"""The reconciliation preview in a real Chromium: another page may frame it (as OpenRefine does)
and it passes axe-core, also at a phone's width."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import browser_helpers
import pytest
from browser_helpers import axe_violations

from tests.conftest import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with browser_helpers.chromium() as b:
        yield b


def test_another_site_may_frame_the_preview(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    """A page served by another server (standing in for OpenRefine at its own address and
    port) frames the preview."""
    url = live_server + "/reconcile/preview?id=initiative/riotcleanup&lang=en"
    body = (
        f'<!doctype html><html lang="en"><title>OpenRefine</title><iframe title="preview" '
        f'src="{url}" width="400" height="200"></iframe></html>'
    ).encode()

    class Outer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Outer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        outer = f"http://localhost:{server.server_address[1]}/"
        allowed = {urlsplit(outer).netloc, urlsplit(live_server).netloc}
        elsewhere: list[str] = []

        def route(r) -> None:  # type: ignore[no-untyped-def]
            if urlsplit(r.request.url).netloc in allowed:
                r.continue_()
            else:
                elsewhere.append(r.request.url)
                r.abort()

        context = browser.new_context()
        context.route("**/*", route)
        try:
            page = context.new_page()
            page.goto(outer)
            frame = page.frame_locator("iframe[title=preview]")
            heading = frame.locator("h1")
            heading.wait_for(timeout=30_000)
            assert heading.inner_text() == "Riot clean-up"
            assert frame.locator("dd").count() >= 2
        finally:
            context.close()
        assert not elsewhere, elsewhere
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("width", [400, 390])
def test_the_preview_passes_axe(browser, live_server: str, width: int) -> None:  # type: ignore[no-untyped-def]
    # bypass_csp: only to inject axe-core; the preview's own policy allows no script.
    options = {"viewport": {"width": width, "height": 400}, "bypass_csp": True}
    with browser_helpers.offline_page(browser, live_server, **options) as page:
        for ident in ("initiative/riotcleanup", "actor/gemeente-alphen-aan-den-rijn", "nothing/x"):
            page.goto(f"{live_server}/reconcile/preview?id={ident}&lang=nl")
            assert page.locator("h1").count() == 1
            assert axe_violations(page) == [], ident
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, ident
