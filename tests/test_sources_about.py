"""Checkable sources and the About page (issue #17 items 2 and 3): section pages show their
place in the document and what rests on them; citations are in words; every footer links to
About; and no page serves a sentence of the source texts (only titles and line numbers)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import SHARED

K = "https://w3id.org/kiemen/"
SECTION = "section/booklet-wat-zijn-de-sociale-media"


def test_a_section_page_shows_its_outline_and_what_rests_on_it(client: Any) -> None:
    html = client.get(f"/page/{SECTION}?lang=en").get_data(as_text=True)
    outline = html[html.index('id="outline-h"') : html.index('id="cite-passage-h"')]
    # document, then the chapter, then the section itself (current)
    doc = outline.index("Sociale media: nieuwe wegen naar sociale innovatie")
    chapter = outline.index("Het sociale web")
    here = outline.index('aria-current="page"')
    assert doc < chapter < here
    assert 'href="/page/section/booklet-het-sociale-web"' in outline
    cite = html[html.index('id="cite-passage-h"') : html.index('id="derived-h"')]
    assert re.search(
        r"Sociale media: nieuwe wegen naar sociale innovatie \(2013\), "
        r".*‘Het sociale web’, .*lines \d+–\d+",
        cite,
    )
    derived = html[html.index('id="derived-h"') :]
    assert derived.count("<tr>") >= 3, "the statements sourced to this passage"
    assert "/sparql" in derived or "sparql" in derived


def test_a_citation_on_an_initiative_links_to_the_section_page(client: Any) -> None:
    html = client.get("/page/initiative/gelderland-anders?lang=nl").get_data(as_text=True)
    sources = html[html.index('id="src-h"') :]
    assert re.search(r'href="/page/section/[^"]+"', sources)
    assert "regels" in sources
    # In words, every level: document (year), chapter, section(s), box, lines.
    words = re.findall(r"Bronvermelding: ([^<]+)", sources)
    assert words and all(re.search(r"\(\d{4}\), .+‘.+’, regels \d+–\d+$", w.strip()) for w in words)
    assert any(w.count("‘") >= 3 for w in words), "chapter, section and box named"
    section = re.search(r'href="(/page/section/[^"]+)"', sources)
    assert section is not None
    page = client.get(section.group(1) + "?lang=nl").get_data(as_text=True)
    assert "gelderland-anders" in page, "the section page lists the initiative it backs"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_about_page_explains_the_method(client: Any, lang: str) -> None:
    response = client.get(f"/about?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for anchor in ("sources", "curation", "stated", "uncertainty", "licence", "cite", "publish"):
        assert f'id="about-{anchor}"' in html
    assert html.count('href="/page/document/') == 5, "every source document, linked"
    assert "creativecommons.org/licenses/by/4.0" in html
    assert "/cite/dataset" in html
    words = {
        "nl": ("Vermeld en afgeleid", "Onzekerheden"),
        "en": ("Stated and inferred", "Uncertainty records"),
    }
    assert all(w in html for w in words[lang])


def test_every_footer_links_to_about(client: Any) -> None:
    for url in (
        "/",
        "/browse",
        "/search?q=buurt",
        "/network",
        "/query",
        "/def",
        "/about",
        "/page/initiative/gelderland-anders",
        f"/page/{SECTION}",
        "/downloads/",
    ):
        html = client.get(url).get_data(as_text=True)
        footer = html[html.index("<footer") :]
        assert 'href="/about"' in footer, url


def seed_sentences() -> set[str]:
    """Long lines of the source texts: none may appear on any page."""
    out: set[str] = set()
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) >= 60 and not line.startswith(("http", "www")):
                out.add(line)
    return out


def test_no_page_serves_the_source_texts(client: Any, kstore: Any) -> None:
    from portal.resource import page_path

    # Titles (of documents, chapters, sections, boxes) may be shown; their words are no leak.
    titles = " | ".join(
        " ".join(str(s["t"].value).split())
        for s in kstore.query("SELECT ?t WHERE { ?x <http://purl.org/dc/terms/title> ?t }")
    )
    sentences = {s for s in seed_sentences() if " ".join(s.split()) not in titles}
    assert len(sentences) > 1000
    urls = ["/about"]
    for r in kstore.rows("index-search-things", {}):
        if r["kind"] in ("document", "section"):
            urls.append("/page/" + str(page_path(kstore.settings, r["thing"])))
    urls += [f"/page/{SECTION}", "/page/document/sociale-media-nieuwe-wegen"]
    for url in dict.fromkeys(urls):
        html = client.get(url).get_data(as_text=True)
        leaked = [s for s in sentences if s in html]
        assert not leaked, (url, leaked[:2])
        assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt", html), f"{url} names a seed file"


def test_document_page_has_a_bibliographic_record(client: Any) -> None:
    html = client.get("/page/document/ecosysteem-sociale-innovatie?lang=en").get_data(as_text=True)
    assert 'id="cite-doc-h"' in html
    cite = html[html.index('id="cite-doc-h"') :]
    assert "Movisie" in cite and "(2017)" in cite
