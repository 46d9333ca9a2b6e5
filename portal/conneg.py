"""Content negotiation: which of the formats in :mod:`core.formats` a request asks for.

Used by the linked-data views (RDF documents), the SPARQL endpoint (results and graphs) and
the downloads, so that every part of Kiemen offers the same names for the same formats.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Request

from core.formats import (
    DOCUMENT_FORMATS,
    HTML,
    RDF_FORMATS,
    RESULTS_FORMATS,
    Format,
    by_key,
)


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


__all__ = [
    "DOCUMENT_FORMATS",
    "HTML",
    "RDF_FORMATS",
    "RESULTS_FORMATS",
    "Format",
    "by_key",
    "negotiate",
    "not_acceptable_body",
]
