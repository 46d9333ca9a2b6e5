"""SPARQL 1.1 Graph Store HTTP Protocol at ``/store``.

Graphs are named indirectly (``/store?graph=IRI``, ``/store?default``) or directly (the graph whose
IRI is the request URL, ``/store/anything``). Reading is open like the SPARQL endpoint; PUT, POST
and DELETE need a bearer token whose graphs include the target, and never touch the graphs that
``kiemen load`` fills. A POST to ``/store`` itself makes a new graph under ``/store/`` and answers
201 with its IRI in ``Location``. Every operation runs in a query worker under the time limit; a
write publishes a new store generation, so it is atomic.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, Response, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from core import formats
from core.sparql.engine import Job
from core.sparql.text import DEFAULT_GRAPH, valid_iri
from portal import conneg
from portal.sparql_service import (
    add_cors,
    bearer,
    body_too_large,
    error_response,
    init_service,
    media_key,
    outcome_response,
    preflight,
    run_limited,
    too_large,
)

bp = Blueprint("graphstore", __name__)

METHODS = "GET, HEAD, PUT, POST, DELETE, OPTIONS"
ALL = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]
TURTLE = formats.by_key("ttl", formats.RDF_FORMATS)


def init_app(app: Flask) -> None:
    init_service(app)


@bp.after_request
def _cors(response: Response) -> Response:
    return add_cors(response)


@bp.route("/store", methods=ALL)
def indirect() -> ResponseReturnValue:
    if request.method == "OPTIONS":
        return preflight(METHODS)
    graphs = request.args.getlist("graph")
    if "default" in request.args and graphs:
        return error_response(400, "name either ?default or ?graph=IRI, not both")
    if len(graphs) > 1:
        return error_response(400, "name one graph")
    if "default" in request.args:
        return _handle(DEFAULT_GRAPH)
    if graphs:
        if not valid_iri(graphs[0]):
            return error_response(400, f"graph must be an absolute IRI, got {graphs[0][:200]!r}")
        return _handle(graphs[0])
    if request.method == "POST":
        minted = url_for("graphstore.direct", path=uuid.uuid4().hex, _external=True)
        return _handle(minted, create=True)
    return error_response(
        400, "name the graph: /store?graph=IRI, /store?default, or /store/… (the URL is the IRI)"
    )


@bp.route("/store/<path:path>", methods=ALL)
def direct(path: str) -> ResponseReturnValue:
    if request.method == "OPTIONS":
        return preflight(METHODS)
    return _handle(request.base_url)


def _handle(graph: str, create: bool = False) -> Response:
    if request.method in ("GET", "HEAD"):
        fmt = conneg.negotiate(request, formats.RDF_FORMATS, default=TURTLE)
        if fmt is None:
            return error_response(406, conneg.not_acceptable_body(formats.RDF_FORMATS))
        return outcome_response(run_limited(Job(kind="graph-get", graph=graph, rdf_format=fmt.key)))
    too_big = body_too_large()
    if too_big is not None:
        return too_big
    token, refusal = bearer()
    if refusal is not None:
        return refusal
    assert token is not None
    kind = {"PUT": "graph-put", "POST": "graph-post", "DELETE": "graph-delete"}[request.method]
    payloads: list[tuple[bytes, str]] = []
    if kind != "graph-delete":
        try:
            payloads = _payloads()
        except RequestEntityTooLarge:
            return too_large()
        if not payloads:
            return error_response(400, "send the RDF to store in the request body")
    job = Job(
        kind=kind,
        graph=graph,
        payloads=payloads,
        grants=token.graphs,
        token_id=token.id,
        token_name=token.note,
        base_iri=graph or request.base_url,
    )
    outcome = run_limited(job)
    if create and outcome.status == 201:
        outcome.headers["Location"] = graph
    return outcome_response(outcome)


def _payloads() -> list[tuple[bytes, str]]:
    """The RDF documents of the body: one, or one per part of a multipart/form-data body."""
    mimetype = media_key(request.content_type)
    if mimetype == "multipart/form-data":
        out = []
        for _name, storage in request.files.items(multi=True):
            out.append((storage.read(), storage.content_type or "text/turtle"))
        return out
    body = request.get_data(cache=False)
    if not body.strip():
        return []
    return [(body, request.content_type or "text/turtle")]
