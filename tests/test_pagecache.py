"""The per-generation page cache (issue #18 item 5), against a real ``kiemen serve`` on 127.0.0.1.

Every write here is a real publish (``kiemen load`` in its own process while the server runs),
and every proof of a hit is the server's own ``X-Kiemen-Cache`` header.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import REPO, kiemen_cmd, kiemen_env
from sparql_helpers import bundled_store, kiemen_server

from portal.pagecache import OVERHEAD, Entry, PageCache

BASE = "http://kiemen.test/"
KM = BASE + "def/"
SEARCH = "/search?q=zwaluwnesten"
PAGE = "/page/initiative/x"


def publish(store: Path, tmp: Path, nl: str, en: str) -> None:
    """``kiemen load`` of one initiative into graph ``test`` (replacing what it held); shaped
    like bench/generate.py's, which pass the loader's SHACL check."""
    data = tmp / f"{nl}.ttl"
    data.write_text(
        f"""@prefix km: <{KM}> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{BASE}id/document/d> a km:SourceDocument ; dct:title "Bron"@nl .
<{BASE}id/section/s> a km:Section ; km:sectionType <{KM}section-type/box> ;
    dct:title "Kader"@nl ; dct:isPartOf <{BASE}id/document/d> ;
    km:inDocument <{BASE}id/document/d> ;
    km:lineStart 1 ; km:lineEnd 10 .
<{BASE}id/initiative/x> a km:Initiative ; skos:prefLabel "{nl}"@nl, "{en}"@en ;
    dct:description "Over {nl}."@nl, "About {en}."@en ;
    km:statedForm <{KM}form/crowdsourcing> ; km:inferredForm <{KM}form/crowdsourcing> ;
    prov:wasDerivedFrom <{BASE}id/section/s> .
""",
        encoding="utf-8",
    )
    done = subprocess.run(
        [*kiemen_cmd(), "load", str(data), "--graph", "test"],
        env=kiemen_env(store, BASE),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    tmp = tmp_path_factory.mktemp("pagecache")
    store = bundled_store(tmp / "store", BASE)  # ontology and schemes for the SHACL check
    publish(store, tmp, "Zwaluwnesten", "Swallow nests")
    with kiemen_server(store, KIEMEN_AUTO_DUMPS="0") as url:
        yield url, store, tmp


def get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers=headers, timeout=30)


def warm(url: str, **headers: str) -> requests.Response:
    """Request until the answer comes from the cache (at most a few times)."""
    for _ in range(5):
        response = get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
        if response.headers.get("X-Kiemen-Cache") == "hit":
            return response
    raise AssertionError(f"{url} never came from the cache")


def test_hit_equals_fresh_answer_and_keeps_per_caller_headers(site) -> None:  # type: ignore[no-untyped-def]
    url = site[0]
    paths = (PAGE, "/", "/api/initiatives", SEARCH, "/.well-known/void", "/data/initiative/x.ttl")
    for path in paths:
        first = get(url + path)
        assert first.status_code == 200, path
        assert first.headers.get("X-Kiemen-Cache") in ("miss", "hit"), path
        hit = warm(url + path)
        assert hit.content == first.content, path
        for name in ("Content-Type", "ETag", "Content-Security-Policy", "Vary"):
            assert hit.headers.get(name) == first.headers.get(name), (path, name)
        assert "nonce-" not in hit.headers["Content-Security-Policy"]
        assert get(url + path, **{"If-None-Match": hit.headers["ETag"]}).status_code == 304
        head = requests.head(url + path, timeout=30)
        assert head.headers["X-Kiemen-Cache"] == "hit" and not head.content, path
        assert head.headers["Content-Length"] == str(len(first.content)), path
    # the language cookie is per caller: set fresh on a hit too, never kept in the cache
    warm(url + PAGE + "?lang=en", Cookie="kiemen_lang=en")
    chosen = get(url + PAGE + "?lang=en")
    assert chosen.headers["X-Kiemen-Cache"] == "hit"
    assert "kiemen_lang=en" in chosen.headers["Set-Cookie"]


def test_a_new_generation_is_never_served_from_the_old_cache(site) -> None:  # type: ignore[no-untyped-def]
    url, store, tmp = site
    paths = (SEARCH, PAGE, "/api/search?q=zwaluwnesten", "/data/initiative/x.ttl", "/")
    old = {p: warm(url + p) for p in paths}
    for p in paths[:4]:
        assert "Zwaluwnesten" in old[p].text, p

    # readers hammer the same URLs while a writer publishes; once the publish has returned,
    # no answer may show the old generation
    published = threading.Event()
    stale: list[str] = []
    stop = time.monotonic() + 60

    def reader() -> None:
        with requests.Session() as session:
            while time.monotonic() < stop:
                after = published.is_set()
                for p in paths[:4]:
                    text = session.get(url + p, timeout=30).text
                    if after and "Zwaluwnesten" in text:
                        stale.append(p)
                if after:
                    return

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    publish(store, tmp, "Egelpaden", "Hedgehog paths")
    published.set()
    for t in threads:
        t.join(timeout=90)
    assert stale == []

    for p in paths:
        fresh = get(url + p, **{"If-None-Match": old[p].headers["ETag"]})
        assert fresh.status_code == 200, p
        assert fresh.headers["ETag"] != old[p].headers["ETag"], p
        assert "Zwaluwnesten" not in fresh.text, p
        hit = warm(url + p)
        assert hit.content == fresh.content and "Zwaluwnesten" not in hit.text, p
    assert "Egelpaden" in get(url + PAGE).text
    assert "Egelpaden" in get(url + "/data/initiative/x.ttl").text
    # the search for the old name now finds nothing, from the cache too
    assert "/page/initiative/x" not in warm(url + SEARCH).text


def test_language_accept_and_address_are_part_of_the_key(site) -> None:  # type: ignore[no-untyped-def]
    url = site[0]
    nl = warm(url + PAGE + "?lang=nl")
    en = warm(url + PAGE + "?lang=en")
    assert nl.headers["Content-Language"] == "nl" and en.headers["Content-Language"] == "en"
    assert nl.content != en.content
    by_cookie = warm(url + PAGE, Cookie="kiemen_lang=en")
    by_header = warm(url + PAGE, **{"Accept-Language": "en-GB,en;q=0.9"})
    dutch = warm(url + PAGE, **{"Accept-Language": "nl"})
    assert by_cookie.headers["Content-Language"] == by_header.headers["Content-Language"] == "en"
    assert dutch.headers["Content-Language"] == "nl"
    assert by_header.content != dutch.content

    turtle = warm(url + "/.well-known/void", Accept="text/turtle")
    jsonld = warm(url + "/.well-known/void", Accept="application/ld+json")
    html = warm(url + "/.well-known/void", Accept="text/html")
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    assert jsonld.headers["Content-Type"].startswith("application/ld+json")
    assert html.headers["Content-Type"].startswith("text/html")

    # data documents name the address being served: a second host gets its own answer
    port = url.rsplit(":", 1)[1]
    here = warm(url + "/.well-known/void", Accept="text/turtle")
    there = warm(f"http://localhost:{port}/.well-known/void", Accept="text/turtle")
    assert f"127.0.0.1:{port}" in here.text and f"127.0.0.1:{port}" not in there.text
    assert f"localhost:{port}" in there.text


def test_what_depends_on_the_caller_is_never_cached(site) -> None:  # type: ignore[no-untyped-def]
    url = site[0]
    query = "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"
    for path, headers in (
        (query, {"Accept": "application/sparql-results+json"}),
        ("/publish", {}),
        ("/store?default", {"Accept": "text/turtle"}),
        ("/healthz", {}),
        ("/nope", {}),
        ("/api/initiatives?form=nope", {}),
        (PAGE, {"Authorization": "Bearer kiemen_not_a_token"}),
        (PAGE, {"Cookie": "session=abc"}),
    ):
        for _ in range(3):
            response = get(url + path, **headers)
            assert response.headers.get("X-Kiemen-Cache") != "hit", (path, headers)
    # an error is never kept: the same URL keeps missing
    assert get(url + "/page/initiative/nope").status_code == 404
    assert get(url + "/page/initiative/nope").headers.get("X-Kiemen-Cache") != "hit"


def test_cache_off_with_zero_megabytes(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = site[1]
    with kiemen_server(store, KIEMEN_AUTO_DUMPS="0", KIEMEN_PAGE_CACHE_MB="0") as url:
        for _ in range(3):
            response = get(url + PAGE)
            assert response.status_code == 200
            assert "X-Kiemen-Cache" not in response.headers
            assert "ETag" in response.headers  # validators and 304 stay


def entry(n: int) -> Entry:
    return Entry(200, (("Content-Type", "text/plain"),), b"x" * n)


def test_memory_bound_lru_and_one_state_at_a_time() -> None:
    cache = PageCache(16 * 4096)
    one, two = ("gen-1", 0), ("gen-2", 0)
    assert not cache.put(one, "huge", entry(4096 + 1))  # over a sixteenth of the budget
    for i in range(40):
        assert cache.put(one, f"k{i}", entry(3000))
        cache.get(one, "k0")  # k0 stays the most recently used
    assert cache.bytes <= cache.max_bytes
    assert cache.get(one, "k0") is not None and cache.get(one, "k1") is None
    assert len(cache) == cache.max_bytes // (3000 + OVERHEAD + len("Content-Type") + 10)
    assert cache.get(two, "k0") is None  # another state never reads the old entries
    assert cache.put(two, "k0", entry(10))
    assert len(cache) == 1 and cache.get(one, "k0") is None
    assert PageCache(0).enabled is False
