"""Safe output for every page: links only to harmless schemes, and protective response headers.

Data in the store comes from publishers' uploads and the Graph Store, so any IRI or URL may be
``javascript:...``. Templates never write ``href="{{ value }}"`` for data: they call
:func:`link` (or the ``safe_url`` filter), which renders a link only for ``http``, ``https``
and ``mailto`` and plain text otherwise. Every response gets a strict Content-Security-Policy
(no inline script, no framing), ``nosniff`` and a Referrer-Policy; a response that already
carries its own policy (the reconciliation preview that OpenRefine frames) keeps it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response
from markupsafe import Markup, escape

#: Schemes rendered as links; everything else is shown as text.
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
#: Characters browsers drop from a URL before reading its scheme ("java\tscript:" runs).
_IGNORED = re.compile(r"[\x00-\x20\x7f]")

#: The fixed ``<style>`` elements two pinned libraries insert, allowed by their SHA-256 (CSP
#: level 2 hashes) instead of ``'unsafe-inline'``. A version bump that changes them shows up
#: as a violation in ``tests/test_browser_ui.py``.
STYLE_HASHES = (
    "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='",  # cytoscape 3.34.4 container style
    "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='",  # @zazuko/yasgui 4.6.2
)

#: The policy of every page: scripts, styles, images and requests from this site only.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' " + " ".join(STYLE_HASHES),
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def safe_url(value: Any) -> str | None:
    """``value`` if a browser may follow it as a link (http, https, mailto or a path on this
    site), else None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    match = _SCHEME.match(_IGNORED.sub("", text))
    if match:
        return text if match.group(1).lower() in LINK_SCHEMES else None
    if text.startswith("//") or _IGNORED.search(text.split("?", 1)[0].split("#", 1)[0]):
        return None  # protocol-relative, or a scheme hidden behind control characters
    return text


def link(url: Any, text: Any = None, **attrs: Any) -> Markup:
    """``<a href=url>text</a>`` when ``url`` is safe to follow, else ``text`` as plain text.

    ``attrs`` become attributes (``class_`` for ``class``); None values are left out. Without
    ``text`` the URL itself is the text.
    """
    label = escape(url if text is None else text)
    href = safe_url(url)
    if href is None:
        lang = attrs.get("lang")
        # every part went through escape() above: the markup is ours
        span = f'<span lang="{escape(lang)}">{label}</span>' if lang else str(label)
        return Markup(span)  # nosec B704
    parts = [f'href="{escape(href)}"']
    for key, value in attrs.items():
        if value is not None and value is not False:
            parts.append(f'{escape(key.rstrip("_").replace("_", "-"))}="{escape(value)}"')
    return Markup(f"<a {' '.join(parts)}>{label}</a>")  # nosec B704 - every part escaped


def add_headers(response: Response) -> Response:
    """The protective headers, without overriding what a view set for itself."""
    if "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers.setdefault("X-Frame-Options", "DENY")
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(link=link)
    app.jinja_env.filters["safe_url"] = safe_url
    app.after_request(add_headers)
