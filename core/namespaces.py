"""Prefixes for linked-data output: Turtle/TriG headers, CURIEs on pages, VoID vocabularies.

The ontology's own prefixes come from :mod:`core.prefixes` (read from ontology/README.md, on
the configured base); this module adds the vocabularies of the catalogue and VoID that the
README does not list.
"""

from __future__ import annotations

import functools

from core.config import Settings
from core.prefixes import ontology_prefixes

#: Vocabularies used by the catalogue, VoID and provenance, beyond the README's list.
EXTRA: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "adms": "http://www.w3.org/ns/adms#",
    "doap": "http://usefulinc.com/ns/doap#",
    "vann": "http://purl.org/vocab/vann/",
    "sh": "http://www.w3.org/ns/shacl#",
}


_CACHE: dict[str, dict[str, str]] = {}


def prefixes(settings: Settings) -> dict[str, str]:
    """Every prefix: the ontology's (on the configured base), then the extra vocabularies."""
    cached = _CACHE.get(settings.base_uri)
    if cached is not None:
        return dict(cached)
    out = {name: ns for name, ns in ontology_prefixes(settings).items() if name}
    for name, ns in EXTRA.items():
        out.setdefault(name, ns)
    out.setdefault("graph", settings.graph_ns)
    _CACHE[settings.base_uri] = out
    return dict(out)


_ORDERED: dict[str, tuple[tuple[str, str], ...]] = {}


def curie(iri: str, settings: Settings) -> str:
    """``km:Initiative`` for an IRI in a known namespace; the IRI itself otherwise."""
    if settings.base_uri not in _ORDERED:
        _ORDERED[settings.base_uri] = tuple(prefixes(settings).items())
    return _curie(settings.base_uri, iri)


@functools.lru_cache(maxsize=1 << 14)
def _curie(base_uri: str, iri: str) -> str:
    # Memoised: a page asks for the CURIEs of the same few hundred properties and values on
    # every request (each look-up walks every prefix); the answer depends on the base only.
    best, name = "", ""
    for p, ns in _ORDERED[base_uri]:
        if iri.startswith(ns) and len(ns) > len(best):
            local = iri[len(ns) :]
            if local and "/" not in local and "#" not in local:
                best, name = ns, p
    if not best:
        return iri
    return f"{name}:{iri[len(best) :]}"


def used_prefixes(settings: Settings, iris: set[str]) -> dict[str, str]:
    """The prefixes some of ``iris`` start with (keeps document headers short)."""
    return {p: ns for p, ns in prefixes(settings).items() if any(i.startswith(ns) for i in iris)}
