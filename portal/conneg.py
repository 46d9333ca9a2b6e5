"""Content negotiation: the one place that maps media types and ``?format=`` keys to formats.

Used by the linked-data views (RDF documents), the SPARQL endpoint (results and graphs) and
the downloads, so that every part of Kiemen offers the same names for the same formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Request


@dataclass(frozen=True)
class Format:
    key: str  # the ?format= value and file extension
    media_type: str
    label: str
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None
    aliases: tuple[str, ...] = ()


HTML = Format("html", "text/html", "HTML", aliases=("application/xhtml+xml",))

#: Aliases include the ``format=`` values SPARQLWrapper sends (turtle, json-ld, xml, ...).
RDF_FORMATS: tuple[Format, ...] = (
    Format(
        "ttl",
        "text/turtle",
        "Turtle",
        rdf=ox.RdfFormat.TURTLE,
        aliases=("application/x-turtle", "application/turtle", "turtle"),
    ),
    Format(
        "jsonld",
        "application/ld+json",
        "JSON-LD",
        rdf=ox.RdfFormat.JSON_LD,
        # Plain JSON clients get JSON-LD (compacted, so it reads as JSON).
        aliases=("json-ld", "application/json"),
    ),
    Format(
        "nt",
        "application/n-triples",
        "N-Triples",
        rdf=ox.RdfFormat.N_TRIPLES,
        aliases=("text/plain", "ntriples", "n-triples"),
    ),
    Format(
        "rdf", "application/rdf+xml", "RDF/XML", rdf=ox.RdfFormat.RDF_XML, aliases=("rdfxml", "xml")
    ),
    Format("trig", "application/trig", "TriG", rdf=ox.RdfFormat.TRIG),
    Format("nq", "application/n-quads", "N-Quads", rdf=ox.RdfFormat.N_QUADS, aliases=("nquads",)),
)

RESULTS_FORMATS: tuple[Format, ...] = (
    Format(
        "json",
        "application/sparql-results+json",
        "SPARQL JSON",
        results=ox.QueryResultsFormat.JSON,
        aliases=("application/json",),
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        "SPARQL XML",
        results=ox.QueryResultsFormat.XML,
        aliases=("application/xml", "text/xml"),
    ),
    Format("csv", "text/csv", "CSV", results=ox.QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "TSV", results=ox.QueryResultsFormat.TSV),
)

#: Formats of a single resource's data document (triples plus, for TriG/N-Quads, graph names).
DOCUMENT_FORMATS: tuple[Format, ...] = RDF_FORMATS


def by_key(key: str, formats: Sequence[Format]) -> Format | None:
    key = key.lower().lstrip(".")
    for f in formats:
        if key == f.key or key == f.media_type or key in f.aliases:
            return f
    return None


def negotiate(
    request: Request, formats: Sequence[Format], default: Format | None = None
) -> Format | None:
    """The best format for a request: ``?format=`` first, then the Accept header.

    Returns ``default`` when the client accepts anything (no Accept or ``*/*``) and None when
    nothing offered is acceptable (the caller answers 406 listing ``formats``).
    """
    explicit = request.args.get("format")
    if explicit:
        return by_key(explicit, formats)
    accept = request.accept_mimetypes
    if not accept or not accept.values():
        return default or formats[0]
    offered: list[str] = []
    owner: dict[str, Format] = {}
    for f in formats:
        for media in (f.media_type, *f.aliases):
            if "/" not in media:  # a ?format= alias such as "turtle", not a media type
                continue
            offered.append(media)
            owner[media] = f
    best = accept.best_match(offered)
    if best is None:
        # "text/turtle; charset=utf-8" names Turtle: match again without media-type parameters
        bare = type(accept)([(value.split(";")[0].strip(), q) for value, q in accept])
        best = bare.best_match(offered)
        if best is None:
            return None
        accept = bare
    chosen = owner[best]
    # "*/*" alone (curl, many clients) gets the default rather than the first in the list.
    if (
        default is not None
        and accept.quality(best) == accept.quality("*/*")
        and best not in {v for v, _q in accept}
    ):
        return default
    return chosen


def not_acceptable_body(formats: Sequence[Format]) -> str:
    return "Not Acceptable. Available: " + ", ".join(
        f"{f.media_type} (?format={f.key})" for f in formats
    )
