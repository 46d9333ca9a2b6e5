"""Serving one load anywhere: at two ports, and under a path prefix behind a real nginx.

Forwarded headers count only from declared trusted proxies (``KIEMEN_TRUSTED_PROXIES``); an
untrusted client's ``X-Forwarded-Host: evil.example`` changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from deploy_helpers import crawl, example_rows, kiemen_serve, links_of, needs_nginx, nginx

from core.config import CANONICAL_BASE, ConfigError, Settings, parse_networks
from portal.proxy import parse_forwarded

INITIATIVE = "id/initiative/lokaal-natuurbeheer"
BROWSER = "text/html,application/xhtml+xml"
EVIL = {
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Prefix": "/evil",
    "X-Forwarded-Port": "666",
    "X-Forwarded-For": "203.0.113.9",
    "Forwarded": 'for=203.0.113.9;proto=https;host="evil.example"',
}
OK_STATUS = (200, 303)


@pytest.fixture(scope="module")
def trusting_client(settings: Settings) -> Any:
    """The app with 127.0.0.1 declared a trusted proxy (requests come from there)."""
    from portal.app import create_app

    app = create_app(dataclasses.replace(settings, trusted_proxies=("127.0.0.1/32",)))
    app.config.update(TESTING=True)
    return app.test_client()


def test_trusted_proxies_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_networks("127.0.0.1, 10.0.0.0/8 ::1") == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    monkeypatch.setenv("KIEMEN_TRUSTED_PROXIES", "")
    assert Settings.from_env().trusted_proxies == ()
    monkeypatch.setenv("KIEMEN_TRUSTED_PROXIES", "localhost")
    with pytest.raises(ConfigError, match="KIEMEN_TRUSTED_PROXIES"):
        Settings.from_env()


def test_forwarded_header_is_parsed_per_rfc_7239() -> None:
    hops = parse_forwarded('for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8::1]:47"')
    assert hops == [
        {"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"},
        {"for": "[2001:db8::1]:47"},
    ]


def test_trusted_proxy_headers_make_absolute_urls(trusting_client: Any) -> None:
    headers = {
        "Accept": BROWSER,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "kiemen.example.org",
        "X-Forwarded-Prefix": "/lod",
    }
    response = trusting_client.get(f"/{INITIATIVE}", headers=headers)
    assert response.headers["Location"] == (
        "https://kiemen.example.org/lod/page/initiative/lokaal-natuurbeheer"
    )
    data = trusting_client.get(f"/{INITIATIVE}", headers={**headers, "Accept": "text/turtle"})
    assert data.headers["Location"] == (
        "https://kiemen.example.org/lod/data/initiative/lokaal-natuurbeheer.ttl"
    )
    page = trusting_client.get("/page/initiative/lokaal-natuurbeheer", headers=headers)
    html = page.get_data(as_text=True)
    assert '<link rel="canonical" href="https://kiemen.example.org/lod/page/initiative/' in html
    # The identifier stays canonical; every root-relative link carries the prefix.
    assert CANONICAL_BASE + INITIATIVE in html
    local = [u for u in links_of(html) if u.startswith("/")]
    assert local and all(u.startswith("/lod/") for u in local), local


def test_forwarded_and_port_and_client_address(trusting_client: Any) -> None:
    response = trusting_client.get(
        f"/{INITIATIVE}",
        headers={
            "Accept": BROWSER,
            "Forwarded": 'for=198.51.100.7;proto=https;host="data.example.nl:8443"',
        },
    )
    assert response.headers["Location"].startswith("https://data.example.nl:8443/page/")
    response = trusting_client.get(
        f"/{INITIATIVE}",
        headers={"Accept": BROWSER, "X-Forwarded-Host": "a.example", "X-Forwarded-Port": "8080"},
    )
    assert response.headers["Location"].startswith("http://a.example:8080/page/")
    # Malformed values are ignored, not half-used.
    bad = trusting_client.get(
        f"/{INITIATIVE}",
        headers={
            "Accept": BROWSER,
            "X-Forwarded-Host": "evil.example/x?",
            "X-Forwarded-Proto": "javascript",
            "X-Forwarded-Prefix": "/a b",
        },
    )
    assert bad.headers["Location"] == "http://localhost/page/initiative/lokaal-natuurbeheer"


def test_client_address_is_the_first_untrusted_hop(settings: Settings) -> None:
    from flask import request

    from portal.app import create_app

    app = create_app(dataclasses.replace(settings, trusted_proxies=("127.0.0.0/8", "10.0.0.0/8")))
    seen: list[str | None] = []
    app.before_request(lambda: seen.append(request.remote_addr) and None)
    client = app.test_client()
    client.get("/healthz", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5, 10.1.1.1"})
    client.get("/healthz", headers={"Forwarded": "for=198.51.100.2, for=10.0.0.2"})
    client.get(
        "/healthz",
        headers={"X-Forwarded-For": "198.51.100.3"},
        environ_base={"REMOTE_ADDR": "192.0.2.1"},  # not a trusted proxy: its claim is ignored
    )
    assert seen == ["203.0.113.5", "198.51.100.2", "192.0.2.1"]


def test_untrusted_forwarded_headers_change_nothing(live_server: str) -> None:
    """The session server declares no trusted proxy: forwarded headers from a client are
    dropped, so redirects, canonical links and pages are exactly as without them."""
    for path, accept in ((INITIATIVE, BROWSER), (INITIATIVE, "text/turtle")):
        plain = requests.get(
            f"{live_server}/{path}", headers={"Accept": accept}, allow_redirects=False, timeout=30
        )
        forged = requests.get(
            f"{live_server}/{path}",
            headers={"Accept": accept, **EVIL},
            allow_redirects=False,
            timeout=30,
        )
        assert forged.status_code == plain.status_code == 303
        assert forged.headers["Location"] == plain.headers["Location"]
        assert forged.headers["Location"].startswith(live_server + "/")
    for path in ("page/initiative/lokaal-natuurbeheer", "", "sitemap.xml", "robots.txt"):
        forged = requests.get(f"{live_server}/{path}", headers=EVIL, timeout=30)
        assert forged.status_code == 200
        assert "evil" not in forged.text and "666" not in forged.text, path
        assert "evil" not in forged.headers.get("Link", "")


def _assert_served_everywhere(start: str, prefix: str) -> dict[str, int]:
    found = crawl(start + "/" if not start.endswith("/") else start, levels=2)
    assert len(found) > 50, "a crawl two levels deep reaches many pages"
    bad = {u: s for u, s in found.items() if s not in OK_STATUS}
    assert not bad, list(bad.items())[:20]
    escaped = [u for u in found if not urlsplit(u).path.startswith(prefix)]
    assert not escaped, escaped[:20]
    return found


@pytest.mark.slow
def test_one_load_serves_at_two_ports(loaded_store_path: Path) -> None:
    """The same store, unchanged, at two new ports: every link of a two-level crawl answers
    200 or 303 at the port being served, and the SPARQL examples return the same rows."""
    answers = []
    with kiemen_serve(loaded_store_path) as first, kiemen_serve(loaded_store_path) as second:
        for server in (first, second):
            found = _assert_served_everywhere(server, "/")
            port = urlsplit(server).port
            assert all(urlsplit(u).port == port for u in found)
            answers.append(example_rows(server))
    assert answers[0] == answers[1]
    assert sum(answers[0].values()) > 0 and next(iter(answers[0].values())) > 0


NGINX_SITE = """
server {{
    listen 127.0.0.1:{{port}};
    location = /kiemen {{ return 301 /kiemen/; }}
    location /kiemen/ {{
        proxy_pass http://127.0.0.1:{upstream}/;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Prefix /kiemen;
        # /browse/sparql/... answers 303 to /sparql?query=<the query>: headers over 4 KB.
        proxy_buffer_size 32k;
        proxy_buffers 8 32k;
    }}
}}
"""


@needs_nginx
@pytest.mark.slow
def test_behind_nginx_under_a_prefix(loaded_store_path: Path, tmp_path: Path) -> None:
    """Debian's nginx serves Kiemen under /kiemen/: every link, asset, form, data URL and
    redirect of a two-level crawl stays under the prefix and answers 200 or 303."""
    with kiemen_serve(loaded_store_path, KIEMEN_TRUSTED_PROXIES="127.0.0.1") as upstream:
        port = urlsplit(upstream).port
        with nginx(tmp_path / "nginx", NGINX_SITE.format(upstream=port)) as nport:
            site = f"http://127.0.0.1:{nport}/kiemen"
            found = _assert_served_everywhere(site + "/", "/kiemen/")
            paths = {urlsplit(u).path for u in found}
            for expected in ("browse", "static/", "vendor/", "api/"):
                assert any(p.startswith("/kiemen/" + expected) for p in paths), expected
            # The 303 of a canonical IRI's path points at nginx, prefix included.
            see = requests.get(
                f"{site}/{INITIATIVE}", headers={"Accept": BROWSER}, allow_redirects=False
            )
            assert see.headers["Location"] == f"{site}/page/initiative/lokaal-natuurbeheer"
            # JSON URLs (map data, paging) and machine-readable descriptions carry the prefix.
            page = requests.get(f"{site}/browse", timeout=60).text
            sources = re.findall(r'data-src="([^"]+)"', page)
            assert sources and all(s.startswith("/kiemen/") for s in sources)
            for src in sources:
                body = requests.get(f"http://127.0.0.1:{nport}{src.replace('&amp;', '&')}")
                assert body.status_code == 200
                for url in re.findall(r'"(?:page_url|next_url|url)": ?"([^"]+)"', body.text):
                    assert url.startswith(("/kiemen/", site + "/")), url
            void = requests.get(f"{site}/.well-known/void", headers={"Accept": "text/turtle"})
            assert f"<{site}/sparql>" in void.text
            catalog = requests.get(f"{site}/catalog", headers={"Accept": "text/turtle"})
            assert f"<{site}/sparql>" in catalog.text
            assert f"<{CANONICAL_BASE}id/dataset/kiemen>" in catalog.text
            sitemap = requests.get(f"{site}/sitemap.xml").text
            locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
            assert locs and all(loc.startswith(site + "/") for loc in locs)
            query = requests.get(f"{site}/query").text
            assert f'"endpoint": "{site}/sparql"' in query
            # SPARQL examples answer through the proxy as they do directly.
            assert example_rows(site) == example_rows(upstream)
            # A forged header from a client reaches nginx's upstream only as nginx rewrote it.
            forged = requests.get(
                f"{site}/{INITIATIVE}",
                headers={"Accept": BROWSER, "X-Forwarded-Prefix": "/evil"},
                allow_redirects=False,
            )
            assert forged.headers["Location"] == see.headers["Location"]


def test_data_answers_are_never_rewritten_under_a_prefix(trusting_client: Any) -> None:
    """Behind a prefix only the portal's own JSON gets its URL fields prefixed: SPARQL results
    and RDF documents are data, returned byte for byte as the engine wrote them."""
    headers = {"X-Forwarded-Prefix": "/lod", "X-Forwarded-Host": "kiemen.example.org"}
    construct = 'CONSTRUCT { <urn:x> <http://schema.org/url> "/browse" } WHERE {}'
    select = 'SELECT ("/browse" AS ?url) ?href WHERE { BIND("/api/map" AS ?href) }'
    for query, accept in (
        (construct, "application/ld+json"),
        (select, "application/sparql-results+json"),
        (select, "application/json"),
    ):
        plain = trusting_client.get(
            "/sparql", query_string={"query": query}, headers={"Accept": accept}
        )
        behind = trusting_client.get(
            "/sparql", query_string={"query": query}, headers={**headers, "Accept": accept}
        )
        assert plain.status_code == behind.status_code == 200, behind.get_data(as_text=True)
        assert "/lod/" not in behind.get_data(as_text=True), (accept, behind.get_data(as_text=True))
        assert json.loads(behind.get_data()) == json.loads(plain.get_data())
    # The portal's own API answers still carry the prefix.
    api = trusting_client.get("/api/map", headers=headers)
    assert api.status_code == 200
