"""Dereferenceable URIs against a running server: 303s, every format, 406, ?format=, proxies.

Every request goes over real HTTP (requests) to ``kiemen serve`` on 127.0.0.1. The IRIs in the
graph stay under the canonical base (``K``); the server maps a request for ``/id/...`` at its own
address to the canonical IRI, and links back to its own address.
"""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from typing import Any

import browser_helpers
import pytest
import rdflib
import requests
from pyoxigraph import NamedNode, RdfFormat
from pyoxigraph import parse as parse_rdf

from core.config import CANONICAL_BASE as K

INITIATIVE = "id/initiative/lokaal-natuurbeheer"
CONCEPT = "def/form/self-organisation"
SCHEME = "def/form"
SKOS = "http://www.w3.org/2004/02/skos/core#"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

#: (Accept header, ?format= key, media type of the document, rdflib parser)
FORMATS = [
    ("text/turtle", "ttl", "text/turtle", "turtle"),
    ("application/ld+json", "jsonld", "application/ld+json", "json-ld"),
    ("application/n-triples", "nt", "application/n-triples", "nt"),
    ("application/rdf+xml", "rdf", "application/rdf+xml", "xml"),
    ("application/trig", "trig", "application/trig", "trig"),
    ("application/n-quads", "nq", "application/n-quads", "nquads"),
]


def get(url: str, **kw: Any) -> requests.Response:
    kw.setdefault("allow_redirects", False)
    kw.setdefault("timeout", 20)
    return requests.get(url, **kw)


def parse(text: str, parser: str) -> rdflib.Dataset:
    ds = rdflib.Dataset()
    ds.parse(data=text, format=parser)
    return ds


def triples_about(ds: rdflib.Dataset, iri: str) -> set[tuple[Any, Any]]:
    return {(p, o) for s, p, o, _g in ds.quads((rdflib.URIRef(iri), None, None, None))}


class Links(HTMLParser):
    """The <link> elements and the JSON-LD scripts of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.jsonld: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link":
            self.links.append(a)
        self._in_jsonld = tag == "script" and a.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_jsonld = False


def page_links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


# -- 303 See Other --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [INITIATIVE, CONCEPT, SCHEME, "graph/curated"])
def test_browser_gets_303_to_the_page(live_server: str, path: str) -> None:
    response = get(f"{live_server}/{path}", headers={"Accept": BROWSER})
    assert response.status_code == 303
    page_path = path[3:] if path.startswith("id/") else path
    assert response.headers["Location"] == f"{live_server}/page/{page_path}"
    assert "Accept" in response.headers["Vary"]
    followed = requests.get(response.headers["Location"], timeout=20)
    assert followed.status_code == 200
    assert followed.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("accept", "key", "media", "parser"), FORMATS)
def test_every_format_by_accept_header(
    live_server: str, accept: str, key: str, media: str, parser: str
) -> None:
    iri = f"{live_server}/{INITIATIVE}"
    response = get(iri, headers={"Accept": accept})
    assert response.status_code == 303
    assert (
        response.headers["Location"] == f"{live_server}/data/initiative/lokaal-natuurbeheer.{key}"
    )
    assert "Accept" in response.headers["Vary"]
    doc = requests.get(response.headers["Location"], timeout=20)
    assert doc.status_code == 200
    assert doc.headers["Content-Type"].split(";")[0] == media
    assert f'<{LICENCE}>; rel="license"' in doc.headers["Link"]
    ds = parse(doc.text, parser)
    about = triples_about(ds, K + INITIATIVE)
    assert (
        rdflib.URIRef(SKOS + "prefLabel"),
        rdflib.Literal("Lokaal natuurbeheer", lang="nl"),
    ) in about
    types = {o for p, o in about if p == rdflib.RDF.type}
    assert rdflib.URIRef(f"{K}def/Initiative") in types


def test_curl_follows_to_turtle(live_server: str) -> None:
    """What `curl -L -H 'Accept: text/turtle' URI` does: 303, then the Turtle document."""
    response = requests.get(
        f"{live_server}/{CONCEPT}", headers={"Accept": "text/turtle"}, timeout=20
    )
    assert [r.status_code for r in response.history] == [303]
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "text/turtle"
    )
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (
        rdflib.URIRef(f"{K}{CONCEPT}"),
        rdflib.RDF.type,
        rdflib.URIRef(SKOS + "Concept"),
    ) in graph


@pytest.mark.parametrize("accept", [None, "*/*"])
def test_clients_that_accept_anything_get_the_page(live_server: str, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {"Accept": ""}
    response = get(f"{live_server}/{INITIATIVE}", headers=headers)
    assert response.status_code == 303
    assert "/page/initiative/lokaal-natuurbeheer" in response.headers["Location"]


@pytest.mark.parametrize(("_accept", "key", "media", "_parser"), FORMATS)
def test_format_parameter_overrides_accept(
    live_server: str, _accept: str, key: str, media: str, _parser: str
) -> None:
    response = get(f"{live_server}/{INITIATIVE}?format={key}", headers={"Accept": BROWSER})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/data/initiative/lokaal-natuurbeheer.{key}")
    html = get(f"{live_server}/{INITIATIVE}?format=html", headers={"Accept": "text/turtle"})
    assert html.headers["Location"].endswith("/page/initiative/lokaal-natuurbeheer")


@pytest.mark.parametrize(
    ("accept", "query"), [("application/pdf", ""), ("text/turtle", "?format=docx")]
)
def test_406_lists_what_is_available(live_server: str, accept: str, query: str) -> None:
    response = get(f"{live_server}/{INITIATIVE}{query}", headers={"Accept": accept})
    assert response.status_code == 406
    assert "Accept" in response.headers["Vary"]
    for media in (
        "text/html",
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
        "application/trig",
        "application/n-quads",
    ):
        assert media in response.text


@pytest.mark.parametrize(
    "path", ["id/initiative/does-not-exist", "def/form/no-such-form", "graph/no-such-graph"]
)
def test_unknown_iri_is_404(live_server: str, path: str) -> None:
    assert get(f"{live_server}/{path}", headers={"Accept": "text/turtle"}).status_code == 404
    assert get(f"{live_server}/{path}", headers={"Accept": BROWSER}).status_code == 404
    page = path[3:] if path.startswith("id/") else path
    assert get(f"{live_server}/page/{page}").status_code == 404
    assert get(f"{live_server}/data/{page}.ttl").status_code == 404


def test_data_document_with_unknown_extension_is_404(live_server: str) -> None:
    response = get(f"{live_server}/data/initiative/lokaal-natuurbeheer.docx")
    assert response.status_code == 404 and ".ttl" in response.text


# -- reverse proxy --------------------------------------------------------------------------


PROXY = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "kiemen.example.org",
    "X-Forwarded-Prefix": "/lod",
}


@pytest.fixture(scope="module")
def behind_proxy(settings: Any) -> Any:
    """The app with 127.0.0.1 declared a trusted proxy (KIEMEN_TRUSTED_PROXIES)."""
    from portal.app import create_app

    app = create_app(dataclasses.replace(settings, trusted_proxies=("127.0.0.1/32",)))
    return app.test_client()


def test_redirects_are_absolute_behind_a_proxy(behind_proxy: Any) -> None:
    html = behind_proxy.get(f"/{INITIATIVE}", headers={**PROXY, "Accept": BROWSER})
    assert html.headers["Location"] == (
        "https://kiemen.example.org/lod/page/initiative/lokaal-natuurbeheer"
    )
    data = behind_proxy.get(f"/{INITIATIVE}", headers={**PROXY, "Accept": "text/turtle"})
    assert data.headers["Location"] == (
        "https://kiemen.example.org/lod/data/initiative/lokaal-natuurbeheer.ttl"
    )


def test_page_links_are_absolute_behind_a_proxy(behind_proxy: Any) -> None:
    response = behind_proxy.get("/page/initiative/lokaal-natuurbeheer", headers=PROXY)
    links = page_links(response.get_data(as_text=True)).links
    canonical = [link["href"] for link in links if link.get("rel") == "canonical"]
    assert canonical == ["https://kiemen.example.org/lod/page/initiative/lokaal-natuurbeheer"]
    alternates = [link["href"] for link in links if link.get("rel") == "alternate"]
    assert alternates and all(
        a.startswith("https://kiemen.example.org/lod/data/initiative/") for a in alternates
    )


# -- the HTML page --------------------------------------------------------------------------


def test_page_has_alternates_canonical_and_schema_org(live_server: str) -> None:
    response = get(f"{live_server}/page/initiative/lokaal-natuurbeheer")
    assert response.status_code == 200
    parsed = page_links(response.text)
    alternates = {
        link["type"]: link["href"] for link in parsed.links if link.get("rel") == "alternate"
    }
    for _accept, key, media, parser in FORMATS:
        assert alternates[media] == f"{live_server}/data/initiative/lokaal-natuurbeheer.{key}"
        doc = requests.get(alternates[media], timeout=20)
        assert doc.status_code == 200
        parse(doc.text, parser)
    assert {link["href"] for link in parsed.links if link.get("rel") == "canonical"} == {
        f"{live_server}/page/initiative/lokaal-natuurbeheer"
    }
    assert parsed.jsonld, "embedded schema.org JSON-LD"
    data = json.loads(parsed.jsonld[0])
    assert data["@context"] == "https://schema.org" and data["@type"] == "Project"
    assert data["@id"] == f"{K}{INITIATIVE}", "the identifier stays canonical"
    assert data["license"] == LICENCE
    # The embedded JSON-LD is real JSON-LD: schema.org terms expand to IRIs.
    graph = rdflib.Graph().parse(
        data=json.dumps({**data, "@context": {"@vocab": "https://schema.org/"}}), format="json-ld"
    )
    assert (rdflib.URIRef(data["@id"]), rdflib.URIRef("https://schema.org/name"), None) in graph


def test_labels_follow_the_visitors_language(live_server: str) -> None:
    nl = get(f"{live_server}/page/initiative/lokaal-natuurbeheer?lang=nl").text
    en = get(f"{live_server}/page/initiative/lokaal-natuurbeheer?lang=en").text
    assert re.search(r'<h1 id="resource-title" lang="nl">Lokaal natuurbeheer</h1>', nl)
    assert re.search(r'<h1 id="resource-title" lang="en">Local nature management</h1>', en)
    # The other language is listed, marked with its language.
    assert '<span lang="en">Local nature management</span>' in nl
    assert '<span lang="nl">Lokaal natuurbeheer</span>' in en
    # Labels of properties and of linked things come in the visitor's language too.
    assert "zelforganisatie" in nl and "self-organisation" in en


def linking(kstore: Any, prop: str, iri: str) -> set[str]:
    """The subjects that link to ``iri`` through ``prop``, read straight from the store."""
    return {
        q.subject.value
        for q in kstore.reader().quads_for_pattern(None, NamedNode(prop), NamedNode(iri), None)
    }


def test_incoming_links_are_grouped_with_counts(live_server: str, kstore: Any) -> None:
    inferred = f"{K}def/inferredForm"
    count = len(linking(kstore, inferred, f"{K}{CONCEPT}"))
    assert count > 1
    html = get(f"{live_server}/page/{CONCEPT}?lang=en").text
    pattern = r'<a href="/page/def/inferredForm">[^<]+</a> <span class="count">\((\d+)\)</span>'
    assert [int(n) for n in re.findall(pattern, html)] == [count]


def test_incoming_links_are_paged(live_server: str, kstore: Any) -> None:
    """/def/Initiative is the rdf:type of every initiative: more than one page of them."""
    rdf_type = str(rdflib.RDF.type)
    expected = linking(kstore, rdf_type, f"{K}def/Initiative")
    size = kstore.settings.page_size
    assert len(expected) > size, "enough initiatives to need a second page"
    seen: list[str] = []
    page = 1
    while True:
        html = get(
            f"{live_server}/page/def/Initiative",
            params={"rel": rdf_type, "incoming": page, "lang": "en"},
        ).text
        section = html.split('id="incoming-h"', 1)[1].split('id="data-h"', 1)[0]
        items = re.findall(r'<li><a href="/page/(initiative/[^"]+)"', section)
        assert len(items) == min(size, len(expected) - len(seen))
        seen += items
        if 'rel="next"' not in section:
            break
        page += 1
    assert len(seen) == len(set(seen))
    assert {f"{K}id/{path}" for path in seen} == expected


def test_data_document_holds_statements_labels_and_incoming(live_server: str) -> None:
    iri = f"{K}{CONCEPT}"
    doc = requests.get(f"{live_server}/data/{CONCEPT}.nq", timeout=20)
    ds = parse(doc.text, "nquads")
    node = rdflib.URIRef(iri)
    # Its own statements, in the graph they come from.
    own = list(ds.quads((node, rdflib.URIRef(SKOS + "inScheme"), None, None)))
    assert own and str(own[0][3]) == f"{K}graph/ontology"
    # The labels of what it links to (its scheme).
    scheme = rdflib.URIRef(f"{K}{SCHEME}")
    assert list(ds.quads((scheme, rdflib.URIRef(SKOS + "prefLabel"), None, None)))
    # Its incoming links, and the labels of the things they come from.
    incoming = list(ds.quads((None, rdflib.URIRef(f"{K}def/inferredForm"), node, None)))
    assert incoming
    source = incoming[0][0]
    assert list(ds.quads((source, rdflib.URIRef(SKOS + "prefLabel"), None, None)))


def test_data_document_pages_incoming_links(settings: Any) -> None:
    """With a small page size the data document links to the next page (Link: rel=next)."""
    from portal.app import create_app

    app = create_app(dataclasses.replace(settings, max_page_size=5))
    client = app.test_client()
    base = settings.base_uri.rstrip("/")
    seen: set[tuple[str, str]] = set()
    url = "/data/def/Initiative.nt"
    pages = 0
    while url:
        response = client.get(url, base_url=base)
        assert response.status_code == 200
        graph = rdflib.Graph().parse(data=response.get_data(as_text=True), format="nt")
        typed = {
            (str(s), str(p))
            for s, p, _o in graph.triples(
                (None, rdflib.RDF.type, rdflib.URIRef(f"{base}/def/Initiative"))
            )
        }
        assert len(typed) <= 5
        assert not typed & seen
        seen |= typed
        pages += 1
        nxt = re.search(r'<([^>]+)>; rel="next"', response.headers["Link"])
        url = nxt.group(1).replace(base, "") if nxt else ""
    assert pages > 1
    from core.store import KiemenStore

    expected = linking(KiemenStore(settings), str(rdflib.RDF.type), f"{base}/def/Initiative")
    assert {s for s, _p in seen} == expected


def test_dataset_iris_dereference(live_server: str) -> None:
    """The catalogue's own IRIs (dataset, service) resolve like every other thing."""
    for path in ("id/dataset/kiemen", "id/service/sparql"):
        response = requests.get(
            f"{live_server}/{path}", headers={"Accept": "text/turtle"}, timeout=20
        )
        assert response.status_code == 200, path
        graph = rdflib.Graph().parse(data=response.text, format="turtle")
        assert (rdflib.URIRef(f"{K}{path}"), rdflib.RDF.type, None) in graph


# -- the ontology URI -----------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "_key", "media", "parser"), FORMATS)
def test_ontology_uri_serves_every_format(
    live_server: str, accept: str, _key: str, media: str, parser: str
) -> None:
    response = get(f"{live_server}/def/", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media
    assert "Accept" in response.headers["Vary"]
    ds = parse(response.text, parser)
    assert (rdflib.URIRef(f"{K}def/Initiative"), rdflib.RDF.type, rdflib.OWL.Class) in {
        (s, p, o) for s, p, o, _g in ds.quads((None, None, None, None))
    }


def test_ontology_uri_negotiates_html_and_406(live_server: str) -> None:
    assert (
        get(f"{live_server}/def/", headers={"Accept": BROWSER})
        .headers["Content-Type"]
        .startswith("text/html")
    )
    assert (
        get(f"{live_server}/def/?format=ttl", headers={"Accept": BROWSER})
        .headers["Content-Type"]
        .startswith("text/turtle")
    )
    assert get(f"{live_server}/def/", headers={"Accept": "image/png"}).status_code == 406


# -- crawlers -------------------------------------------------------------------------------


def test_sitemap_lists_pages_and_robots_names_it(live_server: str) -> None:
    robots = get(f"{live_server}/robots.txt")
    assert robots.status_code == 200
    assert f"Sitemap: {live_server}/sitemap.xml" in robots.text
    sitemap = get(f"{live_server}/sitemap.xml")
    assert sitemap.status_code == 200
    assert sitemap.headers["Content-Type"].startswith("application/xml")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
    assert f"{live_server}/page/initiative/lokaal-natuurbeheer" in locs
    assert f"{live_server}/page/{CONCEPT}" in locs
    assert len(locs) == len(set(locs))
    for loc in locs[:3] + locs[-3:]:
        assert get(loc).status_code == 200, loc


# -- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_linked_data_pages_pass_axe_offline(live_server: str, exported: dict[str, Any]) -> None:
    """Resource pages of every generic kind, the downloads page and the dataset descriptions in
    Debian's Chromium: no request leaves the server, axe-core finds nothing serious."""
    browser_helpers.sync_api()
    urls = [
        f"/page/{CONCEPT}",
        "/page/def/Initiative",
        "/page/graph/curated",
        "/page/dataset/kiemen",
        "/page/initiative/does-not-exist",
        "/downloads/",
        "/catalog",
        "/.well-known/void",
    ]
    failures: dict[str, Any] = {}
    with (
        browser_helpers.chromium() as browser,
        browser_helpers.offline_page(browser, live_server) as page,
    ):
        for url in urls:
            for lang in ("nl", "en"):
                sep = "&" if "?" in url else "?"
                page.goto(f"{live_server}{url}{sep}lang={lang}")
                page.wait_for_load_state("networkidle")
                assert page.locator("html").get_attribute("lang") == lang
                found = browser_helpers.axe_violations(page)
                if found:
                    failures[f"{url} ({lang})"] = found
    assert not failures, json.dumps(failures, indent=1)


@pytest.mark.slow
def test_every_iri_in_the_graph_resolves(live_server: str, kstore: Any) -> None:
    """`curl -L -H 'Accept: text/turtle' URI` works for every IRI under the base, and a browser
    gets a page: subjects and objects of every named graph, provenance included."""
    base = kstore.settings.base_uri
    iris: set[str] = set()
    for q in kstore.reader().quads_for_pattern(None, None, None, None):
        for term in (q.subject, q.predicate, q.object, q.graph_name):
            if isinstance(term, NamedNode) and term.value.startswith(base):
                iris.add(term.value)
    assert len(iris) > 100
    session = requests.Session()
    failures = []
    for iri in sorted(iris):
        url = live_server + "/" + iri[len(base) :]  # the canonical IRI, served here
        response = session.get(url, headers={"Accept": "text/turtle"}, timeout=20)
        ok = response.status_code == 200 and response.headers["Content-Type"].startswith(
            "text/turtle"
        )
        if ok and iri != kstore.settings.def_ns:  # the ontology URI answers directly
            node = NamedNode(iri)
            # 301 first for a former IRI (places moved to ISO/CBS/GeoNames IRIs, portal.moved)
            hops = [r.status_code for r in response.history]
            ok = hops in ([303], [301, 303]) and any(
                node in (t.subject, t.object) for t in parse_rdf(response.content, RdfFormat.TURTLE)
            )
        if not ok:
            failures.append((iri, response.status_code))
    assert not failures, failures[:20]
    for iri in sorted(iris)[:: max(1, len(iris) // 25)]:
        url = live_server + "/" + iri[len(base) :]
        page = session.get(url, headers={"Accept": BROWSER}, timeout=20)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html"), iri
