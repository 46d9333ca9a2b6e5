"""Places: the CBS list of municipalities, the place resolver and links out to GeoNames."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.messages import render
from loaders import places
from loaders.places import current_successors, resolve_place
from publishing.publishers import PublisherError, check_code, reference


def test_the_cbs_list_holds_every_municipality_and_province_of_2025() -> None:
    ref = reference()
    current = [b for b in ref.values() if b.current and b.type == "gemeente"]
    provinces = [b for b in ref.values() if b.type == "provincie"]
    assert len(current) == 342
    assert len(provinces) == 12
    assert {b.code for b in provinces} == {f"PV{n}" for n in range(20, 32)}
    for body in current:  # every current code is accepted as it is, and can be a place
        assert check_code(body.code.lower()).code == body.code
        assert ref[body.province].type == "provincie"
        assert 50.7 < float(body.lat) < 53.6 and 3.3 < float(body.long) < 7.3, body.code
    assert ref["GM1992"].name == "Voorne aan Zee" and ref["GM1992"].current
    assert ref["GM0405"].name == "Hoorn"


@pytest.mark.parametrize(
    ("code", "successor", "when"),
    [
        ("GM0017", "GM0014 \\(Groningen\\)", "2019-01-01"),
        ("GM0457", "GM0363 \\(Amsterdam\\)", "2022-03-24"),
        ("GM0398", "GM1980 \\(Dijk en Waard\\)", "2022-01-01"),
        ("GM0856", "GM1991 \\(Maashorst\\)", "2022-01-01"),
        ("GM0614", "GM1992 \\(Voorne aan Zee\\)", "2023-01-01"),
        ("GM0003", "GM1979 \\(Eemsdelta\\)", "2021-01-01"),
    ],
)
def test_a_merged_municipality_is_explained_with_its_successor(
    code: str, successor: str, when: str
) -> None:
    with pytest.raises(PublisherError) as err:
        check_code(code)
    assert re.search(f"merged into {successor} on {when}", render(err.value.text, "en"))
    assert "bestaat niet meer" in render(err.value.text, "nl")


def test_a_divided_municipality_names_every_successor() -> None:
    with pytest.raises(PublisherError) as err:
        check_code("GM0788")
    text = render(err.value.text, "en")
    assert "divided among GM0757 (Boxtel)" in text
    assert "GM0855 (Tilburg)" in text and "verdeeld over" in render(err.value.text, "nl")


def test_the_cbs_list_holds_every_municipality_that_ended_from_2010_to_2020() -> None:
    ref = reference()
    ended = [b for b in ref.values() if not b.current and "2010-01-01" <= b.ended <= "2020-12-31"]
    # RvIG's municipality table (data/reference/README.md): 115 endings besides Haren, and none
    # in 2020 (355 municipalities on 1 January 2019, 2020 and, less the 2021 mergers, 352).
    assert len(ended) == 116
    assert not [b.code for b in ended if b.ended.startswith("2020")]
    assert sum(b.current and b.type == "gemeente" for b in ref.values()) == 342
    for body in (b for b in ref.values() if not b.current):
        assert body.type == "gemeente" and body.source, body.code
        assert len(body.ended) == 10 and body.ended[4] == body.ended[7] == "-", body.code
        assert all(c in ref for c in body.successors), body.code
        now = current_successors(body.code)  # every chain of mergers ends in today's codes
        assert now and all(ref[c].current for c in now), body.code
        assert ref[body.province].type == "provincie", body.code
    facts = {  # code: (name, successor(s) as the source gives them, date, province)
        "GM0091": ("Sneek", "GM1900", "2011-01-01", "PV21"),
        "GM0600": ("Rozenburg", "GM0599", "2010-03-18", "PV28"),
        "GM0623": ("Vlist", "GM1931", "2015-01-01", "PV28"),
        "GM0860": ("Veghel", "GM1948", "2017-01-01", "PV30"),
        "GM1921": ("De Friese Meren", "GM1940", "2015-07-01", "PV21"),
        "GM0545": ("Leerdam", "GM1961", "2019-01-01", "PV28"),  # Zuid-Holland until 2019
        "GM0140": ("Littenseradiel", "GM1900;GM0080;GM1949", "2018-01-01", "PV21"),
    }
    for code, (name, successor, when, province) in facts.items():
        body = ref[code]
        assert (body.name, body.successor, body.ended, body.province) == (
            name, successor, when, province
        ), code  # fmt: skip


def test_current_successors_follow_later_mergers() -> None:
    assert current_successors("GM0265") == ["GM1945"]  # Millingen > Groesbeek > Berg en Dal
    assert current_successors("gm0055") == ["GM0080", "GM0074", "GM1940"]  # Boarnsterhim
    assert current_successors("GM1671") == ["GM0796", "GM0828"]  # Maasdonk, divided by law
    assert current_successors("GM0993") == ["GM0984", "GM1507"]  # Meerlo-Wanssum, likewise
    assert current_successors("GM0344") == ["GM0344"]
    assert current_successors("GM9999") == []


@pytest.mark.parametrize(
    ("code", "successor", "when"),
    [
        ("GM0091", "GM1900 \\(Súdwest-Fryslân\\)", "2011-01-01"),
        ("GM0499", "GM0484 \\(Alphen aan den Rijn\\)", "2014-01-01"),
        ("GM0623", "GM1931 \\(Krimpenerwaard\\)", "2015-01-01"),
        ("GM0860", "GM1948 \\(Meierijstad\\)", "2017-01-01"),
        ("GM0018", "GM1952 \\(Midden-Groningen\\)", "2018-01-01"),
        ("GM0600", "GM0599 \\(Rotterdam\\)", "2010-03-18"),
    ],
)
def test_a_municipality_merged_from_2010_to_2018_is_explained(
    code: str, successor: str, when: str
) -> None:
    with pytest.raises(PublisherError) as err:
        check_code(code)
    assert re.search(f"merged into {successor} on {when}; use GM", render(err.value.text, "en"))
    assert f"op {when} op in" in render(err.value.text, "nl")


def test_a_successor_that_ended_too_leads_to_todays_municipality() -> None:
    with pytest.raises(PublisherError) as err:
        check_code("GM0693")  # Graafstroom > Molenwaard (2013) > Molenlanden (2019)
    assert render(err.value.text, "en").endswith(
        "merged into GM1927 (Molenwaard) on 2013-01-01; "
        "GM1927 has since become GM1978 (Molenlanden); use GM1978"
    )
    nl = render(err.value.text, "nl")
    assert "GM1927 is inmiddels GM1978 (Molenlanden); gebruik GM1978" in nl
    with pytest.raises(PublisherError) as err:
        check_code("GM0055")  # Boarnsterhim, divided in 2014
    text = render(err.value.text, "en")
    assert "on 2014-01-01 it was divided among GM0080 (Leeuwarden), GM0074 (Heerenveen), " in text
    assert "GM1921 has since become GM1940 (De Fryske Marren)" in text
    assert text.endswith("(GM0080 or GM0074 or GM1940)")
    for code, among in (
        ("GM0140", "GM1900 (Súdwest-Fryslân), GM0080"),  # Littenseradiel, divided in 2018
        ("GM0053", "GM1966 (Het Hogeland), GM1969"),  # Winsum, divided in 2019
    ):
        with pytest.raises(PublisherError) as err:
            check_code(code)
        assert f"divided among {among}" in render(err.value.text, "en")


def test_an_old_name_still_resolves_to_its_own_place() -> None:
    sneek = resolve_place(ID, "Sneek")
    assert sneek is not None and sneek.cbs == "GM0091" and sneek.geonames_id == 2747063
    assert sneek.iri == f"{ID}place/cbs/GM0091"
    littens = resolve_place(ID, "Littenseradiel", province="Fryslân")
    assert littens is not None and littens.cbs == "GM0140" and littens.geonames_id is None


ID = "https://w3id.org/kiemen/id/"


def test_countries_resolve_by_iso_code_and_by_name() -> None:
    haiti = resolve_place(ID, country="ht")
    assert haiti is not None and haiti.iri == f"{ID}place/country/ht"
    assert haiti.geonames_id == 3723988 and haiti.kind == "country"
    named = resolve_place(ID, "Nederland")
    assert named is not None and named.iri == f"{ID}place/country/nl"
    assert named.geonames_id == 2750405
    assert resolve_place(ID, country="XX") is None
    assert resolve_place(ID, "") is None


def test_dutch_places_resolve_to_cbs_codes_with_their_geonames_city() -> None:
    amsterdam = resolve_place(ID, "Amsterdam", country="NL", lat=52.37, long=4.89)
    assert amsterdam is not None
    assert (amsterdam.iri, amsterdam.cbs, amsterdam.geonames_id) == (
        f"{ID}place/cbs/GM0363",
        "GM0363",
        2759794,
    )
    arnhem = resolve_place(ID, "Arnhem")
    assert arnhem is not None and (arnhem.cbs, arnhem.geonames_id) == ("GM0202", 2759661)
    assert resolve_place(ID, "Den Haag") == resolve_place(ID, "'s-Gravenhage")
    hague = resolve_place(ID, "GM0518")
    assert hague is not None and hague.rule == "cbs-code" and hague.confidence == 1.0
    province = resolve_place(ID, "Provincie Gelderland")
    assert province is not None and (province.kind, province.cbs) == ("province", "PV25")
    assert province.geonames_id is None and "no provinces" in province.note


def test_haren_is_the_dutch_haren_never_haren_ems() -> None:
    for context in ({}, {"country": "NL"}, {"lat": 53.173, "long": 6.605}):
        haren = resolve_place(ID, "Haren", **context)  # type: ignore[arg-type]
        assert haren is not None, context
        assert haren.cbs == "GM0017" and haren.geonames_id == 2754841, context
    # Haren (Ems) only where the source says Germany, and never near Groningen's coordinates.
    ems = resolve_place(ID, "Haren", country="DE")
    assert ems is not None and ems.geonames_id == 2910514
    assert resolve_place(ID, "Haren", country="DE", lat=53.173, long=6.605) is None


def test_cities_resolve_by_country_and_coordinates_and_record_doubt() -> None:
    london = resolve_place(ID, "London", country="GB", lat=51.5, long=-0.12)
    assert london is not None and london.geonames_id == 2643743
    assert london.iri == f"{ID}place/geonames/2643743" and london.confidence >= 0.9
    ontario = resolve_place(ID, "London", lat=42.98, long=-81.23)
    assert ontario is not None and ontario.geonames_id == 6058560
    # Without context the choice is the most populous one, with the others kept as doubt.
    bare = resolve_place(ID, "London")
    assert bare is not None and bare.geonames_id == 2643743
    assert bare.confidence < 0.9 and "https://sws.geonames.org/6058560/" in bare.alternatives
    # Names in other languages and scripts.
    for name in ("Londres", "Лондон"):
        other = resolve_place(ID, name, country="GB")
        assert other is not None and other.geonames_id == 2643743, name
    # Nothing near the coordinates: no match rather than a far one.
    assert resolve_place(ID, "London", lat=52.0, long=5.0) is None
    # Two municipalities share a name: the province settles it, else it is recorded as doubt.
    bergen = resolve_place(ID, "Bergen", province="Limburg")
    assert bergen is not None and bergen.cbs == "GM0893" and bergen.confidence == 1.0
    either = resolve_place(ID, "Bergen")
    assert either is not None and either.confidence < 0.9 and either.alternatives


GEONAMES_LINKS = """
PREFIX km: <https://w3id.org/kiemen/def/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX wgs: <http://www.w3.org/2003/01/geo/wgs84_pos#>
SELECT ?place ?lat ?link ?rule ?confidence ?reason
WHERE {
  ?place a km:Place ; wgs:lat ?lat .
  OPTIONAL {
    ?place owl:sameAs ?link FILTER(STRSTARTS(STR(?link), "https://sws.geonames.org/"))
    OPTIONAL {
      ?st rdf:subject ?place ; rdf:predicate owl:sameAs ; rdf:object ?link ;
          km:linkRule ?rule ; km:linkConfidence ?confidence .
    }
  }
  OPTIONAL {
    { ?place km:hasUncertainty ?u . ?u km:concerns owl:sameAs ; rdfs:comment ?reason ;
        km:alternative ?alt . }
    UNION { ?place km:noLinkReason ?reason }
    FILTER(LANG(?reason) = "en")
  }
}
"""


def _links(kstore) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    out: dict[str, dict[str, object]] = {}
    text = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + GEONAMES_LINKS
    for row in kstore.query(kstore.rebase_text(text)):
        entry = out.setdefault(row["place"].value, {"links": set(), "reasons": set()})
        if row["link"] is not None:
            entry["links"].add(row["link"].value)  # type: ignore[attr-defined]
            assert row["rule"] is not None and row["confidence"] is not None, row["place"]
            assert 0 < float(row["confidence"].value) <= 1
        if row["reason"] is not None:
            entry["reasons"].add(row["reason"].value)  # type: ignore[attr-defined]
    return out


def test_every_place_with_coordinates_links_to_geonames_or_says_why_not(kstore) -> None:  # type: ignore[no-untyped-def]
    links = _links(kstore)
    id_ns = kstore.settings.id_ns
    assert len(links) >= 40
    for place, entry in links.items():
        assert entry["links"] or entry["reasons"], f"{place}: neither a link nor a reason"
        assert len(entry["links"]) <= 1, place  # type: ignore[arg-type]
    by_id = {
        "cbs/GM0363": 2759794,  # Amsterdam
        "cbs/GM0202": 2759661,  # Arnhem
        "cbs/GM0017": 2754841,  # Haren in Groningen, not Haren (Ems) 2910514
        "geonames/2643743": 2643743,  # London
        "country/nl": 2750405,
        "geonames/5128581": 5128581,  # New York
    }
    for path, gid in by_id.items():
        assert links[f"{id_ns}place/{path}"]["links"] == {f"https://sws.geonames.org/{gid}/"}, path
    # No link, with the reason: a province, a neighbourhood.
    assert any("no provinces" in r for r in links[f"{id_ns}place/cbs/PV25"]["reasons"])  # type: ignore[attr-defined]
    assert not links[f"{id_ns}place/zuccotti-park"]["links"]
    assert any("part of a place" in r for r in links[f"{id_ns}place/zuccotti-park"]["reasons"])  # type: ignore[attr-defined]


def test_any_loader_links_its_places_and_haiti_gets_its_geonames_id(
    empty_settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from core.store import KiemenStore
    from loaders import Source, load

    ttl = tmp_path / "places.ttl"
    ttl.write_text(
        "@prefix km: <https://w3id.org/kiemen/def/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix wgs: <http://www.w3.org/2003/01/geo/wgs84_pos#> .\n"
        '<https://example.org/p/haiti> a km:Place ; skos:prefLabel "Haïti"@fr ;\n'
        "  wgs:lat 18.9 ; wgs:long -72.7 .\n"
        '<https://example.org/p/haren> a km:Place ; skos:prefLabel "Haren"@de ;\n'
        '  km:countryCode "DE" ; wgs:lat 52.79 ; wgs:long 7.24 .\n'
        '<https://example.org/p/nowhere> a km:Place ; skos:prefLabel "Haren"@nl ;\n'
        '  km:countryCode "DE" ; wgs:lat 53.17 ; wgs:long 6.60 .\n'
        '<https://example.org/p/london> a km:Place ; skos:prefLabel "London"@en .\n'
        f"<{empty_settings.id_ns}place/geonames/2910514> a km:Place ;\n"
        '  skos:prefLabel "Haren"@nl ; wgs:lat 53.17 ; wgs:long 6.60 .\n',
        encoding="utf-8",
    )
    kstore = KiemenStore(empty_settings)
    load(kstore, [Source(str(ttl), graph="places-test")], validate=False)
    links = _links(kstore)
    assert links["https://example.org/p/haiti"]["links"] == {"https://sws.geonames.org/3723988/"}
    assert links["https://example.org/p/haren"]["links"] == {"https://sws.geonames.org/2910514/"}
    # Named Haren, said to be in Germany, but lying in Groningen: no link, a reason instead.
    assert not links["https://example.org/p/nowhere"]["links"]
    assert links["https://example.org/p/nowhere"]["reasons"]
    # An IRI naming a GeoNames place 50 km from the coordinates it carries: no link.
    wrong = links[f"{empty_settings.id_ns}place/geonames/2910514"]
    assert not wrong["links"] and any("km from" in r for r in wrong["reasons"])  # type: ignore[attr-defined]
    # London with no context: the most populous London, and the doubt recorded with the others.
    doubt = kstore.query(
        kstore.rebase_text(
            "PREFIX km: <https://w3id.org/kiemen/def/>\n"
            "SELECT ?link ?alt WHERE { <https://example.org/p/london> "
            "<http://www.w3.org/2002/07/owl#sameAs> ?link ; km:hasUncertainty ?u . "
            "?u km:concerns <http://www.w3.org/2002/07/owl#sameAs> ; km:alternative ?alt }"
        )
    )
    found = {(r["link"].value, r["alt"].value) for r in doubt}
    assert ("https://sws.geonames.org/2643743/", "https://sws.geonames.org/6058560/") in found


LINK_COUNT = """
SELECT (COUNT(*) AS ?n) WHERE {
  { SELECT DISTINCT ?s ?o WHERE { GRAPH ?g { ?s <%s> ?o } FILTER(isIRI(?o) && %s) } }
}
"""


def test_void_lists_the_linksets_with_counts_that_match_the_store(client, kstore) -> None:  # type: ignore[no-untyped-def]
    import pyoxigraph as ox

    response = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    void = ox.Store()
    void.load(response.data, format=ox.RdfFormat.N_TRIPLES)
    rows = list(
        void.query(
            "PREFIX void: <http://rdfs.org/ns/void#> SELECT ?ls ?p ?n ?target ?space WHERE {"
            " ?ls a void:Linkset ; void:linkPredicate ?p ; void:triples ?n ;"
            " void:objectsTarget ?target . OPTIONAL { ?target void:uriSpace ?space } }"
        )
    )
    found = {r["ls"].value.rsplit("/", 1)[-1]: (r["p"].value, int(r["n"].value)) for r in rows}
    assert "geonames-sameAs" in found and "web-homepage" in found, sorted(found)
    checks = {
        "geonames-sameAs": 'STRSTARTS(STR(?o), "https://sws.geonames.org/")',
        "web-homepage": "true",
        "web-url": "true",
        "participedia-seeAlso": 'REGEX(STR(?o), "^https?://(www\\\\.)?participedia\\\\.net/")',
    }
    for name, (prop, n) in found.items():
        expected = kstore.query(LINK_COUNT % (prop, checks[name]))
        assert n == int(next(iter(expected))["n"].value) and n > 0, name
    assert found["geonames-sameAs"][1] >= 25


def test_entity_pages_list_their_links_elsewhere(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/page/place/cbs/GM0202?lang=en").get_data(as_text=True)
    assert 'id="elsewhere-h">Elsewhere</h2>' in page
    assert 'GeoNames: <a href="https://sws.geonames.org/2759661/"' in page
    nl = client.get("/page/place/cbs/GM0202?lang=nl").get_data(as_text=True)
    assert 'id="elsewhere-h">Elders</h2>' in nl
    # An initiative's website is listed too; a page with no outgoing links has no section.
    site = client.get("/page/initiative/gelderland-anders?lang=en").get_data(as_text=True)
    assert 'Website: <a href="http://www.gelderlandanders.nl"' in site
    province = client.get("/page/place/cbs/PV25?lang=en").get_data(as_text=True)
    assert "elsewhere-h" not in province


def test_curated_places_have_canonical_iris_and_the_old_ones_answer_301(client, kstore) -> None:  # type: ignore[no-untyped-def]
    id_ns = kstore.settings.id_ns
    same = kstore.query(
        "SELECT ?old ?new WHERE { ?old <http://www.w3.org/2002/07/owl#sameAs> ?new "
        f'FILTER(STRSTARTS(STR(?old), "{id_ns}place/") && STRSTARTS(STR(?new), "{id_ns}place/")) }}'
    )
    moved = {r["old"].value[len(id_ns) :]: r["new"].value[len(id_ns) :] for r in same}
    assert moved["place/amsterdam"] == "place/cbs/GM0363"
    assert moved["place/nederland"] == "place/country/nl"
    assert moved["place/haren"] == "place/cbs/GM0017"
    assert moved["place/londen"] == "place/geonames/2643743"
    assert len(moved) >= 30
    for old, new in moved.items():
        response = client.get(f"/page/{old}?lang=en")
        assert response.status_code == 301, old
        assert response.headers["Location"].endswith(f"/page/{new}?lang=en"), old
        assert client.get(f"/page/{new}").status_code == 200, new
    ident = client.get("/id/place/amsterdam", headers={"Accept": "text/turtle"})
    assert ident.status_code == 301 and ident.headers["Location"].endswith("/id/place/cbs/GM0363")
    data = client.get("/data/place/amsterdam.ttl")
    assert data.status_code == 301
    assert data.headers["Location"].endswith("/data/place/cbs/GM0363.ttl")
    # A place that kept its IRI is not redirected; an unknown one is still 404.
    assert client.get("/page/place/zuccotti-park").status_code == 200
    assert client.get("/page/place/nowhere-at-all").status_code == 404


def test_kiemen_publisher_add_takes_new_codes_and_explains_merged_ones(tmp_path: Path) -> None:
    import subprocess

    from conftest import kiemen_cmd, kiemen_env

    env = kiemen_env(tmp_path / "store", "http://127.0.0.1:9/")

    def add(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*kiemen_cmd(), "publisher", "add", code, "--contact-name", "Team",
             "--contact-email", "open@example.nl"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    for code in ("GM1680", "GM1992", "PV21"):  # none was in the old hand-written list
        done = add(code)
        assert done.returncode == 0, (code, done.stderr)
        assert done.stdout.strip(), code  # the first token
    merged = add("GM0856")
    assert merged.returncode == 2
    assert "merged into GM1991 (Maashorst) on 2022-01-01" in merged.stderr
    older = add("GM0860")  # Veghel, one of the 2010-2020 endings
    assert older.returncode == 2
    assert "merged into GM1948 (Meierijstad) on 2017-01-01; use GM1948" in older.stderr


def test_kiemen_publisher_add_accepts_all_342_current_codes_and_refuses_the_former(
    tmp_path: Path,
) -> None:
    """The ``publisher add`` command itself (in process: 342 subprocesses would take minutes),
    with its real registry and token store in a fresh store directory."""
    from click.testing import CliRunner

    from cli.base import Context
    from cli.publishers import publisher

    runner = CliRunner(env={"KIEMEN_STORE": str(tmp_path / "store")})
    (tmp_path / "store").mkdir()

    def add(code: str):  # type: ignore[no-untyped-def]
        args = ["add", code, "--contact-name", "Team", "--contact-email", "open@example.nl"]
        return runner.invoke(publisher, args, obj=Context())

    ref = reference()
    current = sorted(c for c, b in ref.items() if b.current and b.type == "gemeente")
    assert len(current) == 342
    for code in current:
        done = add(code)
        assert done.exit_code == 0, (code, done.output)
    for code in ("GM0091", "GM0140", "GM0693"):  # Sneek, Littenseradiel, Graafstroom
        refused = add(code)
        assert refused.exit_code == 2, code
        assert "no longer exists" in refused.output and ref[code].ended in refused.output
        assert ref[code].successors[0] in refused.output, code
    assert "use GM1978" in add("GM0693").output
    assert "already registered" in add(current[0]).output


def test_announced_names_get_the_ids_the_full_alternate_index_gives() -> None:
    """A load announces its places' names (one pass over the alternate names instead of
    indexing all 1.5 million): the answers must be the full index's, in the same order."""
    gaz = places.gazetteer(places.TIERS[0])
    alternates = list(gaz.alternates.values())
    names = [n for ns in alternates[::97] for n in ns[:3] if n.strip()]
    names += ["PARIS", " paris ", "Sant Julià de Lòria", "Nowhere in particular", "Den Haag"]
    fresh = places.Gazetteer(cities=gaz.cities, by_name=gaz.by_name, alternates=gaz.alternates)
    places.expect_names(names)
    announced = [fresh.by_alternate(n.strip().casefold()) for n in names]
    assert fresh._by_alternate is None  # answered without the full index
    full = places.Gazetteer(cities=gaz.cities, by_name=gaz.by_name, alternates=gaz.alternates)
    full.by_alternate("")  # builds the full index (no name is announced as "")
    assert full._by_alternate is not None
    assert announced == [full.by_alternate(n.strip().casefold()) for n in names]
    assert sum(1 for ids in announced if ids) > 100
    assert any(len(ids) > 1 for ids in announced)  # names several cities share, in order
    # A name nobody announced still gets an answer, from the full index.
    assert fresh.by_alternate("sant julià de lòria") == full.by_alternate("sant julià de lòria")
