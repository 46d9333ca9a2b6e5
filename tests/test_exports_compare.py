"""Export and compare (issue #17 item 7): a browse selection or search result downloads as
CSV, JSON, GeoJSON and Turtle with the same initiatives, in the same order, as the page; the
compare view puts two to four initiatives side by side; the timeline follows the facets."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pyoxigraph as ox
import pytest

KM = "https://w3id.org/kiemen/def/"


def page_iris(client: Any, query: str) -> list[str]:
    """Every initiative the browse page lists for ``query``, page after page, in order."""
    out: list[str] = []
    page = 1
    while True:
        html = client.get(f"/browse?{query}&page={page}&lang=en").get_data(as_text=True)
        found = re.findall(r'<h3><a href="/page/(initiative/[^"]+)"', html)
        out += found
        if 'rel="next"' not in html:
            return out
        page += 1


def export_iris(client: Any, path: str, query: str) -> dict[str, list[str]]:
    got: dict[str, list[str]] = {}
    for fmt in ("csv", "json", "geojson", "ttl"):
        response = client.get(f"{path}/export.{fmt}?{query}")
        assert response.status_code == 200, (fmt, response.status_code)
        assert "attachment" in response.headers["Content-Disposition"]
        body = response.get_data()
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
            got[fmt] = [r["iri"] for r in rows]
        elif fmt == "json":
            data = json.loads(body)
            assert data["ok"] and data["count"] == data["total"] and not data["truncated"]
            got[fmt] = [r["iri"] for r in data["rows"]]
        elif fmt == "geojson":
            data = json.loads(body)
            assert data["type"] == "FeatureCollection"
            for f in data["features"]:
                assert f["geometry"] is None or f["geometry"]["type"] in ("Point", "MultiPoint")
            got[fmt] = [f["id"] for f in data["features"]]
        else:
            store = ox.Store()
            store.load(body, ox.RdfFormat.TURTLE)
            subjects = {q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)}
            got[fmt] = sorted(subjects)
    return got


@pytest.mark.parametrize(
    "query", ["form=civic-initiative", "govrole=facilitating", "q=buurt", "_sort=-start", "x=1"]
)
def test_exports_hold_the_same_initiatives_as_the_page(client: Any, query: str) -> None:
    shown = page_iris(client, query)
    assert shown, query
    got = export_iris(client, "/browse", query)
    tails = {fmt: [i.split("/id/", 1)[1] for i in iris] for fmt, iris in got.items()}
    for fmt in ("csv", "json", "geojson"):
        assert tails[fmt] == shown, fmt  # same rows, same order
    assert sorted(tails["ttl"]) == sorted(shown), "Turtle: each row's own statements"


def test_search_results_export_the_same_hits(client: Any) -> None:
    api = client.get("/api/search?q=amsterdam&_size=100").get_json()
    expected = [r["iri"] for r in api["rows"]]
    got = export_iris(client, "/search", "q=amsterdam")
    assert [i.split("/id/", 1)[-1] for i in got["json"]] == [
        i.split("/id/", 1)[-1] for i in expected
    ]
    assert got["csv"] == got["json"] == got["geojson"]
    geo = json.loads(client.get("/search/export.geojson?q=amsterdam").get_data())
    assert any(f["geometry"] for f in geo["features"]), "places and initiatives carry coordinates"


def test_export_asks_for_a_known_format_and_valid_filters(client: Any) -> None:
    assert client.get("/browse/export.xlsx").status_code == 404
    assert client.get("/browse/export.csv?_sort=nope").status_code == 400
    assert client.get("/search/export.csv").status_code == 400


def test_browse_and_search_pages_link_to_every_format(client: Any) -> None:
    html = client.get("/browse?form=civic-initiative&page=1&lang=en").get_data(as_text=True)
    links = re.findall(r'href="(/browse/export\.[a-z]+[^"]*)"', html)
    assert {link.split("?")[0] for link in links} == {
        "/browse/export.csv",
        "/browse/export.json",
        "/browse/export.geojson",
        "/browse/export.ttl",
    }
    assert all("form=civic-initiative" in link and "page=" not in link for link in links)
    html = client.get("/search?q=buurt&lang=en").get_data(as_text=True)
    assert len(re.findall(r'href="/search/export\.[a-z]+\?q=buurt"', html)) == 4


def test_compare_puts_two_to_four_side_by_side(client: Any) -> None:
    html = client.get("/compare?i=gelderland-anders&i=galaxy-zoo&lang=en").get_data(as_text=True)
    table = html[html.index('<table class="compare">') :]
    head = table[: table.index("</thead>")]
    assert head.count('<th scope="col">') == 2
    assert "gelderland-anders" in head and "galaxy-zoo" in head
    for row in ("Period", "Stated", "Actors and roles", "Place", "Sources"):
        assert row.lower() in table.lower(), row
    assert client.get("/compare?i=gelderland-anders&lang=en").status_code == 200  # pick more
    assert "Choose at least 2" in client.get("/compare?i=gelderland-anders&lang=en").get_data(
        as_text=True
    )
    five = "&".join(f"i={x}" for x in ("a", "b", "c", "d", "e"))
    assert client.get(f"/compare?{five}").status_code == 400
    assert client.get("/compare?i=gelderland-anders&i=javascript:alert(1)").status_code == 400


def test_compare_offers_the_selection_it_came_from(client: Any) -> None:
    html = client.get("/compare?form=civic-initiative&lang=en").get_data(as_text=True)
    first = html[html.index('id="pick-0"') : html.index("</select>")]
    offered = re.findall(r'<option value="([^"]+)"', first)
    assert sorted(offered) == sorted(
        i.split("/", 1)[1] for i in page_iris(client, "form=civic-initiative")
    )
    assert '<input type="hidden" name="form" value="civic-initiative">' in html


def test_the_timeline_follows_the_facets(client: Any) -> None:
    def counted(query: str) -> tuple[int, int]:
        html = client.get(f"/timeline?{query}&lang=en").get_data(as_text=True)
        per_year = sum(int(n) for n in re.findall(r"</svg> (\d+)</td>", html))
        undated = re.search(r'id="undated-h">[^(]*\((\d+)\)', html)
        return per_year + (int(undated.group(1)) if undated else 0), len(page_iris(client, query))

    for query in ("x=1", "form=civic-initiative", "govrole=facilitating"):
        in_timeline, on_page = counted(query)
        assert in_timeline == on_page, query
    assert counted("form=civic-initiative")[0] < counted("x=1")[0]
