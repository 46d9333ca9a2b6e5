"""The licence a page or data document states: its publisher's, else Kiemen's.

A government publishing its own records chooses their licence at registration (CC0 or
CC BY 4.0). Everything that describes those records — the page and its footer, its schema.org
and citation metadata, the data documents and their ``Link: <…>; rel="license"`` header —
states that licence; everything else states Kiemen's (:mod:`core.licence`). A record is the
publisher's when its IRI or graph lies under the publisher's namespace.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings
from core.licence import LICENCE, LICENCE_EU, LICENCE_NAME
from publishing.publishers import Registry


@dataclass(frozen=True)
class Stated:
    url: str  # the licence document people and most tools recognise
    name: str
    eu: str  # the EU licence authority's IRI, for DCAT-AP

    def link_header(self) -> str:
        return f'<{self.url}>; rel="license"'


KIEMEN = Stated(LICENCE, LICENCE_NAME, LICENCE_EU)


def publisher_code(settings: Settings, iri: str) -> str | None:
    """The CBS code of the publisher whose record or graph ``iri`` is, or None."""
    for prefix in (f"{settings.id_ns}publishers/", f"{settings.graph_ns}publishers/"):
        if iri.startswith(prefix):
            return iri[len(prefix) :].split("/", 1)[0] or None
    return None


def licence_for(settings: Settings, iri: str) -> Stated:
    """The licence the description of ``iri`` states."""
    code = publisher_code(settings, iri)
    publisher = Registry(settings).get(code) if code else None
    if publisher is None:
        return KIEMEN
    lic = publisher.licence
    return Stated(lic.url, lic.label, lic.iri)
