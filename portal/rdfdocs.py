"""RDF documents as HTTP responses: one serialisation and one set of headers for every view.

Triple formats get each triple once (graph names dropped); TriG and N-Quads keep the named
graphs. Turtle, TriG and RDF/XML declare only the prefixes the document uses. Every data
response names its licence (``Link: <...>; rel="license"``) and may be read from any origin.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox
from flask import Response

from portal.conneg import Format
from portal.db import get_settings
from portal.licence import link_header
from portal.namespaces import used_prefixes

QUAD_FORMATS = (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)
PREFIXED_FORMATS = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)


def serialize(terms: Iterable[ox.Quad] | Iterable[ox.Triple], fmt: Format) -> bytes:
    """Quads or triples in ``fmt``."""
    items: list[Any] = list(terms)
    if fmt.rdf is None:
        raise ValueError(f"{fmt.label} is not an RDF format")
    if fmt.rdf in QUAD_FORMATS:
        out: list[Any] = [
            i if isinstance(i, ox.Quad) else ox.Quad(i.subject, i.predicate, i.object)
            for i in items
        ]
    else:
        out = list(dict.fromkeys(i.triple if isinstance(i, ox.Quad) else i for i in items))
    prefixes = None
    if fmt.rdf in PREFIXED_FORMATS:
        iris: set[str] = set()
        for i in out:
            for t in (i.subject, i.predicate, i.object, getattr(i, "graph_name", None)):
                if isinstance(t, ox.NamedNode):
                    iris.add(t.value)
        prefixes = used_prefixes(get_settings(), iris)
    return ox.serialize(out, format=fmt.rdf, prefixes=prefixes) or b""


def rdf_response(body: bytes, fmt: Format, links: Sequence[str] = ()) -> Response:
    """A data response: the media type (text/* with UTF-8), the licence and open CORS."""
    response = Response(body, mimetype=fmt.media_type)
    response.headers["Link"] = ", ".join([link_header(), *links])
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
