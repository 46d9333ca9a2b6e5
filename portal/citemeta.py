"""What reference managers read from a page: Highwire ``citation_*`` tags, Dublin Core and a
schema.org description of the page as a record of the Kiemen dataset.

Zotero's connector (its "Embedded Metadata" translator) reads ``citation_title``,
``citation_author``, ``citation_publisher``, ``citation_date``/``citation_publication_date``,
``citation_online_date``, ``citation_public_url``, ``citation_language`` and
``citation_keywords``, and Dublin Core ``DC.*`` tags (``DC.type`` ``Dataset`` makes it a
dataset item); the version goes in ``citation_version``, ``DC.hasVersion`` and the JSON-LD.
The partial ``_citation_meta.html`` writes them into ``<head>`` of initiative, actor, document
and dataset pages; the values are the same as in the BibTeX, RIS and CSL-JSON downloads
(:mod:`portal.cite`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.config import Settings
from core.licence import LICENCE
from portal import cite
from portal.void import dataset_iri

#: Page kinds that carry citation metadata.
CITED_KINDS = ("initiative", "actor", "organisation", "person", "document", "dataset")


@dataclass
class CitationMeta:
    """The citable facts of one page."""

    title: str
    url: str
    version: str
    released: str  # YYYY-MM-DD
    language: str
    authors: list[str] = field(default_factory=lambda: [cite.PUBLISHER])
    publisher: str = cite.PUBLISHER
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    about: str = ""  # the IRI of the thing the page describes
    is_dataset: bool = False
    #: The licence the page's data are under (a publisher's records: the publisher's).
    licence: str = LICENCE

    @property
    def highwire_date(self) -> str:
        """Highwire's date spelling (YYYY/MM/DD)."""
        return self.released.replace("-", "/")

    def tags(self) -> list[tuple[str, str]]:
        """(name, content) of every ``<meta>`` tag, in a stable order."""
        out = [("citation_title", self.title)]
        out += [("citation_author", a) for a in self.authors]
        out += [
            ("citation_publisher", self.publisher),
            ("citation_publication_date", self.highwire_date),
            ("citation_date", self.highwire_date),
            ("citation_online_date", self.highwire_date),
            ("citation_public_url", self.url),
            ("citation_abstract_html_url", self.url),
            ("citation_version", self.version),
            ("citation_language", self.language),
        ]
        if self.keywords:
            out.append(("citation_keywords", "; ".join(self.keywords)))
        out += [
            ("DC.title", self.title),
            *(("DC.creator", a) for a in self.authors),
            ("DC.publisher", self.publisher),
            ("DC.date", self.released),
            ("DC.identifier", self.about or self.url),
            ("DC.type", "Dataset"),
            ("DC.language", self.language),
            ("DC.hasVersion", self.version),
            ("DC.rights", self.licence),
        ]
        if self.abstract:
            out.append(("DC.description", self.abstract))
        return [(k, v) for k, v in out if v]

    def jsonld(self, settings: Settings, dataset_title: str) -> dict[str, Any]:
        """schema.org: the page as a record of the dataset (or the dataset itself)."""
        kiemen = {"@type": "Organization", "name": self.publisher, "url": settings.base_uri}
        dataset: dict[str, Any] = {
            "@type": "Dataset",
            "@id": dataset_iri(settings.base_uri),
            "name": dataset_title,
            "version": self.version,
            "datePublished": self.released,
            "publisher": kiemen,
            "creator": kiemen,
            "license": LICENCE,
            "url": settings.base_uri,
        }
        if self.is_dataset:
            return {"@context": "https://schema.org", **dataset, "mainEntityOfPage": self.url}
        page: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "WebPage",
            "@id": self.url,
            "url": self.url,
            "name": self.title,
            "author": kiemen,
            "publisher": kiemen,
            "datePublished": self.released,
            "version": self.version,
            "inLanguage": self.language,
            "license": self.licence,
            "isPartOf": dataset,
        }
        if self.about:
            page["about"] = {"@id": self.about}
        return page


def for_page(
    settings: Settings,
    generation: str | None,
    kind: str,
    title: str,
    url: str,
    lang: str,
    about: str = "",
    abstract: str = "",
    keywords: list[str] | None = None,
    licence: str = LICENCE,
) -> CitationMeta:
    """The citation facts of a page of ``kind`` in the generation being served."""
    version, released = cite.release(generation)
    is_dataset = kind == "dataset"
    if is_dataset:
        title = cite.dataset_title(lang)
    return CitationMeta(
        title=title,
        url=url,
        version=version,
        released=released,
        language=lang,
        abstract=abstract[:500],
        keywords=keywords or [],
        about=about,
        is_dataset=is_dataset,
        licence=licence,
    )
