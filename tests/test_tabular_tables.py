"""One mapping for several tables: a row refers to another table's row by its key, and an Excel
cell holding a formula is reported, not trusted (the tabular engine, :mod:`loaders.tabular`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from openpyxl import Workbook

from core.store import KiemenStore
from loaders import LoadError, Problem, Source, load

MAPPING = """
[prefixes]
ex = "https://data.example.nl/t/"

[tables.initiatives]
files = ["initiatieven"]
[[tables.initiatives.things]]
name = "initiative"
iri = "ex:initiative/{id}"
class = "km:Initiative"
values = [{ property = "skos:prefLabel", column = "name", language = "nl" }]

[tables.actors]
[[tables.actors.things]]
name = "actor"
iri = "ex:actor/{id}"
class = "km:Organisation"
values = [{ property = "skos:prefLabel", column = "name", language = "nl" }]

[tables.roles]
[[tables.roles.things]]
name = "involvement"
iri = "ex:involvement/{initiative_id}--{actor_id}"
class = "km:Involvement"
values = [
  { property = "km:initiative", column = "initiative_id", ref = "initiatives.initiative" },
  { property = "km:actor", column = "actor_id", ref = "actors.actor" },
]
"""
EX = "https://data.example.nl/t/"


def tables(folder: Path, roles: str = "initiative_id,actor_id\nI1,A1\nI2,A1\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "initiatieven.csv").write_text("id,name\nI1,Moestuin\nI2,Repair Café\n")
    (folder / "actors.csv").write_text("id,name\nA1,Stichting Buurtwerk\n")
    (folder / "roles.csv").write_text(roles)
    mapping = folder / "template.mapping.toml"
    mapping.write_text(MAPPING)
    return mapping


def quads(kstore: KiemenStore) -> set[str]:
    return {str(q) for q in kstore.reader().quads_for_pattern(None, None, None, None)}


def refused(kstore: KiemenStore, sources: list[Source]) -> list[Problem]:
    """Load, expect a LoadError, check that nothing changed; the errors."""
    before, gen = quads(kstore), kstore.generation_id()
    with pytest.raises(LoadError) as info:
        load(kstore, sources, validate=False)
    assert kstore.generation_id() == gen and quads(kstore) == before
    return [p for p in info.value.problems if p.severity == "error"]


def test_a_row_refers_to_the_row_of_another_table_by_its_key(
    store: KiemenStore, tmp_path: Path
) -> None:
    mapping = tables(tmp_path / "t")
    names = ("initiatieven.csv", "actors.csv", "roles.csv")
    load(store, [Source(str(tmp_path / "t" / n), mapping=mapping) for n in names], validate=False)
    km = store.settings.rebase("https://w3id.org/kiemen/def/")
    roles = ox.NamedNode(store.settings.graph_ns + "tables/roles")
    found = {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in store.reader().quads_for_pattern(None, None, None, roles)
    }
    assert (EX + "involvement/I2--A1", km + "initiative", EX + "initiative/I2") in found
    assert (EX + "involvement/I1--A1", km + "actor", EX + "actor/A1") in found
    # and the thing referred to is the one its own table made
    initiatives = ox.NamedNode(store.settings.graph_ns + "tables/initiatieven")
    assert store.reader().contains_named_graph(initiatives)
    assert list(
        store.reader().quads_for_pattern(
            ox.NamedNode(EX + "initiative/I2"), None, None, initiatives
        )
    )


def test_a_key_the_other_table_does_not_hold_is_a_problem_of_the_row(
    store: KiemenStore, tmp_path: Path
) -> None:
    mapping = tables(tmp_path / "t", roles="initiative_id,actor_id\nI1,A1\nI9,A1\n")
    (problem,) = refused(store, [Source(str(tmp_path / "t" / "roles.csv"), mapping=mapping)])
    assert (problem.rule, problem.row, problem.field) == ("reference", 3, "initiative_id")
    assert "I9" in problem.message and "initiatives" in problem.message


def test_a_table_referred_to_must_lie_beside_the_table(store: KiemenStore, tmp_path: Path) -> None:
    mapping = tables(tmp_path / "t")
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(tmp_path / "t" / "roles.csv", alone / "roles.csv")
    problems = refused(store, [Source(str(alone / "roles.csv"), mapping=mapping)])
    assert problems and {p.rule for p in problems} == {"reference"}
    assert "not beside" in problems[0].message


def test_a_file_named_after_no_table_is_refused(store: KiemenStore, tmp_path: Path) -> None:
    mapping = tables(tmp_path / "t")
    other = tmp_path / "t" / "projects.csv"
    other.write_text("id,name\nP1,x\n")
    (problem,) = refused(store, [Source(str(other), mapping=mapping)])
    assert problem.rule == "mapping" and "initiatives.csv" in problem.message


def test_a_ref_to_no_thing_is_a_mistake_of_the_mapping(store: KiemenStore, tmp_path: Path) -> None:
    mapping = tables(tmp_path / "t")
    mapping.write_text(MAPPING.replace('ref = "actors.actor"', 'ref = "actors.person"'))
    (problem,) = refused(store, [Source(str(tmp_path / "t" / "roles.csv"), mapping=mapping)])
    assert problem.rule == "mapping" and "actors.person" in problem.message


def test_an_excel_formula_is_reported_not_trusted(store: KiemenStore, tmp_path: Path) -> None:
    mapping = tables(tmp_path / "t")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in (["id", "name"], ["I1", "Moestuin"], ["I2", '=UPPER("repair café")']):
        ws.append(row)
    path = tmp_path / "t" / "initiatives.xlsx"
    wb.save(path)
    (problem,) = refused(store, [Source(str(path), mapping=mapping)])
    assert (problem.rule, problem.row, problem.field) == ("formula", 3, "name")
    # the same workbook with the value pasted instead loads
    ws["B3"] = "Repair Café"
    wb.save(path)
    load(store, [Source(str(path), mapping=mapping)], validate=False)


def test_a_workbook_whose_sheets_are_the_tables(store: KiemenStore, tmp_path: Path) -> None:
    """One workbook holding the tables as sheets (named after them; other sheets are left
    alone): each sheet is mapped as its table, references look in the other sheets."""
    mapping = tables(tmp_path / "t")
    wb = Workbook()
    help_sheet = wb.active
    assert help_sheet is not None
    help_sheet.title = "toelichting"
    help_sheet.append(["what", "this is"])
    for title, rows in (
        ("initiatieven", [["id", "name"], ["I1", "Moestuin"], ["I2", "Repair Café"]]),
        ("actors", [["id", "name"], ["A1", "Stichting Buurtwerk"]]),
        ("roles", [["initiative_id", "actor_id"], ["I1", "A1"], ["I2", "A1"]]),
    ):
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = tmp_path / "upload.xlsx"
    wb.save(path)
    load(store, [Source(str(path), mapping=mapping)], validate=False)
    graph = ox.NamedNode(store.settings.graph_ns + "tables/upload")
    found = {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in store.reader().quads_for_pattern(None, None, None, graph)
    }
    km = store.settings.rebase("https://w3id.org/kiemen/def/")
    assert (EX + "involvement/I2--A1", km + "initiative", EX + "initiative/I2") in found
    assert {s for s, p, _ in found if p.endswith("prefLabel")} == {
        EX + "initiative/I1",
        EX + "initiative/I2",
        EX + "actor/A1",
    }
    # a key no sheet holds is a problem of the row, named with its sheet
    wb["roles"]["A3"] = "I9"
    wb.save(path)
    (problem,) = refused(store, [Source(str(path), mapping=mapping)])
    assert (problem.rule, problem.row, problem.field) == ("reference", 3, "initiative_id")
    assert problem.source.endswith("upload.xlsx [roles]")
