"""ETag / Last-Modified tied to the store generation and 304 answers (issue #17 item 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

PATHS = [
    "/",
    "/browse",
    "/search?q=gelderland",
    "/api/initiatives",
    "/def/",
    "/api",
    "/.well-known/void",
]


@pytest.mark.parametrize("path", PATHS)
def test_pages_and_data_answer_conditional_requests(client, path: str) -> None:  # type: ignore[no-untyped-def]
    first = client.get(path)
    assert first.status_code == 200
    tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert tag.startswith('W/"')
    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["ETag"] == tag and not again.data
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_the_tag_follows_language_and_format(client) -> None:  # type: ignore[no-untyped-def]
    nl = client.get("/?lang=nl").headers["ETag"]
    en = client.get("/?lang=en").headers["ETag"]
    assert nl != en
    page = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    data = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert page.headers["ETag"] != data.headers["ETag"]
    assert "Accept" in page.headers["Vary"]
    stale = client.get(
        "/.well-known/void",
        headers={"Accept": "application/ld+json", "If-None-Match": page.headers["ETag"]},
    )
    assert stale.status_code == 200


def test_errors_and_sparql_get_no_validators(client) -> None:  # type: ignore[no-untyped-def]
    assert "ETag" not in client.get("/nope").headers
    assert "ETag" not in client.get("/api/initiatives?form=nope").headers


def test_a_new_generation_never_gets_an_old_etag(empty_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from core.store import KiemenStore
    from loaders import load
    from loaders.base import Source
    from portal.app import create_app

    kstore = KiemenStore(empty_settings)
    base = empty_settings.base_uri
    data = tmp_path / "one.nt"

    def publish(name: str) -> None:
        x = f"<{base}id/initiative/x>"
        rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
        label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
        data.write_text(f'{x} {rdf_type} <{base}def/Initiative> .\n{x} {label} "{name}"@nl .\n')
        load(kstore, [Source(str(data), graph="test")], validate=False)

    publish("Zwaluwnesten")
    client = create_app(empty_settings).test_client()
    before: dict[str, Any] = {}
    for path in ("/", "/api/initiatives", "/search?q=zwaluwnesten"):
        response = client.get(path)
        assert response.status_code == 200, path
        before[path] = response.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 304
    publish("Egelpaden")
    for path, tag in before.items():
        response = client.get(path, headers={"If-None-Match": tag})
        assert response.status_code == 200, path
        assert response.headers["ETag"] != tag
    assert "Egelpaden" in client.get("/api/initiatives").get_data(as_text=True)


def test_live_server_answers_304(live_server: str) -> None:
    import requests

    first = requests.get(live_server + "/browse", timeout=30)
    second = requests.get(
        live_server + "/browse", headers={"If-None-Match": first.headers["ETag"]}, timeout=30
    )
    assert second.status_code == 304
