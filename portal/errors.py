"""Errors in one shape per audience: a styled page in the visitor's language, JSON under /api.

Every error the application does not answer itself comes here: unknown routes, ``abort()``,
:class:`ClientError` raised by views (an unknown facet value, a page past the last) and any
exception. Under ``/api`` the answer is datasette's ``{"ok": false, "error", "status"}``; to a
client that accepts HTML a page from ``errors/error.html``; to anything else plain text. The
client gets a generic text (plus, for a client error, what it can do about it); what went wrong
inside goes to the server log only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from portal.i18n import N_, t

log = logging.getLogger("kiemen.errors")

#: Statuses with their own title and explanation, as text keys (others use 400's or 500's).
KNOWN = {
    400: (N_("error.400.title"), N_("error.400.help")),
    404: (N_("error.404.title"), N_("error.404.help")),
    405: (N_("error.405.title"), N_("error.405.help")),
    406: (N_("error.406.title"), N_("error.406.help")),
    413: (N_("error.413.title"), N_("error.413.help")),
    500: (N_("error.500.title"), N_("error.500.help")),
    503: (N_("error.503.title"), N_("error.503.help")),
}


def _texts(status: int) -> tuple[str, str]:
    """The (title, help) keys of ``status``."""
    return KNOWN.get(status) or KNOWN[500 if status >= 500 else 400]


@dataclass
class ClientError(Exception):
    """A request the portal understands but cannot answer; safe to show as it is.

    ``message`` is a text key with ``params`` (shown in the visitor's language), ``extra`` goes
    into the JSON answer as it is (for example the valid values), ``links`` are (text key, URL)
    pairs the page offers (for example the last page).
    """

    status: int
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        return t(self.message, **self.params)


def is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def wants_html() -> bool:
    accept = request.accept_mimetypes
    if not accept or not accept.values():
        return True
    best = accept.best_match(["text/html", "text/plain", "application/json"])
    return best == "text/html" or (best is None and accept.quality("text/html") > 0)


def respond(
    status: int,
    message: str,
    extra: dict[str, Any] | None = None,
    links: list[tuple[str, str]] | None = None,
) -> Response:
    """The error answer for this request: JSON under /api, else a page or plain text."""
    if is_api() or (not wants_html() and _accepts_json()):
        body: dict[str, Any] = {"ok": False, "error": message, "status": status}
        body.update(extra or {})
        response = jsonify(body)
        response.status_code = status
        return response
    if not wants_html():
        return Response(message + "\n", status=status, mimetype="text/plain")
    html = render_template(
        "errors/error.html",
        status=status,
        title=t(_texts(status)[0]),
        message=message,
        links=links or [],
    )
    return Response(html, status=status, mimetype="text/html")


def _accepts_json() -> bool:
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", "text/plain"]) == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(ClientError)
    def client_error(exc: ClientError) -> Response:
        return respond(exc.status, exc.text(), exc.extra, exc.links)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status >= 500:
            log.error("HTTP %s on %s %s: %s", status, request.method, request.path, exc)
        response = respond(status, t(_texts(status)[1]))
        for name, value in exc.get_headers():
            if name.lower() in ("allow", "retry-after", "www-authenticate"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def server_error(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(500, t("error.500.help"))
