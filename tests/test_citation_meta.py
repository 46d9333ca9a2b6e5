"""Reference-manager metadata: the ``citation_*`` and Dublin Core tags and schema.org JSON-LD that
Zotero's connector reads from a page's ``<head>``, and the version and release date in the
BibTeX, RIS and CSL-JSON downloads."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
import requests

from core.write.dumps import release_of


class HeadReader(HTMLParser):
    """Collects what a reference manager reads: ``<meta name content>`` and JSON-LD, in head."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.jsonld: list[dict[str, object]] = []
        self._in_head = False
        self._in_jsonld = False
        self._buffer = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif tag == "meta" and self._in_head and a.get("name") and a.get("content") is not None:
            self.meta.append((str(a["name"]), str(a["content"])))
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in_jsonld, self._buffer = True, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag == "script" and self._in_jsonld:
            self._in_jsonld = False
            self.jsonld.append(json.loads(self._buffer))

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self._buffer += data

    def values(self, name: str) -> list[str]:
        return [v for n, v in self.meta if n == name]


def read_head(html: str) -> HeadReader:
    reader = HeadReader()
    reader.feed(html)
    return reader


def test_an_initiative_page_tells_zotero_title_authors_date_url_and_version(
    live_server: str, kstore
) -> None:  # type: ignore[no-untyped-def]
    """Over HTTP from ``kiemen serve``, as the connector gets the page."""
    url = live_server + "/page/initiative/riotcleanup"
    response = requests.get(url, headers={"Accept-Language": "en"}, timeout=30)
    assert response.status_code == 200
    head = read_head(response.text)
    release = release_of(kstore.generation_id())
    assert head.values("citation_title") == ["Riot clean-up"]
    assert head.values("citation_author") == ["Kiemen"]
    assert head.values("citation_publisher") == ["Kiemen"]
    assert head.values("citation_publication_date") == [release.replace("-", "/")]
    assert head.values("citation_public_url") == [url]
    assert head.values("citation_version") == [release]
    assert head.values("citation_language") == ["en"]
    assert head.values("DC.type") == ["Dataset"] and head.values("DC.hasVersion") == [release]
    page = next(d for d in head.jsonld if d.get("@type") == "WebPage")
    assert page["version"] == release and page["datePublished"] == release
    assert page["url"] == url and page["name"] == "Riot clean-up"
    # the thing is named by its canonical IRI, whatever host serves the page
    assert page["about"] == {"@id": kstore.settings.base_uri + "id/initiative/riotcleanup"}
    dataset = page["isPartOf"]
    assert isinstance(dataset, dict) and dataset["version"] == release
    # The page's own schema.org description of the thing stays beside it.
    assert any(d.get("@type") == "Project" for d in head.jsonld)


@pytest.mark.parametrize(
    "path,title",
    [
        ("/page/actor/gemeente-alphen-aan-den-rijn", "Gemeente Alphen aan den Rijn"),
        ("/page/document/sociale-media-nieuwe-wegen", None),
        ("/page/dataset/kiemen", "Kiemen: kennisgraaf van sociale innovatie"),
    ],
)
def test_actor_document_and_dataset_pages_carry_it_too(
    client, path: str, title: str | None
) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path + "?lang=nl")
    assert response.status_code == 200
    head = read_head(response.get_data(as_text=True))
    assert head.values("citation_title") and head.values("citation_version")
    if title:
        assert head.values("citation_title") == [title]
    assert head.values("citation_author") == ["Kiemen"]
    types = {d.get("@type") for d in head.jsonld}
    assert types & {"WebPage", "Dataset"}


def test_a_concept_page_is_no_citable_record(client) -> None:  # type: ignore[no-untyped-def]
    head = read_head(client.get("/page/def/form/civic-initiative").get_data(as_text=True))
    assert not head.values("citation_title")


def test_downloads_carry_version_and_release_date(client, kstore) -> None:  # type: ignore[no-untyped-def]
    release = release_of(kstore.generation_id())
    bib = client.get("/cite/initiative/riotcleanup.bib").get_data(as_text=True)
    assert f"version = {{{release}}}" in bib and f"date = {{{release}}}" in bib
    ris = client.get("/cite/initiative/riotcleanup.ris").get_data(as_text=True)
    assert f"ET  - {release}\r\n" in ris and f"DA  - {release.replace('-', '/')}\r\n" in ris
    csl = client.get("/cite/dataset.json").get_json()[0]
    year, month, day = (int(x) for x in release.split("-"))
    assert csl["version"] == release
    assert csl["issued"] == {"date-parts": [[year, month, day]]}
