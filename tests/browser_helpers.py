"""Headless Debian Chromium for the browser tests: launched one way, kept offline, checked with
axe-core (installed from npm by ``make test``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.1 A and AA, and axe's best practices (landmarks, one main heading, ...).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")


def sync_api() -> Any:
    """Playwright's sync API, or skip the module when Chromium is missing.

    A missing axe-core is not a reason to skip: ``make test`` installs it with ``npm ci``, so
    :func:`axe_violations` fails loudly instead of letting the accessibility checks pass unseen.
    """
    if not CHROMIUM.exists():  # pragma: no cover - `make test` installs it
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium)",
            allow_module_level=True,
        )
    return pytest.importorskip("playwright.sync_api")


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium that does not phone home (no updates, no background requests)."""
    with sync_api().sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def offline_page(browser: Any, base_url: str, **context_options: Any) -> Iterator[Any]:
    """A page whose requests to any host but ``base_url``'s are aborted.

    On leaving, fails the test if the page asked another host for anything (the portal must work
    offline) or raised a JavaScript error.
    """
    context = browser.new_context(**context_options)
    own = urlsplit(base_url).netloc
    outside: list[str] = []

    def route(r: Any) -> None:
        if urlsplit(r.request.url).netloc == own:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"requests to other hosts: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def axe_violations(page: Any, tags: tuple[str, ...] = AXE_TAGS) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    # Evaluated, not added as an inline <script>: the portal's Content-Security-Policy
    # (rightly) refuses inline scripts, and the checker must not need a weaker policy.
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {
              runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""",
        list(tags),
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]
