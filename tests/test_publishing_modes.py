"""Upload semantics a publisher can predict, and the licence it chose, against a running server.

A store of its own, Utrecht (GM0344) registered under CC0 with ``kiemen publisher add``, and
``kiemen serve`` on a free port. The filled-in example is published whole; then
``initiatives.csv`` alone is sent (the user's report: that removed the actors and their roles
without a word). Adding is the default and removes nothing; replacing shows the removals and
publishes only when confirmed for exactly that preview, through the API and the web form.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
import rdflib
import requests
from publishing_helpers import Server, example_files, example_text, publishing_server

pytestmark = pytest.mark.slow

CODE = "GM0344"
CC0_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
CC0_EU = rdflib.URIRef("http://publications.europa.eu/resource/authority/licence/CC0")
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"
DCT = rdflib.Namespace("http://purl.org/dc/terms/")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("modes")
    with publishing_server(tmp, {CODE: ("--licence", "cc0-1.0")}) as srv:
        yield srv


def records(server: Server) -> dict[str, int]:
    rows = server.sparql(
        f"""PREFIX km: <{server.base}def/>
        SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{server.graph(CODE)}> {{
          VALUES ?c {{ km:Initiative km:Organisation km:Involvement }} ?s a ?c }} }} GROUP BY ?c"""
    )
    return {r["c"].rsplit("/", 1)[-1]: int(r["n"]) for r in rows}


def initiatives_only(rename: str = "") -> dict[str, tuple[str, io.BytesIO, str]]:
    text = example_text("initiatives")
    if rename:
        text = text.replace("Buurtmoestuin De Kweekbak", rename)
    return {"initiatives": ("initiatives.csv", io.BytesIO(text.encode("utf-8")), "text/csv")}


def api(server: Server, path: str, files: dict[str, object], **params: str) -> requests.Response:
    return requests.post(
        f"{server.url}/publish/api/{CODE}/{path}",
        files=files,
        params=params,
        headers=server.auth(CODE),
        timeout=180,
    )


def test_initiatives_alone_removes_nothing_unless_replace_is_chosen_and_confirmed(
    server: Server,
) -> None:
    full = api(server, "versions", example_files())
    assert full.status_code == 201, full.text
    whole = records(server)
    assert whole == {"Initiative": 3, "Organisation": 3, "Involvement": 5}
    kweekbak = server.iri(CODE, "initiative/UTR-2021-014")

    # The check step previews the difference: one record changed, nothing added or removed.
    checked = api(server, "validate", initiatives_only("De Kweekbak"))
    assert checked.status_code == 200, checked.text
    preview = checked.json()["preview"]
    assert checked.json()["mode"] == "add"
    assert preview["counts"] == {"added": 0, "changed": 1, "removed": 0, "unchanged": 10}
    assert [r["iri"] for r in preview["changed"]] == [kweekbak]
    assert preview["changed"][0]["label_nl"] == "De Kweekbak"

    # Publishing it (add/update, the default) removes no record.
    added = api(server, "versions", initiatives_only("De Kweekbak"))
    assert added.status_code == 201, added.text
    assert added.json()["preview"]["counts"]["removed"] == 0
    assert records(server) == whole
    names = server.sparql(
        f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?n WHERE {{ GRAPH <{server.graph(CODE)}> {{ <{kweekbak}> skos:prefLabel ?n
          FILTER(LANG(?n) = "nl") }} }}"""
    )
    assert [r["n"] for r in names] == ["De Kweekbak"]

    # Replace without confirmation: 409 with the preview, in the standard error shape; no change.
    before = server.state()
    refused = api(server, "versions", initiatives_only(), mode="replace")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["ok"] is False and body["status"] == 409 and body["error"] and body["error_nl"]
    assert body["needs_confirmation"] is True
    removed = {r["iri"] for r in body["preview"]["removed"]}
    assert body["preview"]["counts"]["removed"] == len(removed) == 8  # 3 actors, 5 roles
    assert sum("/actor/" in i for i in removed) == 3
    assert sum("/involvement/" in i for i in removed) == 5
    assert [r["iri"] for r in body["preview"]["changed"]] == [kweekbak]  # the name goes back
    assert server.state() == before
    # A confirmation for another preview is no confirmation.
    stale = api(server, "versions", initiatives_only(), mode="replace", confirm="true", expect="0")
    assert stale.status_code == 409, stale.text
    assert server.state() == before
    # Confirmed for exactly this preview: the records the upload does not mention go.
    digest = body["preview"]["digest"]
    done = api(
        server, "versions", initiatives_only(), mode="replace", confirm="true", expect=digest
    )
    assert done.status_code == 201, done.text
    assert done.json()["preview"]["counts"]["removed"] == 8
    assert records(server) == {"Initiative": 3}

    # An unknown mode is refused as bad input.
    odd = api(server, "validate", initiatives_only(), mode="overwrite")
    assert odd.status_code == 400 and odd.json()["status"] == 400


def form(server: Server, fields: dict[str, str], files: object = None) -> requests.Response:
    return requests.post(
        f"{server.url}/publish/upload?lang=en",
        data={"token": server.tokens[CODE], **fields},
        files=files,
        timeout=180,
    )


def test_the_web_form_previews_and_asks_to_confirm_a_replace(server: Server) -> None:
    full = api(server, "versions", example_files(), mode="replace", confirm="true")
    assert full.status_code == 201, full.text
    whole = records(server)
    assert whole == {"Initiative": 3, "Organisation": 3, "Involvement": 5}
    csv = [("files", ("initiatives.csv", example_text("initiatives").encode(), "text/csv"))]

    # Check with replace: the preview lists the records that would go; nothing published.
    checked = form(server, {"action": "check", "mode": "replace"}, csv)
    assert checked.status_code == 200, checked.text
    assert 'id="preview-h"' in checked.text
    assert re.search(r'id="count-removed">8<', checked.text)
    assert server.iri(CODE, "involvement/") in checked.text
    assert records(server) == whole

    # Publish with add (the form's default): nothing removed.
    added = form(server, {"action": "publish"}, csv)
    assert added.status_code == 200, added.text
    assert re.search(r'id="count-removed">0<', added.text)
    assert records(server) == whole

    # Publish with replace: a second step with the preview and a form to confirm.
    before = server.state()
    asked = form(server, {"action": "publish", "mode": "replace"}, csv)
    assert asked.status_code == 409, asked.text
    assert 'id="confirm-h"' in asked.text
    assert server.tokens[CODE] not in asked.text  # the token is asked again, never echoed
    pending = re.search(r'name="pending" value="([0-9a-f]{32})"', asked.text)
    expect = re.search(r'name="expect" value="([0-9a-f]{64})"', asked.text)
    assert pending and expect
    assert server.state() == before
    # Without ticking the confirmation, the second step asks again and publishes nothing.
    again = form(server, {"action": "publish", "mode": "replace", "pending": pending[1]})
    assert again.status_code == 409 and server.state() == before
    pending = re.search(r'name="pending" value="([0-9a-f]{32})"', again.text)
    assert pending
    confirmed = form(
        server,
        {
            "action": "publish",
            "mode": "replace",
            "pending": pending[1],
            "expect": expect[1],
            "confirm": "1",
        },
    )
    assert confirmed.status_code == 200, confirmed.text
    assert re.search(r'id="count-removed">8<', confirmed.text)
    assert records(server) == {"Initiative": 3}
    # The kept upload is gone once used.
    reused = form(server, {"action": "publish", "mode": "add", "pending": pending[1]})
    assert reused.status_code == 410


def test_a_cc0_publisher_states_cc0_on_pages_documents_headers_and_catalogue(
    server: Server,
) -> None:
    published = api(server, "versions", example_files())
    assert published.status_code == 201, published.text
    path = f"publishers/{CODE}/initiative/UTR-2021-014"

    page = requests.get(f"{server.url}/page/{path}?lang=en", timeout=60)
    assert page.status_code == 200
    assert f'<{CC0_URL}>; rel="license"' in page.headers["Link"]
    assert CC_BY_URL not in page.headers["Link"]
    assert f'<link rel="license" href="{CC0_URL}">' in page.text
    assert "Data under Creative Commons Zero 1.0 (CC0 1.0)." in page.text  # the footer
    assert f'"license": "{CC0_URL}"' in page.text  # schema.org
    assert "CC BY" not in page.text

    own = requests.get(f"{server.url}/publish/{CODE}?lang=en", timeout=60)
    assert "Data under Creative Commons Zero 1.0 (CC0 1.0)." in own.text  # the publisher's page

    for ext in ("ttl", "jsonld", "nt"):
        doc = requests.get(f"{server.url}/data/{path}.{ext}", timeout=60)
        assert doc.status_code == 200
        assert doc.headers["Link"].startswith(f'<{CC0_URL}>; rel="license"')

    catalogue = rdflib.Graph().parse(
        data=requests.get(f"{server.url}/catalog?format=ttl", timeout=60).text, format="turtle"
    )
    graph = rdflib.URIRef(server.graph(CODE))
    assert set(catalogue.objects(graph, DCT.license)) == {CC0_EU}
    for dist in catalogue.objects(graph, rdflib.URIRef("http://www.w3.org/ns/dcat#distribution")):
        assert set(catalogue.objects(dist, DCT.license)) == {CC0_EU}
    void = rdflib.Graph().parse(
        data=requests.get(f"{server.url}/.well-known/void?format=ttl", timeout=60).text,
        format="turtle",
    )
    assert set(void.objects(graph, DCT.license)) == {CC0_EU}

    # Kiemen's own records keep Kiemen's licence (so the test above can fail).
    other = server.sparql(
        f"""PREFIX km: <{server.base}def/>
        SELECT ?i WHERE {{ GRAPH ?g {{ ?i a km:Initiative }}
          FILTER(!STRSTARTS(STR(?g), "{server.base}graph/publishers/")) }} LIMIT 1"""
    )[0]["i"]
    theirs = requests.get(f"{server.url}/page/{other[len(server.base) + 3 :]}", timeout=60)
    assert theirs.status_code == 200
    assert f'<{CC_BY_URL}>; rel="license"' in theirs.headers["Link"]
