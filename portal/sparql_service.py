"""What the SPARQL endpoint and the Graph Store share: the worker pool, the per-client limit,
bearer tokens, CORS and errors in the format the client asked for."""

from __future__ import annotations

import html
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.datastructures import MIMEAccept

from core.config import Settings
from core.prefixes import ontology_prefixes
from core.sparql.engine import (
    TRUNCATED_HEADER,
    ClientLimiter,
    Job,
    Outcome,
    WorkerPool,
    create_pool,
)
from core.store import KiemenStore
from core.tokens import TokenInfo, TokenStore
from portal.pagecache import Entry, PageCache

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": f"{TRUNCATED_HEADER}, Location, Retry-After, Content-Type",
}


@dataclass
class Service:
    settings: Settings
    pool: WorkerPool
    limiter: ClientLimiter
    tokens: TokenStore
    prefixes: dict[str, str]
    #: Answers of queries per generation (``KIEMEN_SPARQL_CACHE_MB``), see :func:`run_limited`.
    answers: PageCache
    store: KiemenStore
    _started: bool = False
    #: URL root -> (endpoint IRI, limits link); see ``views.sparql._urls``.
    url_cache: dict[str, tuple[str, str]] = field(default_factory=dict)

    def warm(self) -> None:
        if not self._started:
            self._started = True
            threading.Thread(target=self.pool.start, daemon=True).start()


def init_service(app: Flask) -> Service:
    existing: Service | None = app.extensions.get("kiemen_sparql")
    if existing is not None:
        return existing
    settings: Settings = app.config["KIEMEN"]
    service = Service(
        settings=settings,
        pool=create_pool(settings),
        limiter=ClientLimiter(settings.max_concurrent_per_client),
        tokens=TokenStore(settings),
        prefixes=ontology_prefixes(settings),
        answers=PageCache(settings.sparql_cache_mb * 1024 * 1024),
        store=KiemenStore(settings),
    )
    app.extensions["kiemen_sparql"] = service
    return service


def get_service() -> Service:
    return init_service(current_app)


def client_id() -> str:
    return request.remote_addr or "unknown"


def run_limited(job: Job, service: Service | None = None, client: str | None = None) -> Outcome:
    """Run a job for this client: 429 past the per-client limit, 503 past the time limit.

    A query answered before in the published generation comes from ``service.answers``, after
    the per-client limit like any other (the WSGI fast path passes ``service`` and ``client``,
    having no request context).
    """
    service = service or get_service()
    service.warm()
    client = client or client_id()
    with service.limiter.slot(client) as (granted, in_flight):
        if not granted:
            limit = service.settings.max_concurrent_per_client
            out = Outcome.fail(
                429,
                f"too many queries at once from your address (the limit is {limit}); "
                "wait for one to finish",
            )
            out.headers["Retry-After"] = "1"
            return out
        key = _answer_key(job) if service.answers.enabled else None
        if key is not None:
            kept = service.answers.get((service.store.generation_id() or "", 0), key)
            if kept is not None:
                return _from_entry(kept)
        settings = service.settings
        reads = job.kind in ("query", "graph-get")
        job.memory_limit = settings.worker_memory_bytes if reads else settings.write_memory_bytes
        job.max_write_quads = settings.max_write_quads
        busy = in_flight > 0 or not service.limiter.is_light(client)
        if reads:
            outcome = service.pool.run(job, settings.query_timeout, busy=busy)
        else:
            outcome = service.pool.run(job, settings.write_timeout, what="write", busy=busy)
        service.limiter.ran(client, outcome.worker_seconds)
        if key is not None and outcome.status == 200 and outcome.error is None:
            # kept under the generation the worker read, which is what the answer is true of
            service.answers.put((outcome.generation, 0), key, _to_entry(outcome))
        return outcome


def kept_answer(job: Job, service: Service, client: str) -> Outcome | None:
    """The answer kept for this query in the published generation, or None; never waits.

    For answering in the HTTP server's own I/O thread (``cli/inline.py``): what would make
    :func:`run_limited` wait or refuse (no kept answer, the client over its limit) gives None,
    and the request goes to a request thread to be answered there the ordinary way.
    """
    if not service.answers.enabled:
        return None
    key = _answer_key(job)
    if key is None:
        return None
    with service.limiter.slot(client) as (granted, _in_flight):
        if not granted:
            return None
        kept = service.answers.get((service.store.generation_id() or "", 0), key)
        return None if kept is None else _from_entry(kept)


#: Functions whose value changes from one evaluation to the next (and ``\u`` escapes, which
#: could spell them): such queries are never answered from memory.
_VOLATILE = re.compile(r"\b(?:RAND|NOW|UUID|STRUUID|BNODE)\s*\(|\\[uU]", re.IGNORECASE)


def keepable(text: str) -> bool:
    """Whether a query's answer may be kept: its value is the same at every evaluation."""
    return bool(text) and _VOLATILE.search(text) is None


def _answer_key(job: Job) -> str | None:
    """Everything a query's answer depends on besides the generation; None: not kept."""
    if job.kind != "query" or not keepable(job.text):
        return None
    parts = (
        job.text,
        job.results_format,
        job.rdf_format,
        job.max_rows,
        job.base_iri,
        job.link,
        job.default_graphs,
        job.named_graphs,
        job.query_has_dataset,
    )
    return repr(parts)


def _to_entry(outcome: Outcome) -> Entry:
    headers = (("Content-Type", outcome.media_type), *outcome.headers.items())
    return Entry(outcome.status, headers, outcome.body)


def _from_entry(entry: Entry) -> Outcome:
    media_type = entry.headers[0][1]
    return Outcome(entry.status, entry.body, media_type, dict(entry.headers[1:]))


# -- errors ---------------------------------------------------------------------------------------

_ERROR_TYPES = [
    "application/json",
    "application/sparql-results+json",
    "application/ld+json",
    "text/html",
    "application/sparql-results+xml",
    "application/xml",
    "text/xml",
    "text/plain",
]


def error_response(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    accept: MIMEAccept | None = None,
) -> Response:
    """An error in the form the client asked for: JSON, HTML, XML or plain text.

    ``accept``: the client's Accept header where there is no request context (the fast path).
    """
    if accept is None:
        accept = request.accept_mimetypes
    explicit = {value for value, _q in accept}
    best = accept.best_match(_ERROR_TYPES) if explicit and explicit != {"*/*"} else None
    if best is None and (not explicit or "*/*" in explicit):
        best = "application/json"
    if best in ("application/json", "application/sparql-results+json", "application/ld+json"):
        body = json.dumps({"ok": False, "error": message, "status": status}, ensure_ascii=False)
        response = Response(body, status=status, mimetype="application/json")
    elif best == "text/html":
        text = html.escape(message)
        body = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{status}'
            f"</title></head><body><main><h1>Error {status}</h1><p>{text}</p></main></body></html>"
        )
        response = Response(body, status=status, mimetype="text/html")
    elif best in ("application/sparql-results+xml", "application/xml", "text/xml"):
        body = (
            '<?xml version="1.0"?>\n<error xmlns="https://w3id.org/kiemen/def/error#">'
            f"<status>{status}</status><message>{html.escape(message)}</message></error>\n"
        )
        response = Response(body, status=status, mimetype="application/xml")
    else:
        response = Response(f"Error {status}: {message}\n", status=status, mimetype="text/plain")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["Vary"] = "Accept"
    return response


def outcome_response(outcome: Outcome, accept: MIMEAccept | None = None) -> Response:
    if outcome.error is not None:
        return error_response(outcome.status, outcome.error, outcome.headers, accept)
    response = Response(outcome.body, status=outcome.status)
    if outcome.status not in (201, 204):
        response.headers["Content-Type"] = outcome.media_type
    elif outcome.status == 204:
        response.headers.remove("Content-Type")
    for key, value in outcome.headers.items():
        response.headers[key] = value
    response.headers["Vary"] = "Accept"
    return response


def add_cors(response: Response) -> Response:
    for key, value in CORS_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def preflight(methods: str) -> Response:
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = methods
    response.headers["Access-Control-Allow-Headers"] = (
        request.headers.get("Access-Control-Request-Headers")
        or "Accept, Authorization, Content-Type"
    )
    response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Allow"] = methods
    return response


def bearer() -> tuple[TokenInfo | None, Response | None]:
    """The caller's token, or the 401 to send back."""
    auth = request.headers.get("Authorization", "")
    scheme, _, secret = auth.partition(" ")
    challenge = 'Bearer realm="Kiemen", scope="write"'
    if scheme.lower() != "bearer" or not secret.strip():
        return None, error_response(
            401,
            "writing needs a bearer token (Authorization: Bearer …); "
            "the administrator makes one with `kiemen token create --graph NAME`",
            {"WWW-Authenticate": challenge},
        )
    info = get_service().tokens.verify(secret.strip())
    if info is None:
        return None, error_response(
            401,
            "this token is unknown or revoked",
            {"WWW-Authenticate": challenge + ', error="invalid_token"'},
        )
    return info, None


def text_too_long(
    text: str, service: Service | None = None, accept: MIMEAccept | None = None
) -> Response | None:
    """413 for a query or update longer than ``max_query_bytes``, before anything reads it."""
    limit = (service or get_service()).settings.max_query_bytes
    if len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit:
        return error_response(
            413,
            f"the query is longer than the limit of {limit} bytes (KIEMEN_MAX_QUERY_BYTES)",
            accept=accept,
        )
    return None


def body_too_large() -> Response | None:
    """413 when the declared body is over the limit (werkzeug stops undeclared ones too)."""
    limit = get_service().settings.max_body_bytes
    length = request.content_length
    if length is not None and length > limit:
        return too_large(limit)
    return None


def too_large(limit: int | None = None) -> Response:
    limit = limit or get_service().settings.max_body_bytes
    return error_response(
        413, f"the request body is larger than the limit of {limit} bytes (KIEMEN_MAX_BODY_BYTES)"
    )


def media_key(value: Any) -> str:
    return str(value or "").split(";")[0].strip().lower()
