"""Media types: the one table that maps media types and ``?format=`` keys to RDF and results
formats. Content negotiation over it (:mod:`portal.conneg`) is the web app's; the table is
here so that the layers below the web app (publishing's Graph Store uploads) read the same
names for the same formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox


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
