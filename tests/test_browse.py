"""The faceted browser: lists, facets that combine, paging at any depth, the SPARQL behind it."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from core.store import solutions_to_rows
from portal import listing


def api(client: Any, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["ok"] is True
    return data


def all_rows(client: Any, url: str) -> list[dict[str, Any]]:
    """Every row of a list, following next_url from page to page."""
    rows: list[dict[str, Any]] = []
    data = api(client, url)
    rows += data["rows"]
    while data["next_url"]:
        parts = urlsplit(data["next_url"])
        data = api(client, parts.path + "?" + parts.query)
        rows += data["rows"]
    return rows


def sparql_rows(kstore: Any, name: str, params: dict[str, list[str]]) -> list[dict[str, Any]]:
    text = listing.bind_many(kstore.settings, name, params)
    return solutions_to_rows(kstore.query(text))


def test_browser_lists_every_initiative(client, kstore) -> None:  # type: ignore[no-untyped-def]
    expected = {r["initiative"] for r in sparql_rows(kstore, "browse-initiatives", {})}
    assert len(expected) >= 30
    data = api(client, "/api/initiatives?_size=500")
    assert data["count"] == len(expected)
    assert {r["iri"] for r in data["rows"]} == expected
    html = client.get("/browse?lang=nl").get_data(as_text=True)
    assert f"{len(expected)} initiatieven" in html


def _popular(data: dict[str, Any], facet: str) -> dict[str, Any]:
    results = data["facet_results"][facet]["results"]
    assert results, f"facet {facet} has no values"
    return results[0]


@pytest.mark.parametrize(
    "first,second", [("form", "municipality"), ("theme", "province"), ("govrole", "actortype")]
)
def test_combined_facets_match_the_sparql(client, kstore, first: str, second: str) -> None:  # type: ignore[no-untyped-def]
    start = api(client, "/api/initiatives?_size=1")
    a = _popular(start, first)
    step = api(client, f"/api/initiatives?_size=1&{first}={a['token']}")
    assert step["count"] == a["count"]
    b = _popular(step, second)
    url = f"/api/initiatives?_size=500&{first}={a['token']}&{second}={b['token']}"
    data = api(client, url)
    assert data["count"] == b["count"] <= a["count"]
    expected = sparql_rows(
        kstore, "browse-initiatives", {first: [a["value"]], second: [b["value"]]}
    )
    assert {r["iri"] for r in data["rows"]} == {r["initiative"] for r in expected}
    # Every facet's counts equal the SPARQL facet query with the other facets bound.
    for facet in ("form", "theme", "period", first, second):
        others = {k: [v["value"]] for k, v in ((first, a), (second, b)) if k != facet}
        want = {
            str(r["value"]): r["count"]
            for r in sparql_rows(kstore, f"browse-facet-{facet}", others)
        }
        got = {
            r["value"]: r["count"] for r in data["facet_results"][facet]["results"] if r["count"]
        }
        shown = data["facet_results"][facet]["truncated"]
        assert got == want if not shown else set(got.items()) <= set(want.items()), facet


def test_values_within_a_facet_are_alternatives(client) -> None:  # type: ignore[no-untyped-def]
    start = api(client, "/api/initiatives?_size=1")
    one, two = start["facet_results"]["form"]["results"][:2]
    a = api(client, f"/api/initiatives?_size=500&form={one['token']}")
    b = api(client, f"/api/initiatives?_size=500&form={two['token']}")
    both = api(client, f"/api/initiatives?_size=500&form={one['token']}&form={two['token']}")
    assert {r["iri"] for r in both["rows"]} == {r["iri"] for r in a["rows"] + b["rows"]}
    # The chosen facet keeps counting its other values (what choosing them would add).
    counts = {r["token"]: r["count"] for r in a["facet_results"]["form"]["results"]}
    assert counts[two["token"]] == two["count"]
    selected = [r for r in both["facet_results"]["form"]["results"] if r["selected"]]
    assert {r["token"] for r in selected} == {one["token"], two["token"]}


def test_keyset_paging_walks_the_whole_sorted_list(client) -> None:  # type: ignore[no-untyped-def]
    full = api(client, "/api/initiatives?_size=500&_lang=nl")["rows"]
    walked = all_rows(client, "/api/initiatives?_size=7&_lang=nl")
    assert [r["iri"] for r in walked] == [r["iri"] for r in full]
    keys = [listing.facets.sort_text(r["label"]) for r in walked]
    assert keys == sorted(keys)
    page3 = api(client, "/api/initiatives?_size=7&page=3&_lang=nl")["rows"]
    assert [r["iri"] for r in page3] == [r["iri"] for r in full[14:21]]


def test_sort_by_start_date(client) -> None:  # type: ignore[no-untyped-def]
    rows = api(client, "/api/initiatives?_size=500&_sort=start")["rows"]
    dated = [r["start"] for r in rows if r["start"]]
    assert dated == sorted(dated) and dated
    assert all(r["start"] for r in rows[: len(dated)]), "undated initiatives come last"
    newest = api(client, "/api/initiatives?_size=500&_sort=-start")["rows"]
    assert [r["start"] for r in newest if r["start"]] == sorted(dated, reverse=True)


def test_show_the_sparql_opens_the_query_that_gives_the_list(client, kstore) -> None:  # type: ignore[no-untyped-def]
    start = api(client, "/api/initiatives?_size=1")
    theme = _popular(start, "theme")
    data = api(client, f"/api/initiatives?_size=500&theme={theme['token']}")
    for link in [data["sparql_url"], *(f["sparql_url"] for f in data["facet_results"].values())]:
        response = client.get(link)
        assert response.status_code == 303
        location = response.headers["Location"]
        assert location.startswith("/sparql?query=")
        text = unquote(location[len("/sparql?query=") :])
        assert text.startswith("# title:")
        if "/browse-initiatives?" in link:
            assert f"VALUES ?theme {{ <{theme['value']}> }}" in text
            rows = solutions_to_rows(kstore.query(text))
            assert {r["initiative"] for r in rows} == {r["iri"] for r in data["rows"]}
    html = client.get(f"/browse?theme={theme['token']}").get_data(as_text=True)
    assert html.count("/browse/sparql/browse-facet-") >= 5
    assert "/browse/sparql/browse-initiatives?" in html


def test_facet_toggle_links_and_chosen_filters_in_html(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/browse?lang=en").get_data(as_text=True)
    for key in (
        "Collaboration form",
        "Government role",
        "Actor type",
        "Theme",
        "Province",
        "Municipality",
        "Start year",
        "Channel",
        "Source document",
    ):
        assert key in html
    start = api(client, "/api/initiatives?_size=1")
    m = _popular(start, "municipality")
    html = client.get(f"/browse?lang=en&municipality={m['token']}").get_data(as_text=True)
    assert 'aria-current="true"' in html and "Remove filter" in html
    assert f"{m['count']} initiative" in html


def test_bad_parameters_answer_in_the_error_shape(client) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/api/initiatives?_size=0",
        "/api/initiatives?_sort=colour",
        "/api/initiatives?page=x",
        "/api/initiatives?_next=abc",
    ):
        response = client.get(url)
        assert response.status_code == 400
        body = response.get_json()
        assert body["ok"] is False and body["status"] == 400 and body["error"]
    assert client.get("/browse?_size=-1").status_code == 400


def test_unknown_facet_values_are_refused_with_the_valid_ones(client) -> None:  # type: ignore[no-untyped-def]
    # Issue #17: an unknown value used to be dropped silently and showed everything.
    response = client.get("/api/initiatives?form=no-such-form")
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False and "no-such-form" in body["error"] and body["valid_values"]


def test_map_groups_the_same_result_by_place(client) -> None:  # type: ignore[no-untyped-def]
    start = api(client, "/api/initiatives?_size=1")
    province = _popular(start, "province")
    points = api(client, f"/api/map?province={province['token']}")["rows"]
    assert points
    for p in points:
        assert -90 <= p["lat"] <= 90 and -180 <= p["long"] <= 180 and p["count"] >= 1
    listed = api(client, f"/api/initiatives?_size=500&province={province['token']}")
    shown = {i["iri"] for p in points for i in p["initiatives"]}
    assert shown <= {r["iri"] for r in listed["rows"]}


def test_network_filters_by_form_and_role(client) -> None:  # type: ignore[no-untyped-def]
    data = api(client, "/api/network")
    assert data["rows"] and data["nodes"]
    form = _popular(api(client, "/api/initiatives?_size=1"), "form")
    filtered = api(client, f"/api/network?form={form['token']}")
    with_form = {
        r["iri"] for r in api(client, f"/api/initiatives?_size=500&form={form['token']}")["rows"]
    }
    assert filtered["rows"] and {e["target"] for e in filtered["rows"]} <= with_form
    role = filtered["rows"][0]["roles"][0]
    token = role.rstrip("/").rsplit("/", 1)[-1]
    by_role = api(client, f"/api/network?role={token}")
    assert by_role["rows"] and all(role in e["roles"] for e in by_role["rows"])
    html = client.get(f"/network?form={form['token']}&lang=en").get_data(as_text=True)
    assert "<table>" in html and "Network of actors and initiatives" in html


def test_home_shows_counts_ways_in_and_the_picture(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/?lang=en").get_data(as_text=True)
    assert 'role="group"' in html and "<svg" in html
    assert "own initiative and control" in html and "jointness" in html
    assert html.count('class="ini"') >= 20  # the initiatives placed in the picture
    assert "/browse?form=" in html and "/browse?govrole=" in html and "/browse?theme=" in html
    assert "/browse?province=" in html or "/browse?municipality=" in html
    assert "initiatives" in html and "By collaboration form" in html


def test_citations_of_an_initiative_and_the_dataset(client, kstore) -> None:  # type: ignore[no-untyped-def]
    import json

    row = api(client, "/api/initiatives?_size=1")["rows"][0]
    path = row["iri"][len(kstore.settings.id_ns) :]
    bib = client.get(f"/cite/{path}.bib")
    assert bib.status_code == 200 and bib.mimetype == "application/x-bibtex"
    text = bib.get_data(as_text=True)
    assert text.startswith("@misc{") and row["iri"] in text
    ris = client.get(f"/cite/{path}.ris").get_data(as_text=True)
    assert "TY  - DBASE" in ris and f"UR  - {row['iri']}" in ris and ris.rstrip().endswith("ER  -")
    csl = json.loads(client.get(f"/cite/{path}.json").get_data(as_text=True))
    assert csl[0]["type"] == "dataset" and csl[0]["URL"] == row["iri"]
    dataset = client.get("/cite/dataset.bib").get_data(as_text=True)
    assert dataset.startswith("@dataset{") and kstore.settings.base_uri in dataset
    assert client.get("/cite/initiative/no-such-thing.bib").status_code == 404
    assert client.get(f"/cite/{path}.doc").status_code == 404


def test_a_store_never_loaded_says_so(empty_settings) -> None:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    app = create_app(empty_settings)
    client = app.test_client()
    home = client.get("/?lang=en")
    assert home.status_code == 200 and "kiemen load" in home.get_data(as_text=True)
    assert client.get("/browse").status_code == 503
    error = client.get("/api/initiatives")
    assert error.status_code == 503
    assert error.get_json()["ok"] is False and "kiemen load" in error.get_json()["error"]
