"""Search that never fails and finds what people mean (issue #17 item 1).

Arbitrary text at the three entry points (``/search``, ``/browse?q=``, ``/api/search``) never
gives a 5xx; operators work when well-formed and are words otherwise; hyphens, compounds and
punctuation are normalised the same way at index and query time; one Dutch stemmer; a
correction is announced; a search without results suggests one that has some.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.indexes import search
from core.indexes.search import SearchDoc, normalise, parse, stem_nl

ENTRY_POINTS = ("/search", "/browse", "/api/search")
#: Text that looks like query syntax, mixed into the arbitrary strings.
SYNTAX = st.sampled_from(
    [
        "AND",
        "OR",
        "NOT",
        "-",
        "+",
        '"',
        "(",
        ")",
        ":",
        "*",
        "~",
        "^",
        "[",
        "]",
        "{",
        "}",
        "\\",
        "IN",
        "TO",
        "title:",
        "-x",
        "a-",
        "--",
        "'",
        "’",
        "\x00",
        " ",
        "clean-up",
        "riot",
    ]
)
QUERIES = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(SYNTAX, st.text(max_size=8)), max_size=12).map(" ".join),
    st.lists(SYNTAX, max_size=12).map("".join),
)


def api(client: Any, q: str, **extra: str) -> dict[str, Any]:
    response = client.get("/api/search", query_string={"q": q, **extra})
    assert response.status_code == 200, response.get_data(as_text=True)
    data: dict[str, Any] = response.get_json()
    return data


def iris(data: dict[str, Any]) -> set[str]:
    return {r["iri"] for r in data["rows"]}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=QUERIES, where=st.sampled_from(ENTRY_POINTS))
def test_no_input_makes_a_server_error(client, q: str, where: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(where, query_string={"q": q})
    assert response.status_code < 500, (where, q, response.get_data(as_text=True)[:300])
    if where == "/api/search":
        body = response.get_json()
        assert body["ok"] is (response.status_code == 200)


@pytest.mark.parametrize(
    "url",
    [
        "/search?q=crowdsourcing AND overheid",
        "/browse?q=AND",
        "/api/search?q=OR",
        "/search?q=NOT",
        "/api/search?q=a OR",
        '/search?q="unclosed phrase',
        "/browse?q=-",
    ],
)
def test_the_reported_crashes_answer(client, url: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(url).status_code == 200


def test_live_server_survives_query_syntax(live_server: str) -> None:
    import requests

    for where in ENTRY_POINTS:
        for q in ("AND", "OR", "crowdsourcing AND overheid", 'x:"(', "NOT NOT -"):
            response = requests.get(live_server + where, params={"q": q}, timeout=30)
            assert response.status_code == 200, (where, q)


def test_operators_when_well_formed(client) -> None:  # type: ignore[no-untyped-def]
    one, other = (
        iris(api(client, "oldebroek", _size="100")),
        iris(api(client, "leusden", _size="100")),
    )
    assert one and other and not one & other
    assert iris(api(client, "oldebroek OR leusden", _size="100")) == one | other
    both = iris(api(client, "crowdsourcing AND overheid", _size="100"))
    assert both and both == iris(api(client, "crowdsourcing overheid", _size="100"))
    assert both <= iris(api(client, "crowdsourcing", _size="100"))
    without = iris(api(client, "oldebroek -gelderland", _size="100"))
    assert without and without < one
    assert without == iris(api(client, "oldebroek NOT gelderland", _size="100"))
    # Operators without operands are words: "AND" finds texts with "and" in them.
    assert api(client, "AND")["count"] == api(client, "and")["count"] > 0


def test_parse_reads_operators_only_where_well_formed() -> None:
    parsed = parse("a OR b -c NOT d")
    assert [[o.words for o in g] for g in parsed.groups] == [[["a"], ["b"]]]
    assert [o.words for o in parsed.excluded] == [["c"], ["d"]]
    assert [[o.words for o in g] for g in parse("OR AND NOT").groups] == [
        [["or"]],
        [["and"]],
        [["not"]],
    ]
    assert [[o.words for o in g] for g in parse("-alone").groups] == [[["alone"]]]
    assert parse('"riot clean-up" x').groups[0][0].words == ["riot", "cleanup"]
    assert sum(len(o.words) for g in parse("w " * 100).groups for o in g) == search.MAX_QUERY_WORDS


def test_normalise_joins_compounds_and_drops_punctuation() -> None:
    assert normalise("Riot Clean-up!") == "riot cleanup"
    assert normalise("riot clean‐up") == normalise("RIOT CLEANUP")
    assert normalise("Coöperatie, auto's; 2019–2020") == "cooperatie autos 2019 2020"
    assert normalise("  «»  ") == ""
    assert list(search.index_words("clean-up")) == ["cleanup", "clean", "up"]


def _fold_by_definition(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_fold_is_the_unicode_definition_for_any_text(text: str) -> None:
    """fold() takes a shortcut for ASCII text (the index build's hot loop): same answer."""
    assert search.fold(text) == _fold_by_definition(text)


def test_fold_shortcut_lowercases_ascii() -> None:
    assert search.fold("Riot CLEAN-up") == "riot clean-up"
    assert search.fold("Coöperatie") == "cooperatie"


def test_words_computed_once_give_the_same_document_and_vocabulary() -> None:
    d = SearchDoc(
        "https://example.org/id/x",
        "initiative",
        3,
        {"nl": "Coöperatie Clean-up", "en": "Riot clean-up"},
        {"nl": "Buurt-initiatieven in Groningen", "en": "auto's"},
        ["Groningen", "Zorg & welzijn"],
    )
    words = search.words_of(d)
    assert search.doc_words(d, words) == search.doc_words(d)
    assert "cooperatie" in search.doc_words(d) and "cleanup" in search.doc_words(d)
    assert search.document(d, words=words).to_dict() == search.document(d).to_dict()


def test_hyphens_and_compounds_meet(client) -> None:  # type: ignore[no-untyped-def]
    hyphen = iris(api(client, "riot clean-up", kind="initiative"))
    assert len(hyphen) == 1
    assert iris(api(client, "riot cleanup", kind="initiative")) == hyphen
    assert hyphen <= iris(api(client, "cleanup", kind="initiative"))
    assert hyphen <= iris(api(client, "clean up", kind="initiative"))
    assert hyphen <= iris(api(client, "Riot, clean-up.", kind="initiative"))


def test_one_dutch_stemmer_for_index_and_query(client) -> None:  # type: ignore[no-untyped-def]
    forms = ("faciliteert", "faciliteren", "faciliteerde", "gefaciliteerd")
    assert len({stem_nl(w) for w in forms[:3]}) == 1
    assert stem_nl("buurtinitiatief") == stem_nl("buurtinitiatieven")
    assert stem_nl("overheden") == stem_nl("overheid") != stem_nl("over")
    assert stem_nl("gelderland").startswith("gelderland")  # no "ge-" stripped
    found = [iris(api(client, w, kind="initiative", _size="100")) for w in forms[:2]]
    assert found[0] and found[0] == found[1]


def test_the_index_normalises_what_it_stores(tmp_path: Path) -> None:
    target = tmp_path / "text"
    docs = [
        SearchDoc(
            "urn:x:1", "initiative", 0, {"en": "Riot clean-up"}, {"nl": "Bewoners faciliteren"}
        ),
        SearchDoc("urn:x:2", "initiative", 1, {"nl": "Overheden"}, {}, related=["Oost-Gelderland"]),
    ]
    assert search.build(docs, target) == 2
    index = search.TextIndex(target)
    for q in ("cleanup", "riot cleanup", "clean up", "faciliteert bewoner"):
        assert [h.iri for h in index.search(q, "nl").hits] == ["urn:x:1"], q
    assert [h.iri for h in index.search("oostgelderland", "nl").hits] == ["urn:x:2"]
    assert [h.iri for h in index.search("overheid", "nl").hits] == ["urn:x:2"]
    snippet = index.search("faciliteert", "nl").hits[0].snippet
    assert "<mark>faciliteren</mark>" in snippet.lower()


def test_a_correction_is_announced(client) -> None:  # type: ignore[no-untyped-def]
    data = api(client, "Oldebrok")
    assert data["count"] >= 1 and data["corrected"] == "oldebroek"
    assert iris(data) == iris(api(client, "Oldebroek"))
    assert api(client, "Oldebroek")["corrected"] is None
    html = client.get("/search?q=Oldebrok&lang=en").get_data(as_text=True)
    assert "Showing results for ‘oldebroek’" in html and "exact=1" in html
    nl = client.get("/search?q=Oldebrok&lang=nl").get_data(as_text=True)
    assert "Resultaten voor ‘oldebroek’" in nl
    exact = api(client, "Oldebrok", exact="1")
    assert exact["corrected"] is None


def test_no_results_suggest_searches_that_have_some(client) -> None:  # type: ignore[no-untyped-def]
    data = api(client, "gelderland qxzvwq")
    assert data["count"] == 0
    assert "gelderland" in data["suggestions"]
    assert api(client, data["suggestions"][0])["count"] > 0
    html = client.get("/search?q=gelderland+qxzvwq&lang=en").get_data(as_text=True)
    assert 'id="suggestions"' in html and "q=gelderland" in html
    assert api(client, "gelderland")["suggestions"] == []


def test_browse_announces_a_correction_too(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/browse?q=Oldebrok&lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="corrected"' in html and "oldebroek" in html
    assert 'id="corrected"' not in client.get("/browse?q=Oldebroek&lang=en").get_data(as_text=True)
