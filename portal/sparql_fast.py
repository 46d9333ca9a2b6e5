"""A WSGI fast path for plain SPARQL queries: answered before Flask's request machinery.

A public endpoint mostly sees cheap lookups, and for them Flask's request context, routing and
hooks cost as much as the engine (about 0.5 ms of the ~1 ms a small lookup took; bench/README.md).
This middleware answers the requests that need none of it: ``GET /sparql?query=…`` (the one
parameter), and ``POST /sparql`` with a UTF-8 ``application/sparql-query`` body or a form holding
only ``query``. It runs :func:`portal.views.sparql.query_result`, the view's own path, so every
limit is the same code (length cap before parsing, per-client limit, worker deadline, memory cap,
row cap, answer cache); the protective and CORS headers are the values the view's
``after_request`` hooks add (a successful answer writes them as a plain header list,
:class:`Answer`; a refusal goes through the hooks' own functions).

For a request whose payload it answered lately, waitress's I/O thread first asks it for a
*kept* answer only (:data:`KEPT_ONLY`, ``cli/inline.py``): the same checks and per-client limit,
the answer cache and nothing else, so that a kept answer skips the hand-off to a request thread.

Anything else goes on to Flask unchanged: other parameters (``format``, datasets, ``lang``),
updates, a client that may want HTML, a path prefix, an ``Authorization`` header, a body over the
limit or without a length, an external endpoint (``KIEMEN_SPARQL_ENDPOINT``), and any request
whose Accept header or URL root Flask has not seen yet (what it negotiated is remembered and
reused here, never worked out a second way).
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header
from werkzeug.wsgi import get_current_url

from core.sparql.engine import Outcome
from portal import safeweb
from portal.sparql_service import (
    CORS_HEADERS,
    Service,
    add_cors,
    keepable,
    kept_answer,
    media_key,
    outcome_response,
)
from portal.views.sparql import Plain, negotiated_before, query_job, query_result

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
QUERY_BODY = "application/sparql-query"
#: An environ key the HTTP server's I/O thread sets to a list: the fast path appends the kept
#: answer to it, if there is one, and does nothing else (``cli/inline.py``). Not a header's key
#: (those begin with HTTP_), so no client can set it.
KEPT_ONLY = "kiemen.kept_only"
FORM = "application/x-www-form-urlencoded"


class FastPath:
    """WSGI middleware in front of Flask; ``enabled`` off sends everything to Flask (tests)."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.app = app
        self.inner = inner
        self.enabled = True
        #: Requests answered here (not under a lock: a figure for tests and operators).
        self.answered = 0
        #: Of those, kept answers given in the server's I/O thread (``cli/inline.py``).
        self.kept_inline = 0
        #: Hashes of the request payloads (method and query string or body) answered with 200
        #: lately: the I/O thread offers a request to the kept answers only when its payload
        #: is among them, so a new query text pays nothing for the offer.
        self.payloads: set[int] = set()

    def answered_before(self, method: str, payload: str | bytes) -> bool:
        """Whether a request with this method and payload was answered here lately."""
        return hash((method, payload)) in self.payloads

    def _remember(self, environ: dict[str, Any]) -> None:
        payload = environ.get(_PAYLOAD)
        if payload is not None:
            if len(self.payloads) >= _MAX_PAYLOADS:
                self.payloads.clear()
            self.payloads.add(hash((environ.get("REQUEST_METHOD"), payload)))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        holder = environ.get(KEPT_ONLY)
        if holder is not None:  # the server's I/O thread asks for a kept answer, nothing else
            kept = self.kept(environ) if self.enabled else None
            if kept is not None:
                holder.append(kept)
            return []
        response = self.answer(environ) if self.enabled else None
        if response is None:
            return self.inner(environ, start_response)
        return response(environ, start_response)

    def answer(self, environ: dict[str, Any]) -> Response | Answer | None:
        """The answer to a plain query, or None for Flask to handle the request."""
        plain = self._plain(environ)
        if plain is None:
            return None
        service, text, asked = plain
        found = query_result(service, text, asked)
        self.answered += 1
        if isinstance(found, Outcome) and found.error is None and found.status == 200:
            if service.answers.enabled and len(found.body) <= MAX_INLINE_BYTES and keepable(text):
                self._remember(environ)  # an answer the I/O thread may give next time
            return Answer(found)
        response = found if isinstance(found, Response) else outcome_response(found, asked.accept)
        add_cors(response)
        safeweb.add_headers(response)
        return response

    def kept(self, environ: dict[str, Any]) -> Answer | None:
        """The kept answer to a plain query in the published generation, or None; never waits
        for a worker (see :func:`portal.sparql_service.kept_answer`)."""
        plain = self._plain(environ)
        if plain is None:
            return None
        service, text, asked = plain
        job = query_job(service, text, asked)
        if isinstance(job, Response):
            return None
        found = kept_answer(job, service, asked.client)
        if found is None or found.error is not None or found.status != 200:
            return None
        self.answered += 1
        self.kept_inline += 1
        self._remember(environ)
        return Answer(found)

    def _plain(self, environ: dict[str, Any]) -> tuple[Service, str, Plain] | None:
        """The service, query text and what the client asked for, when the request is a plain
        query this path may answer; None sends it to Flask."""
        if environ.get("PATH_INFO") != "/sparql" or environ.get("SCRIPT_NAME"):
            return None
        service: Service | None = self.app.extensions.get("kiemen_sparql")
        if service is None or service.settings.sparql_endpoint:
            return None
        if "HTTP_AUTHORIZATION" in environ:
            return None
        raw_accept = environ.get("HTTP_ACCEPT")
        if raw_accept is not None and "html" in raw_accept:
            return None  # a person's browser, or an error page Flask's hooks dress as HTML
        negotiated = negotiated_before(raw_accept)
        if negotiated is None or negotiated.wants_html:
            return None
        urls = service.url_cache.get(_url_root(environ))
        if urls is None:
            return None
        text = self._text(environ, service)
        if text is None:
            return None
        client = environ.get("REMOTE_ADDR") or "unknown"
        return service, text, Plain(negotiated, urls, _accept(raw_accept), client)

    def _text(self, environ: dict[str, Any], service: Service) -> str | None:
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            query = environ.get("QUERY_STRING", "")
            environ[_PAYLOAD] = query
            return _only_query(query)
        if method != "POST" or environ.get("QUERY_STRING"):
            return None
        content_type = environ.get("CONTENT_TYPE") or ""
        kind = media_key(content_type)
        if kind not in (QUERY_BODY, FORM) or ";" in content_type:
            return None  # parameters (a charset) are Flask's to judge
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if length < 0 or length > service.settings.max_body_bytes:
            return None  # Flask answers 413 in the form the client asked for
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # for Flask, if it has to take over
        environ[_PAYLOAD] = body
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return text if kind == QUERY_BODY else _only_query(text)


#: The headers every answer of the fast path carries after its own, in the order Flask's hooks
#: add them (CORS, then the protective ones); a name the answer set itself is not repeated.
_AFTER = (
    *CORS_HEADERS.items(),
    ("Content-Security-Policy", safeweb.CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    *safeweb.HEADERS.items(),
)

_CSP = "content-security-policy"


class Answer:
    """A query's successful answer as a WSGI response, its header list written out directly.

    The same status, headers and body as ``outcome_response`` plus ``add_cors`` and
    ``safeweb.add_headers`` give (a test compares them with Flask's); building werkzeug's
    ``Response`` and its ``Headers`` (each value checked by a regex) for that cost ~0.1 ms, more
    than the rest of a kept answer's Python.
    """

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        outcome = self.outcome
        fields = {
            "content-type": ("Content-Type", outcome.media_type),
            "content-length": ("Content-Length", str(len(outcome.body))),
        }
        for name, value in (*outcome.headers.items(), ("Vary", "Accept")):
            fields[name.lower()] = (name, value)  # set, as werkzeug's headers[name] = value
        own_policy = _CSP in fields
        for name, value in _AFTER:
            if name == "X-Frame-Options" and own_policy:
                continue  # the answer's own policy: add_headers leaves the frame header alone
            fields.setdefault(name.lower(), (name, value))
        start_response("200 OK", list(fields.values()))
        return [outcome.body]


#: A kept answer larger than this is given by a request thread (``cli/inline.py``): well below
#: waitress's ``outbuf_high_watermark``, past which writing would wait for the I/O thread itself.
MAX_INLINE_BYTES = 256 * 1024
#: The environ key of the request's payload as read by the fast path (query string or body).
_PAYLOAD = "kiemen.payload"
#: Payload hashes remembered (8 bytes each in a set: ~5 MB at most); a full set is emptied.
_MAX_PAYLOADS = 100_000

#: Entries of each memo below; a full memo is emptied, never grown (the keys are the client's).
_MEMO_SIZE = 256
_ROOTS: dict[tuple[str, str, str, str], str] = {}
_ACCEPTS: dict[str | None, MIMEAccept] = {}


def _url_root(environ: dict[str, Any]) -> str:
    """werkzeug's URL root of the request (what Flask's ``request.url_root`` gives), remembered
    per scheme and host: working it out is a fifth of a kept answer's Python."""
    key = (
        environ.get("wsgi.url_scheme", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SERVER_NAME", ""),
        environ.get("SERVER_PORT", ""),
    )
    root = _ROOTS.get(key)
    if root is None:
        root = get_current_url(environ, root_only=True)
        if len(_ROOTS) >= _MEMO_SIZE:
            _ROOTS.clear()
        _ROOTS[key] = root
    return root


def _accept(raw: str | None) -> MIMEAccept:
    """The parsed Accept header (immutable), remembered per header text."""
    found = _ACCEPTS.get(raw)
    if found is None:
        found = parse_accept_header(raw, MIMEAccept)
        if len(_ACCEPTS) >= _MEMO_SIZE:
            _ACCEPTS.clear()
        _ACCEPTS[raw] = found
    return found


def _only_query(encoded: str) -> str | None:
    """The value of a query string (or form) that holds exactly one parameter, ``query``."""
    if not encoded:
        return None
    try:
        pairs = urllib.parse.parse_qsl(
            encoded, keep_blank_values=True, errors="strict", max_num_fields=1
        )
    except (ValueError, UnicodeDecodeError):
        return None
    if len(pairs) != 1 or pairs[0][0] != "query":
        return None
    return pairs[0][1]


def init_app(app: Flask) -> None:
    """Put the fast path in front of Flask; call before :mod:`portal.proxy` wraps the app, so
    that the client address and URL root it sees are the trusted ones."""
    fast = FastPath(app, app.wsgi_app)
    app.extensions["kiemen_sparql_fast"] = fast
    app.wsgi_app = fast  # type: ignore[method-assign]
