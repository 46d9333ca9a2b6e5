"""RDF documents as HTTP responses: one serialisation and one set of headers for every view.

Triple formats get each triple once (graph names dropped); TriG and N-Quads keep the named
graphs. Statements are grouped per subject (the document's first subject first, ``rdf:type``
first within a subject), so Turtle reads as one block per thing. Turtle, TriG and RDF/XML
declare only the prefixes the document uses, in name order. JSON-LD is compacted against an
``@context`` of those prefixes (keys like ``skos:prefLabel``, one ``@graph`` of nodes). Every
data response names its licence (``Link: <...>; rel="license"``) and may be read from any origin.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox
import rdflib
from flask import Response

from core.formats import Format
from core.licence import link_header
from core.namespaces import used_prefixes
from core.vocab import RDF_TYPE
from portal.db import get_settings

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
    out = grouped(out)
    prefixes = None
    if fmt.rdf in (*PREFIXED_FORMATS, ox.RdfFormat.JSON_LD):
        iris: set[str] = set()
        for i in out:
            for t in (i.subject, i.predicate, i.object, getattr(i, "graph_name", None)):
                if isinstance(t, ox.NamedNode):
                    iris.add(t.value)
        prefixes = dict(sorted(used_prefixes(get_settings(), iris).items()))
    if fmt.rdf == ox.RdfFormat.JSON_LD:
        return compact_jsonld(out, prefixes or {})
    return ox.serialize(out, format=fmt.rdf, prefixes=prefixes) or b""


def grouped(items: list[Any]) -> list[Any]:
    """Statements ordered by graph, then subject (in order of first appearance: the described
    thing first), then ``rdf:type`` before other predicates; objects keep their order."""
    graph_rank: dict[Any, int] = {}
    subject_rank: dict[Any, int] = {}
    for i in items:
        graph_rank.setdefault(getattr(i, "graph_name", None), len(graph_rank))
        subject_rank.setdefault(i.subject, len(subject_rank))

    def key(pair: tuple[int, Any]) -> tuple[int, int, int, str, int]:
        n, i = pair
        predicate = i.predicate.value
        return (
            graph_rank[getattr(i, "graph_name", None)],
            subject_rank[i.subject],
            0 if predicate == RDF_TYPE else 1,
            predicate,
            n,
        )

    return [i for _n, i in sorted(enumerate(items), key=key)]


def compact_jsonld(triples: list[Any], prefixes: dict[str, str]) -> bytes:
    """Compacted JSON-LD: an ``@context`` of the prefixes used, CURIEs as keys, one ``@graph``.

    pyoxigraph writes expanded JSON-LD only; rdflib's serialiser compacts against a context.
    """

    graph = rdflib.Graph()
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    graph.parse(data=nt.decode("utf-8"), format="nt")
    context: dict[str, Any] = dict(prefixes)
    text = graph.serialize(format="json-ld", context=context, auto_compact=True)
    doc = json.loads(text)
    nodes = doc.get("@graph")
    if isinstance(nodes, list):
        # rdflib orders nodes as it likes: put them back in the document's subject order.
        rank: dict[str, int] = {}
        for t in triples:
            rank.setdefault(_term_id(t.subject), len(rank))

        def expand(node_id: str) -> str:
            name, colon, local = node_id.partition(":")
            return prefixes[name] + local if colon and name in prefixes else node_id

        nodes.sort(key=lambda n: rank.get(expand(str(n.get("@id", ""))), len(rank)))
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def _term_id(term: Any) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else str(term.value)


def rdf_response(
    body: bytes, fmt: Format, links: Sequence[str] = (), licence: str | None = None
) -> Response:
    """A data response: the media type (text/* with UTF-8), the licence and open CORS.

    ``licence``: the ``Link`` value of the licence the document states, Kiemen's by default
    (a publisher's records state their own, :mod:`publishing.licensing`).
    """
    response = Response(body, mimetype=fmt.media_type)
    response.headers["Link"] = ", ".join([licence or link_header(), *links])
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
