"""The ontology's URI: the codebook in HTML for people, the ontology graph as data for programs."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from portal.codebook import build
from portal.db import get_settings, get_store
from portal.store import graph_iri

bp = Blueprint("codebook", __name__)

FORMATS = {
    "ttl": (ox.RdfFormat.TURTLE, "text/turtle"),
    "nt": (ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    "rdf": (ox.RdfFormat.RDF_XML, "application/rdf+xml"),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json"),
}
BY_MEDIA = {media: key for key, (_fmt, media) in FORMATS.items()}


def ontology_data(key: str) -> Response:
    fmt, media = FORMATS[key]
    store = get_store()
    triples = (
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.reader().quads_for_pattern(
            None, None, None, graph_iri(get_settings(), "ontology")
        )
    )
    body = ox.serialize(triples, format=fmt) or b""
    response = Response(body, mimetype=media)
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/def/")
@bp.route("/def")
def codebook() -> Response | str:
    key = request.args.get("format")
    if key in FORMATS:
        return ontology_data(key)
    best = request.accept_mimetypes.best_match(["text/html", *BY_MEDIA])
    if best in BY_MEDIA and best != "text/html":
        return ontology_data(BY_MEDIA[best])
    html = render_template("codebook.html", book=build(get_store()))
    response = Response(html, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response
