"""Canonical IRIs and the URLs this portal is served at: one mapping, both ways.

The store holds one canonical base (``KIEMEN_BASE_URI``, ``https://w3id.org/kiemen/`` by default).
Whatever host, port and path prefix a request arrives at (behind a trusted proxy, see
:mod:`portal.proxy`), ``/id/..``, ``/def/..``, ``/graph/..``, ``/page/..`` and ``/data/..`` map to
the canonical IRI, and links go back to the host being served. Two kinds of IRI live under the
base:

* *identifiers* (``id/``, ``def/``, ``graph/``): names of things. Data, displayed identifiers
  and citations keep them canonical; links to them point at their page here.
* *web locations* (everything else: ``sparql``, ``catalog``, ``downloads/..``,
  ``.well-known/void``, the home page): where a service or a file lives. Every description the
  portal sends (VoID, DCAT, data documents) gives them at the address being served, so they
  work behind any prefix without a reload.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from flask import request

from portal.config import Settings

#: Path segments under the base that name things rather than locate services or files.
IDENTIFIER_SPACES = ("id/", "def/", "graph/")


def served_root() -> str:
    """The absolute URL of the portal's root for this request (scheme, host, port, prefix)."""
    return request.url_root


def is_location(settings: Settings, iri: str) -> bool:
    """Whether ``iri`` is a web location under the canonical base (see the module text)."""
    if not iri.startswith(settings.base_uri):
        return False
    return not iri[len(settings.base_uri) :].startswith(IDENTIFIER_SPACES)


def served(settings: Settings, iri: str) -> str:
    """The URL at which this request reaches an IRI under the canonical base (else the IRI)."""
    if not iri.startswith(settings.base_uri):
        return iri
    return served_root() + iri[len(settings.base_uri) :]


def localise(settings: Settings, term: Any) -> Any:
    """A term with a web location under the base moved to the address being served."""
    if isinstance(term, ox.NamedNode) and is_location(settings, term.value):
        return ox.NamedNode(served(settings, term.value))
    return term


def localise_triples(settings: Settings, triples: Iterable[Any]) -> list[Any]:
    """Triples or quads with their web locations at the served address; identifiers kept."""
    out: list[Any] = []
    for t in triples:
        s, p, o = localise(settings, t.subject), t.predicate, localise(settings, t.object)
        if isinstance(t, ox.Quad):
            out.append(ox.Quad(s, p, o, t.graph_name))
        else:
            out.append(ox.Triple(s, p, o))
    return out
