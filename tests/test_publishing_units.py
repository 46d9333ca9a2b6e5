"""The parts of publishing that need no server: the CBS list, the template files and their
documentation, the cell rules, SHACL problems mapped back to rows, and link suggestions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import REPO
from flask import Flask
from openpyxl import load_workbook

import loaders
from core.indexes import incremental
from core.messages import render
from core.write import pipeline
from portal import features, wiring
from publishing import catalogue, checks, linking
from publishing.checks import shacl_check
from publishing.mapped import build_records
from publishing.publishers import PublisherError, Registry, check_code, reference
from publishing.records import Record, vocabulary
from publishing.template import (
    TABLES,
    UploadFile,
    check_rows,
    looks_like_formula,
    parse_date,
    read_uploads,
    table_for_name,
)
from publishing.template_files import csv_bytes, example_rows, readme_text, templates_dir

#: The 40 largest Dutch municipalities (CBS, 2024) and their codes.
LARGEST = {
    "GM0363": "Amsterdam", "GM0599": "Rotterdam", "GM0518": "'s-Gravenhage",
    "GM0344": "Utrecht", "GM0772": "Eindhoven", "GM0014": "Groningen", "GM0855": "Tilburg",
    "GM0034": "Almere", "GM0758": "Breda", "GM0268": "Nijmegen", "GM0200": "Apeldoorn",
    "GM0202": "Arnhem", "GM0392": "Haarlem", "GM0394": "Haarlemmermeer",
    "GM0307": "Amersfoort", "GM0479": "Zaanstad", "GM0153": "Enschede",
    "GM0796": "'s-Hertogenbosch", "GM0193": "Zwolle", "GM0546": "Leiden",
    "GM0637": "Zoetermeer", "GM0080": "Leeuwarden", "GM0228": "Ede", "GM0935": "Maastricht",
    "GM0505": "Dordrecht", "GM1783": "Westland", "GM0484": "Alphen aan den Rijn",
    "GM0361": "Alkmaar", "GM0114": "Emmen", "GM0503": "Delft", "GM0983": "Venlo",
    "GM0150": "Deventer", "GM1883": "Sittard-Geleen", "GM0828": "Oss", "GM0794": "Helmond",
    "GM0362": "Amstelveen", "GM0402": "Hilversum", "GM1900": "Súdwest-Fryslân",
    "GM0917": "Heerlen", "GM0164": "Hengelo (O.)",
}  # fmt: skip


def english(err: pytest.ExceptionInfo[PublisherError]) -> str:
    """The refusal as the CLI and the API's ``error`` word it."""
    return render(err.value.text, "en")


def test_the_cbs_list_holds_the_largest_municipalities_and_all_the_curated_data_mentions() -> None:
    ref = reference()
    for code, name in LARGEST.items():
        assert ref[code].name == name and ref[code].current, code
    store = ox.Store()
    for f in sorted((REPO / "data" / "curated").glob("*.ttl")):
        store.load(path=str(f), format=ox.RdfFormat.TURTLE)
    mentioned = {
        q.object.value
        for q in store.quads_for_pattern(
            None, ox.NamedNode("https://w3id.org/kiemen/def/cbsCode"), None
        )
    }
    assert mentioned, "the curated data name CBS codes"
    assert mentioned <= set(ref), sorted(mentioned - set(ref))
    for body in ref.values():
        assert body.type in ("gemeente", "provincie")
        if body.lat:
            assert -90 <= float(body.lat) <= 90 and -180 <= float(body.long) <= 180
        if not body.current:
            assert body.successors and set(body.successors) <= set(ref), body.code
        if body.type == "gemeente":
            assert ref[body.province].type == "provincie"


def test_codes_are_checked_with_clear_messages() -> None:
    assert check_code("gm0344").name == "Utrecht"
    assert check_code("PV26").type == "provincie"
    for code, said in (
        ("GM0017", "merged into GM0014 (Groningen) on 2019-01-01"),
        ("GM0530", "GM1992"),
        ("GM9999", "not in Kiemen's list"),
        ("Utrecht", "is not a CBS code"),
    ):
        with pytest.raises(PublisherError) as err:
            check_code(code)
        assert said in english(err)
    with pytest.raises(PublisherError) as unknown:
        check_code("GM9999")
    assert "staat niet in" in render(unknown.value.text, "nl")


def test_the_registry_refuses_what_it_cannot_publish_under(tmp_path: Path) -> None:
    from core.config import Settings

    registry = Registry(Settings(store_path=tmp_path / "store"))
    pub = registry.add(
        "GM0363", contact_name="Open data", contact_email="data@example.nl", licence="cc-by-4.0"
    )
    assert pub.name == "Gemeente Amsterdam"
    assert pub.agent == "https://identifier.overheid.nl/tooi/id/gemeente/gm0363"
    with pytest.raises(PublisherError) as err:
        registry.add("GM0363", contact_name="x", contact_email="x@example.nl", licence="cc0-1.0")
    assert "already registered" in english(err)
    with pytest.raises(PublisherError) as err:
        registry.add("GM0599", contact_name="x", contact_email="nobody", licence="cc0-1.0")
    assert "not an e-mail address" in english(err)
    with pytest.raises(PublisherError) as err:
        registry.add("GM0599", contact_name="x", contact_email="x@example.nl", licence="mine")
    assert "unknown licence" in english(err)
    import datetime as dt

    with pytest.raises(PublisherError) as err:
        registry.issue_token("GM0363", expires=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert "past" in english(err)
    secret, info = registry.issue_token("GM0363")
    assert info.graphs == (f"{registry.settings.graph_ns}publishers/GM0363/*",)
    assert registry.authenticate(secret, "GM0363").publisher.code == "GM0363"


def test_the_template_files_match_the_specification() -> None:
    folder = templates_dir()
    assert (folder / "README.md").read_text(encoding="utf-8") == readme_text()
    example = example_rows()
    for name, spec in TABLES.items():
        assert (folder / f"{name}.csv").read_bytes() == csv_bytes(name, [])
        assert (folder / "example" / f"{name}.csv").read_bytes() == csv_bytes(name, example[name])
        for col in spec.columns:
            assert f"| `{col.name}` |" in readme_text()
    for path, rows in (
        (folder / "kiemen-template.xlsx", {}),
        (folder / "example" / "kiemen-example.xlsx", example),
    ):
        wb = load_workbook(path, read_only=True)
        assert wb.sheetnames == ["toelichting", *TABLES]
        for name, spec in TABLES.items():
            sheet = list(wb[name].iter_rows(values_only=True))
            assert list(sheet[0]) == spec.column_names
            got = [[v or "" for v in r] for r in sheet[1:] if any(r)]
            assert got == [[r.get(c, "") for c in spec.column_names] for r in rows.get(name, [])]
        wb.close()


def test_cell_rules() -> None:
    assert [parse_date(v) for v in ("2021", "2021-03", "2020-02-29")] == [
        "2021",
        "2021-03",
        "2020-02-29",
    ]
    assert parse_date("15-03-2021") == "2021-03-15"  # the Dutch way, day first
    for bad in ("2021-13", "2021-02-30", "30-02-2021", "21", "maart 2021", "0999"):
        assert parse_date(bad) is None, bad
    for formula in ("=1+1", '=HYPERLINK("x")', "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3(1)"):
        assert looks_like_formula(formula), formula
    for value in ("Gemeente Utrecht", "- losse tekst", "2021-04", "a=b", "+31 6 1234"):
        assert not looks_like_formula(value), value
    assert table_for_name("Initiatieven.csv") == "initiatives"
    assert table_for_name("2024 rollen.csv") == "roles"
    assert table_for_name("actors") == "actors"
    assert table_for_name("budget.csv") is None


def test_semicolons_and_a_bom_are_read() -> None:
    text = example_rows()["initiatives"][0]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(TABLES["initiatives"].column_names)
    writer.writerow([text.get(c, "") for c in TABLES["initiatives"].column_names])
    data = "\ufeff".encode() + buf.getvalue().encode("utf-8")
    parsed = read_uploads([UploadFile("initiatieven.csv", data)], 10_000_000)
    assert not parsed.issues
    assert parsed.rows["initiatives"][0].values["name_nl"] == "Buurtmoestuin De Kweekbak"


# -- with a store ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from core.config import Settings
    from core.store import KiemenStore
    from loaders import bundled_sources, load

    settings = Settings(
        store_path=tmp_path_factory.mktemp("units") / "store", base_uri="http://kiemen.test/"
    )
    store = KiemenStore(settings)
    load(store, bundled_sources())
    Registry(settings).add(
        "GM0344", contact_name="Open data", contact_email="data@example.nl", licence="cc0-1.0"
    )
    yield store


def _build(kstore: Any) -> Any:
    files = [
        UploadFile(f"{name}.csv", csv_bytes(name, rows)) for name, rows in example_rows().items()
    ]
    parsed = read_uploads(files, 10_000_000)
    checked = check_rows(parsed, vocabulary(kstore), "GM0344")
    publisher = Registry(kstore.settings).get("GM0344")
    build, problems = build_records(checked, publisher, kstore)
    assert not problems
    return publisher, build


def test_shape_violations_are_mapped_back_to_row_and_column(kstore: Any) -> None:
    publisher, build = _build(kstore)
    first = shacl_check(kstore, publisher, build, build.records)
    assert not [i for i in first if i.severity == "error"], "the example is valid"
    # take the English description away from the third initiative (row 4)
    third = next(r for r in build.records if r.ident == "UTR-2023-027")
    third.triples = [
        tr
        for tr in third.triples
        if not (
            tr.predicate.value == "http://purl.org/dc/terms/description"
            and isinstance(tr.object, ox.Literal)
            and tr.object.language == "en"
        )
    ]
    issues = shacl_check(kstore, publisher, build, build.records)
    errors = [i for i in issues if i.severity == "error"]
    assert len(errors) == 1, errors
    issue = errors[0]
    assert (issue.file, issue.table, issue.row, issue.column) == (
        "initiatives.csv",
        "initiatives",
        4,
        "description_en",
    )
    assert "description in English" in render(issue.text, "en")
    assert "beschrijving in het Engels" in render(issue.text, "nl")
    assert issue.path == "http://purl.org/dc/terms/description"
    assert issue.component.endswith("QualifiedMinCountConstraintComponent")
    # and nothing was written by checking
    assert not kstore.reader().contains_named_graph(
        ox.NamedNode(publisher.data_graph(kstore.settings))
    )


def test_link_suggestions_follow_the_three_rules(kstore: Any) -> None:
    publisher = Registry(kstore.settings).get("GM0344")
    base = kstore.settings.base_uri

    def record(ident: str, name: str, homepage: str = "", codes: tuple[str, ...] = ()) -> Record:
        return Record(
            publisher.id_ns(kstore.settings) + f"initiative/{ident}",
            "initiative",
            "initiatives",
            "initiatives.csv",
            2,
            ident,
            [],
            labels={"nl": name},
            homepage=homepage,
            codes=codes,
        )

    found = linking.suggest(
        kstore,
        publisher,
        [
            record("a", "Iets anders", "https://www.texelenergie.nl/"),
            record("b", "Het Cartesius Museum", codes=("GM0344",)),
            record("c", "Stichting Urgenda Nederland"),
            record("d", "Cartesius Museum", codes=("GM0599",)),
            record("e", "Zomaar een buurtfeest", codes=("GM0344",)),
        ],
    )
    got = {(s.subject.rsplit("/", 1)[-1], s.candidate, s.reason, s.property) for s in found}
    assert ("a", f"{base}id/initiative/texel-energie", "same-homepage", "sameAs") in got
    assert (
        "b",
        f"{base}id/initiative/cartesius-museum",
        "same-name-same-municipality",
        "sameAs",
    ) in got
    assert ("c", f"{base}id/initiative/urgenda", "similar-name", "exactMatch") in got
    # the same name in another municipality is only a similar name
    assert ("d", f"{base}id/initiative/cartesius-museum", "similar-name", "exactMatch") in got
    assert not [s for s in found if s.subject.endswith("/e")]
    assert linking.normalise_homepage("HTTPS://WWW.Example.org/") == "example.org"
    assert linking.normalise_name("De Windvogel!") == "windvogel"
    # a publish keeps the preview's suggestions of the records it published: the same as
    # suggesting for those records alone (each record's depend only on its own names)
    records = [
        record("a", "Iets anders", "https://www.texelenergie.nl/"),
        record("b", "Het Cartesius Museum", codes=("GM0344",)),
        record("c", "Stichting Urgenda Nederland"),
        record("d", "Cartesius Museum", codes=("GM0599",)),
        record("f", "Urgenda", codes=("GM0344",)),
    ]
    pool = linking.candidates(kstore, publisher)
    everything = linking.suggest(kstore, publisher, records, pool)
    for part in (records[1:4], records[::2], records[:1], []):
        alone = linking.suggest(kstore, publisher, part, pool)
        assert linking.of_records(everything, part) == alone
        assert len(alone) < len(everything)


def test_publishing_registers_nothing_on_import_the_wiring_hands_its_hook_over() -> None:
    """Index hooks come from one visible list (portal.features) through create_app / the CLI;
    the publisher loader is named by its source, not added to the loaders' registry."""
    assert checks.PublisherLoader not in loaders.REGISTRY
    assert catalogue.annotate_meta in features.INDEX_HOOKS
    assert features.default_wiring().index_hooks == features.INDEX_HOOKS
    saved = list(pipeline.INDEX_HOOKS)
    try:
        pipeline.use_index_hooks(())
        assert [incremental.index_hook] == pipeline.INDEX_HOOKS
        wiring.init_app(Flask(__name__), wiring.Wiring(features=(), nav=(), index_hooks=(hook,)))
        assert [incremental.index_hook, hook] == pipeline.INDEX_HOOKS
    finally:
        pipeline.INDEX_HOOKS[:] = saved


def hook(gen: Any, kstore: Any) -> None:
    """An index hook that does nothing."""
