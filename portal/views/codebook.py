"""The ontology's URI: the codebook in HTML for people, the ontology graph as data for programs.

Formats are negotiated by :mod:`portal.conneg` like every other URI (``?format=`` first, then
Accept; ``Vary: Accept``; 406 listing what is available).
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from core import formats
from core.store import graph_iri
from portal import conneg
from portal.codebook import build
from portal.db import get_settings, get_store
from portal.rdfdocs import rdf_response, serialize

bp = Blueprint("codebook", __name__)

FORMATS: tuple[formats.Format, ...] = (formats.HTML, *formats.DOCUMENT_FORMATS)


def ontology_data(fmt: formats.Format) -> Response:
    """The ontology graph (classes, properties and concept schemes) in ``fmt``."""
    graph = graph_iri(get_settings(), "ontology")
    quads = get_store().reader().quads_for_pattern(None, None, None, graph)
    return rdf_response(serialize(quads, fmt), fmt)


@bp.route("/def/")
@bp.route("/def")
def codebook() -> Response:
    fmt = conneg.negotiate(request, FORMATS, default=formats.HTML)
    if fmt is None:
        response = Response(
            conneg.not_acceptable_body(FORMATS) + "\n", status=406, mimetype="text/plain"
        )
    elif fmt is formats.HTML:
        html = render_template("codebook.html", book=build(get_store()))
        response = Response(html, mimetype="text/html")
    else:
        response = ontology_data(fmt)
    response.headers["Vary"] = "Accept"
    return response
