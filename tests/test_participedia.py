"""Participedia's export as participedia.net writes it, into the graph: every row, every value.

The fixtures in tests/data/participedia follow participedia/api's exporter column for column
(see the README there). Real parts: an on-disk store with the bundled data per test, the real
shapes (streaming checker), the real ``kiemen load`` command.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import REPO, kiemen_cmd, kiemen_env

from core.store import KiemenStore
from loaders import LoadError, LoadReport, Source, load
from loaders.participedia import LICENCE
from loaders.participedia_values import Options, column_parts, link, pg_array

PARTICIPEDIA = REPO / "tests" / "data" / "participedia"
BASE = "http://kiemen.test/"
KM = BASE + "def/"
ID = BASE + "id/"
PPF = KM + "participedia/field/"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SCHEMA = "https://schema.org/"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory, bundled_copy: Path
) -> tuple[KiemenStore, LoadReport, list[str]]:
    """The fixtures loaded once (read-only tests share it), with the progress lines."""
    from core.config import Settings

    target = tmp_path_factory.mktemp("pp") / "store"
    shutil.copytree(bundled_copy, target, symlinks=True)
    kstore = KiemenStore(Settings.from_env(store_path=target, base_uri=BASE))
    said: list[str] = []
    report = load(kstore, [Source(str(PARTICIPEDIA))], progress=said.append)
    return kstore, report, said


def values(kstore: KiemenStore, s: str, p: str) -> set[str]:
    node = ox.NamedNode(s if s.startswith("http") else ID + s)
    return {
        str(getattr(q.object, "value", q.object))
        for q in kstore.reader().quads_for_pattern(node, ox.NamedNode(p), None, None)
    }


def texts(kstore: KiemenStore, s: str, p: str) -> set[tuple[str, str | None]]:
    node = ox.NamedNode(s if s.startswith("http") else ID + s)
    return {
        (q.object.value, getattr(q.object, "language", None))
        for q in kstore.reader().quads_for_pattern(node, ox.NamedNode(p), None, None)
    }


def rows(name: str) -> list[dict[str, str]]:
    with open(PARTICIPEDIA / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------------------------------
# the real format


def test_fixtures_follow_the_exporters_format() -> None:
    raw = (PARTICIPEDIA / "participedia-data-organizations.csv").read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"id","type","title","url","description"')
    assert not raw.endswith(b"\n")  # json2csv writes no newline after the last row
    header = next(csv.reader([raw.decode("utf-8-sig").split("\n", 1)[0]]))
    assert header[-1] == "collections" and "type_method_2" in header
    assert header.index("sector") == header.index("longitude") + 1
    # the issue's tuple, cut by nothing: organisations' methods stay one brace list
    assert '{""(4328,method,\\""Information and Communications Technologies (ICT)\\"")""' in (
        raw.decode("utf-8")
    )
    cases = rows("participedia-data-cases.csv")
    assert [c["general_issues_2"] for c in cases if c["id"] == "5002"] == [" Law Enforcement"]


def test_every_row_is_accounted_for_with_zero_errors(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, report, said = loaded
    assert not [p for p in report.problems if p.severity == "error"]
    cases = rows("participedia-data-cases.csv")
    methods = rows("participedia-data-methods.csv")
    orgs = rows("participedia-data-organizations.csv")
    for c in cases:
        assert values(kstore, f"initiative/participedia-case-{c['id']}", TYPE) == {
            KM + "Initiative"
        }
    for m in methods:
        assert SKOS + "Concept" in values(kstore, f"{KM}participedia/method/{m['id']}", TYPE)
    for o in orgs:
        assert values(kstore, f"actor/participedia-organization-{o['id']}", TYPE) == {
            KM + "Organisation"
        }
    # the summary says rows read, entities written and warnings by rule
    cases_file = PARTICIPEDIA / "participedia-data-cases.csv"
    assert f"Participedia: {len(cases)} rows read from {cases_file}" in said
    assert "Participedia: written 11 cases, 4 methods, 9 organizations" in said
    assert "Participedia: warnings by rule: country 1, date 1, unknown value 2" in said
    ours = [p for p in report.warnings if p.rule in ("country", "date", "unknown value")]
    assert {(Path(p.source).name, p.row, p.field, p.rule) for p in ours} == {
        ("participedia-data-organizations.csv", 10, "country", "country"),
        ("participedia-data-organizations.csv", 10, "sector", "unknown value"),
        ("participedia-data-cases.csv", 5, "targeted_participants", "unknown value"),
        ("participedia-data-cases.csv", 12, "start_date", "date"),
    }
    assert any("'Zuccotti regulars'" in p.message for p in ours)  # the value is named


def test_the_summary_is_recorded_with_the_graph(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, report, _ = loaded
    graph = report.graphs[0].graph
    activity = values(kstore, graph, "http://www.w3.org/ns/prov#wasGeneratedBy").pop()
    notes = values(kstore, activity, RDFS + "comment")
    assert "Participedia: written 11 cases, 4 methods, 9 organizations" in notes


# ---------------------------------------------------------------------------------------------
# field by field: one case, one method, one organisation


def test_one_case_field_by_field(loaded: tuple[KiemenStore, LoadReport, list[str]]) -> None:
    kstore, _, _ = loaded
    case = "initiative/participedia-case-5003"
    name = "Buurtbudget Amsterdam-Noord"
    assert texts(kstore, case, SKOS + "prefLabel") == {(name, "nl"), (name, "en")}
    assert len(texts(kstore, case, DCT + "description")) == 2
    assert values(kstore, case, DCT + "language") == {"nl"}
    assert values(kstore, case, RDFS + "seeAlso") == {"https://participedia.net/case/5003"}
    # approaches as Dutch labels (one with commas cut over two columns) -> forms
    assert values(kstore, case, KM + "inferredForm") == {
        KM + "form/co-creation",
        KM + "form/public-participation",
    }
    assert values(kstore, case, PPF + "approaches") == {"direct", "coproduction"}
    # general issues as Dutch labels -> keys -> Kiemen themes
    assert values(kstore, case, PPF + "general_issues") == {"planning", "social"}
    assert values(kstore, case, DCT + "subject") == {
        KM + "theme/spatial-planning",
        KM + "theme/welfare-and-social-domain",
    }
    assert values(kstore, case, PPF + "specific_topics") == {"budget", "community"}
    assert values(kstore, case, PPF + "scope_of_influence") == {"neighbourhood"}
    assert values(kstore, case, PPF + "public_spectrum") == {"empower"}
    assert values(kstore, case, PPF + "volunteers") == {"yes"}
    assert values(kstore, case, PPF + "ongoing") == {"no"}
    assert values(kstore, case, PPF + "address1") == {"Buikslotermeerplein 2000"}
    assert values(kstore, case, PPF + "postal_code") == {"1025 XL"}
    assert values(kstore, case, SCHEMA + "startDate") == {"2018-03-01"}
    assert values(kstore, case, SCHEMA + "endDate") == {"2019-10-31"}
    assert values(kstore, case, DCT + "relation") == {KM + "participedia/method/7001"}
    assert not values(kstore, case, PPF + "creator_name")  # Participedia's users stay out
    # the place: Amsterdam with the row's coordinates, in the canonical Netherlands
    (place,) = values(kstore, case, DCT + "spatial")
    if place.startswith(ID + "place/participedia-"):
        assert values(kstore, place, WGS + "lat") == {"52.3996"}
        assert values(kstore, place, KM + "countryCode") == {"NL"}
        assert values(kstore, place, SCHEMA + "containedInPlace") == {ID + "place/country/nl"}
    assert values(kstore, ID + "place/country/nl", KM + "countryCode") == {"NL"}
    # organiser, funder and the government role the IAP2 level gives
    inv = "involvement/participedia-case-5003--"
    assert values(kstore, inv + "organiser", KM + "actor") == {
        ID + "actor/participedia-organization-6003"
    }
    assert values(kstore, inv + "organiser", KM + "hasRole") == {KM + "role/organiser"}
    assert values(kstore, inv + "organiser-government-role", KM + "hasRole") == {
        KM + "government-role/facilitating"
    }
    assert values(kstore, inv + "funder", KM + "actor") == {
        ID + "actor/participedia-gemeente-amsterdam"
    }
    assert values(kstore, case, "http://www.w3.org/ns/prov#wasDerivedFrom") == {
        ID + "section/participedia-case-5003"
    }


def test_one_method_field_by_field(loaded: tuple[KiemenStore, LoadReport, list[str]]) -> None:
    kstore, _, _ = loaded
    m = KM + "participedia/method/7003"
    title = "Sondaggio deliberativo"
    assert texts(kstore, m, SKOS + "prefLabel") == {(title, "nl"), (title, "en"), (title, "it")}
    assert values(kstore, m, SKOS + "inScheme") == {KM + "participedia/method"}
    assert values(kstore, m, SKOS + "notation") == {"7003"}
    assert values(kstore, m, DCT + "language") == {"it"}
    assert values(kstore, m, RDFS + "seeAlso") == {"https://participedia.net/method/7003"}
    # public_spectrum as an Italian label -> consult -> IAP2
    assert values(kstore, m, PPF + "public_spectrum") == {"consult"}
    assert values(kstore, m, SKOS + "relatedMatch") == {KM + "iap2/consult"}
    assert values(kstore, m, PPF + "purpose_method") == {"academic", "make_influence"}
    assert values(kstore, m, PPF + "recruitment_method") == {"random"}
    # a kept column is a property with Participedia's own name for it, in Dutch and English
    assert texts(kstore, PPF + "recruitment_method", RDFS + "label") == {
        ("Participedia: Wervingsmethode voor een beperkte subset van de bevolking", "nl"),
        ("Participedia: Recruitment Method for Limited Subset of Population", "en"),
    }
    assert values(kstore, m, PPF + "open_limited") == {"limited"}
    # cases name methods by title: two cases use the Citizens' Assembly
    users = {
        q.subject.value
        for q in kstore.reader().quads_for_pattern(
            None,
            ox.NamedNode(DCT + "relation"),
            ox.NamedNode(KM + "participedia/method/7002"),
            None,
        )
    }
    assert users == {
        ID + "initiative/participedia-case-5002",
        ID + "initiative/participedia-case-5010",
        ID + "actor/participedia-organization-6007",
    }


def test_one_organisation_field_by_field(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, _, _ = loaded
    org = "actor/participedia-organization-6007"
    title = "Fondation pour la démocratie directe"
    assert texts(kstore, org, SKOS + "prefLabel") == {(title, "nl"), (title, "en"), (title, "fr")}
    assert values(kstore, org, DCT + "language") == {"fr"}
    assert values(kstore, org, RDFS + "seeAlso") == {"https://participedia.net/organization/6007"}
    # the sector as a French label -> non_profit_non_gov -> civil-society organisation
    assert values(kstore, org, PPF + "sector") == {"non_profit_non_gov"}
    assert values(kstore, org, KM + "actorType") == {KM + "actor-type/civil-society-organisation"}
    assert not values(kstore, org, KM + "hasUncertainty")
    # the brace list of (id,method,"title") tuples -> links to the methods
    assert values(kstore, org, DCT + "relation") == {
        KM + "participedia/method/4328",
        KM + "participedia/method/7002",
    }
    # {deliberative,collaborative} cut over type_method_1 and _2
    assert values(kstore, org, PPF + "type_method") == {"deliberative", "collaborative"}
    assert values(kstore, org, PPF + "general_issues") == {"governance", "science"}
    (place,) = values(kstore, org, DCT + "spatial")
    assert values(kstore, place, KM + "countryCode") == {"CH"}  # "Suisse"


# ---------------------------------------------------------------------------------------------
# keys and labels, countries in any language, what cannot be mapped


def test_keys_and_labels_of_every_language_map_alike(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, _, _ = loaded
    gov = {KM + "actor-type/government"}
    for rid in ("6001", "6002", "6003"):  # government, Government, Regering
        assert values(kstore, f"actor/participedia-organization-{rid}", KM + "actorType") >= gov
    assert values(kstore, "actor/participedia-organization-6005", KM + "actorType") == {
        KM + "actor-type/knowledge-institution"
    }
    # Italian and German labels for approaches, issues and the IAP2 level
    assert values(kstore, "initiative/participedia-case-5009", KM + "inferredForm") == {
        KM + "form/co-creation",
        KM + "form/public-participation",
    }
    assert values(kstore, "initiative/participedia-case-5010", PPF + "public_spectrum") == {
        "empower"
    }
    assert values(kstore, "initiative/participedia-case-5010", DCT + "subject") == {
        KM + "theme/democracy-and-governance"
    }
    # English labels with commas, cut by the exporter over numbered columns, rejoined
    assert values(kstore, "initiative/participedia-case-5002", PPF + "general_issues") == {
        "governance",
        "law",
        "health",
    }


def test_country_names_in_the_entrys_language(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, _, _ = loaded
    expected = {
        "actor/participedia-organization-6001": "BR",  # Brasil
        "actor/participedia-organization-6005": "BE",  # Belgique
        "actor/participedia-organization-6006": "CZ",  # Česko
        "actor/participedia-organization-6008": "PL",  # Polska
        "initiative/participedia-case-5006": "BE",  # Belgio
        "initiative/participedia-case-5008": "IL",  # ישראל
        "initiative/participedia-case-5009": "IT",  # Italia
        "initiative/participedia-case-5010": "DE",  # Deutschland
    }
    for s, code in expected.items():
        (place,) = values(kstore, s, DCT + "spatial")
        assert values(kstore, place, KM + "countryCode") == {code}, s
    # a location with only a country is the canonical country place
    assert values(kstore, "initiative/participedia-case-5011", DCT + "spatial") == {
        ID + "place/country/ps"
    }  # Palestinian Territory
    assert values(kstore, "initiative/participedia-case-5007", DCT + "spatial") == {
        ID + "place/country/ie"
    }
    assert texts(kstore, ID + "place/country/ps", SKOS + "prefLabel") >= {
        ("Palestijnse gebieden", "nl")
    }


def test_unknown_values_are_kept_as_text_on_the_entity(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, _, _ = loaded
    org = "actor/participedia-organization-6009"
    assert values(kstore, org, PPF + "country") == {"Atlantis"}
    assert values(kstore, org, PPF + "city") == {"Ciudad Aurora"}
    assert values(kstore, org, PPF + "sector") == {"cooperative"}
    assert not values(kstore, org, DCT + "spatial")
    # Kiemen needs an actor type: assumed, and said so
    assert values(kstore, org, KM + "hasUncertainty")
    case = "initiative/participedia-case-5004"
    assert values(kstore, case, PPF + "targeted_participants") == {"youth", "Zuccotti regulars"}
    assert values(kstore, "initiative/participedia-case-5011", PPF + "start_date") == {"2005/03/01"}


def test_links_between_cases(loaded: tuple[KiemenStore, LoadReport, list[str]]) -> None:
    kstore, _, _ = loaded
    assert values(kstore, "initiative/participedia-case-5007", DCT + "isPartOf") == {
        ID + "initiative/participedia-case-5002"
    }
    assert values(kstore, "initiative/participedia-case-5002", DCT + "hasPart") == {
        ID + "initiative/participedia-case-5007"
    }


def test_the_graph_carries_participedias_sharealike_licence(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, report, _ = loaded
    graph = report.graphs[0].graph
    assert (
        values(kstore, graph, DCT + "license")
        == {"http://creativecommons.org/licenses/by-nc-sa/3.0/"}
        == {LICENCE}
    )
    assert values(kstore, "document/participedia-export-cases", DCT + "license") == {LICENCE}


def test_every_entity_links_to_its_entry_page(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, _, _ = loaded
    pages = {
        q.object.value
        for q in kstore.reader().quads_for_pattern(None, ox.NamedNode(RDFS + "seeAlso"), None, None)
        if q.object.value.startswith("https://participedia.net/")
    }
    assert len(pages) == 11 + 4 + 9
    assert all(p.split("/")[-2] in ("case", "method", "organization") for p in pages)


# ---------------------------------------------------------------------------------------------
# the Kiemen model: forms, roles, mappings as data


def test_cases_appear_under_our_forms_and_roles(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    kstore, _, _ = loaded
    assert values(kstore, "initiative/participedia-case-5001", KM + "inferredForm") == {
        KM + "form/co-creation",
        KM + "form/public-participation",
    }
    assert values(kstore, "initiative/participedia-case-5004", KM + "inferredForm") == {
        KM + "form/social-movement"
    }
    inv = "involvement/participedia-case-"
    # a government organiser with IAP2 'empower' facilitates; 'involve' directs
    assert values(kstore, inv + "5001--organiser-government-role", KM + "hasRole") == {
        KM + "government-role/facilitating"
    }
    assert values(kstore, inv + "5002--organiser-government-role", KM + "hasRole") == {
        KM + "government-role/directing"
    }
    # a municipality funding a foundation's case facilitates it
    assert values(kstore, inv + "5005--funder-government-role", KM + "hasRole") == {
        KM + "government-role/facilitating"
    }
    # the case with no mappable approach gets an inferred form and says so
    assert values(kstore, "initiative/participedia-case-5006", KM + "hasUncertainty")
    # an organiser the export does not hold is described from the case
    assert values(kstore, inv + "5008--organiser", KM + "actor") == {
        ID + "actor/participedia-jerusalem-municipality"
    }
    assert values(kstore, "actor/participedia-jerusalem-municipality", KM + "actorType") == {
        KM + "actor-type/municipal-government"
    }


def test_the_loader_uses_the_mapping_data(store: KiemenStore, tmp_path: Path) -> None:
    """Change a mapping statement in the store's mapping graph: the import follows."""
    shutil.copytree(REPO / "data" / "mappings", tmp_path / "m")
    ttl = tmp_path / "m" / "participedia.ttl"
    ttl.write_text(
        ttl.read_text(encoding="utf-8").replace(
            "skos:closeMatch form:social-movement ;\n"
            "    dcterms:source reference:participedia .\n\n"
            "ppapproach:research",
            "skos:closeMatch form:crisis-mapping ;\n    dcterms:source "
            "reference:participedia .\n\nppapproach:research",
            1,
        ),
        encoding="utf-8",
    )
    load(store, [Source(str(ttl), graph="mappings")])
    load(store, [Source(str(PARTICIPEDIA))])
    assert KM + "form/crisis-mapping" in values(
        store, "initiative/participedia-case-5004", KM + "inferredForm"
    )


# ---------------------------------------------------------------------------------------------
# bad input


def _rewrite(tmp_path: Path, change: Any) -> Path:
    src = PARTICIPEDIA / "participedia-data-cases.csv"
    with open(src, encoding="utf-8-sig", newline="") as fh:
        data = list(csv.DictReader(fh))
    change(data)
    target = tmp_path / "participedia-data-cases.csv"
    with open(target, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(data[0]))
        w.writeheader()
        w.writerows(data)
    return target


def test_bad_values_are_warnings_and_the_row_is_kept(store: KiemenStore, tmp_path: Path) -> None:
    def change(data: list[dict[str, str]]) -> None:
        data[1]["start_date"] = "yesterday"
        data[2]["latitude"] = "north"
        data[3]["title"] = ""

    report = load(store, [Source(str(_rewrite(tmp_path, change)))])
    found = {(p.row, p.field, p.rule) for p in report.warnings if p.field}
    assert {
        (3, "start_date", "date"),
        (4, "latitude", "coordinates"),
        (5, "title", "title"),
    } <= found
    assert values(store, "initiative/participedia-case-5002", PPF + "start_date") == {"yesterday"}
    assert values(store, "initiative/participedia-case-5003", PPF + "latitude") == {"north"}
    assert values(store, "initiative/participedia-case-5004", SKOS + "prefLabel") >= {
        "Participedia case 5004"
    }


def test_an_unreadable_row_is_an_error_and_changes_nothing(
    store: KiemenStore, tmp_path: Path
) -> None:
    def change(data: list[dict[str, str]]) -> None:
        data[1]["id"] = "five"

    before = {str(q) for q in store.reader().quads_for_pattern(None, None, None, None)}
    with pytest.raises(LoadError) as info:
        load(store, [Source(str(_rewrite(tmp_path, change)))])
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert [(p.row, p.field, p.rule) for p in errors] == [(3, "id", "id")]
    assert "'five'" in str(errors[0])
    assert {str(q) for q in store.reader().quads_for_pattern(None, None, None, None)} == before


def test_without_mappings_is_a_clear_error(empty_settings: Any) -> None:
    with pytest.raises(LoadError, match="mappings"):
        load(KiemenStore(empty_settings), [Source(str(PARTICIPEDIA))], validate=False)


def test_the_load_command_prints_the_summary(store: KiemenStore) -> None:
    env = kiemen_env(Path(store.settings.store_path), store.settings.base_uri)
    result = subprocess.run(
        [*kiemen_cmd(), "load", str(PARTICIPEDIA)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Participedia: 9 rows read from" in result.stderr
    assert "Participedia: written 11 cases, 4 methods, 9 organizations" in result.stderr
    assert "loaded" in result.stdout


# ---------------------------------------------------------------------------------------------
# the cells, one by one


def test_postgres_brace_lists_and_entry_tuples() -> None:
    assert pg_array('{a,"b c",NULL,"d \\"e\\""}') == ["a", "b c", 'd "e"']
    assert pg_array("not a list") is None
    (item,) = pg_array('{"(4328,method,\\"Information and Communications Technologies (ICT)\\")"}')
    ln = link(item)
    assert ln is not None
    assert (ln.id, ln.type, ln.title) == (
        "4328",
        "method",
        "Information and Communications Technologies (ICT)",
    )
    assert link("(5391,case,Sciencewise)") is not None


def test_numbered_columns_and_cut_brace_lists_are_rejoined() -> None:
    header = [
        "id",
        "type_method_1",
        "type_method_2",
        "general_issues_1",
        "general_issues_2",
        "general_issues_3",
    ]
    cells = {
        "id": "1",
        "type_method_1": "{deliberative",
        "type_method_2": " collaborative}",
        "general_issues_1": "Agriculture",
        "general_issues_2": " Forestry",
        "general_issues_3": " Fishing & Mining Industries",
    }
    assert column_parts(cells, header, "type_method") == ["deliberative", "collaborative"]
    parts = column_parts(cells, header, "general_issues")
    assert [v.key for v in Options.bundled().values("general_issues", parts)] == ["agriculture"]


def test_options_name_their_source() -> None:
    source = Options.bundled().source
    assert source["repository"] == "https://github.com/participedia/api"
    assert len(str(source["commit"])) == 40
    assert Options.bundled().key("sector", "Non-Profit or Non Governmental") == (
        "non_profit_non_gov"
    )
    assert Options.bundled().key("sector", "高等教育或研究") == "higher_ed"


def test_a_download_named_by_its_export_id_is_recognised(
    store: KiemenStore, tmp_path: Path
) -> None:
    """participedia.net names the file it hands out by the export's id, not by its kind."""
    target = tmp_path / "3111733155100.csv"
    shutil.copy(PARTICIPEDIA / "participedia-data-organizations.csv", target)
    report = load(store, [Source(str(target))])
    assert report.graphs[0].graph == BASE + "graph/participedia"
    assert values(store, "actor/participedia-organization-6003", KM + "actorType") >= {
        KM + "actor-type/government"
    }


def test_participedia_and_the_booklet_share_one_amsterdam(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    """A Participedia case in Amsterdam and the curated Amsterdam initiatives: one place, one
    map marker, one facet value."""
    from portal.app import create_app

    kstore, _report, _said = loaded
    amsterdam = ID + "place/cbs/GM0363"
    client = create_app(kstore.settings).test_client()
    rows = client.get("/api/initiatives", query_string={"place": amsterdam, "_size": 500}).json
    assert rows is not None and rows["ok"], rows
    iris = {r["iri"] for r in rows["rows"]}
    assert ID + "initiative/participedia-case-5003" in iris, iris
    assert any("participedia" not in i for i in iris), iris  # the booklet's own
    direct = {
        str(r[0].value)
        for r in kstore.query(
            f"SELECT DISTINCT ?i WHERE {{ ?i a <{KM}Initiative> ; <{DCT}spatial> <{amsterdam}> }}"
        )
    }
    assert ID + "initiative/participedia-case-5003" in direct and len(direct) > 1, direct
    points = client.get("/api/map").json
    assert points is not None
    marker = [p for p in points["rows"] if p["place"] == amsterdam]
    assert len(marker) == 1 and marker[0]["count"] == len(direct)


def test_the_texts_kiemen_writes_read_as_before_in_both_languages(
    loaded: tuple[KiemenStore, LoadReport, list[str]],
) -> None:
    # Worded from the catalogues (participedia.*), not from strings in the loader.
    kstore = loaded[0]
    assert texts(kstore, "initiative/participedia-case-5009", KM + "periodNote") == {
        ("Loopt nog volgens Participedia.", "nl"),
        ("Ongoing according to Participedia.", "en"),
    }
    assert texts(kstore, KM + "participedia/method", SKOS + "prefLabel") == {
        ("Participedia-methoden", "nl"),
        ("Participedia methods", "en"),
    }
    assert texts(kstore, PPF + "funder_types", RDFS + "comment") == {
        (
            "De kolom funder_types van de CSV-export van Participedia, bewaard zoals ze er staat "
            "(de sleutel als Participedia de waarde kent).",
            "nl",
        ),
        (
            "The column funder_types of Participedia's CSV export, kept as written (the key "
            "where Participedia knows the value).",
            "en",
        ),
    }
    assert texts(kstore, "uncertainty/participedia-case-5006-form", RDFS + "comment") == {
        (
            "Participedia noemt geen benadering die op een Kiemen-samenwerkingsvorm past; als "
            "databank van publieke participatie is publieksparticipatie aangenomen.",
            "nl",
        ),
        (
            "Participedia names no approach that maps onto a Kiemen form of collaboration; as a "
            "database of public participation, public participation is assumed.",
            "en",
        ),
    }
    organiser_role = "involvement/participedia-case-5001--organiser-government-role"
    assert (
        "Afgeleid uit het IAP2-niveau (public_spectrum) van het geval via de koppeling in "
        "data/mappings.",
        "nl",
    ) in texts(kstore, organiser_role, RDFS + "comment")
