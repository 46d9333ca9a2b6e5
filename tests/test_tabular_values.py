"""The mapping language's values from outside the cell: the caller's parameters, fallback
columns, defaults, several separators, concepts of several schemes (with a did-you-mean) and
places the store holds by CBS code (the tabular engine, :mod:`loaders.tabular`)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from core.store import KiemenStore
from loaders import LoadError, Problem, Source, load
from loaders.tabular import ConceptIndex, ParameterError, read_mapping
from publishing import records

EX = "https://data.example.nl/t/"
MAPPING = """
[prefixes]
ex = "https://data.example.nl/t/"

[parameters]
owner = "who publishes the table"
region = { default = "GM0344" }

[[things]]
name = "initiative"
iri = "ex:{$owner}/initiative/{id}"
class = "km:Initiative"
values = [
  { property = "skos:prefLabel", column = ["name_en", "name_nl"], language = "en" },
  {property="km:hasRole",column="role",split=[";","|"],concepts=["km:role","km:government-role"]},
  { property = "dcterms:spatial", column = "code", default = "{$region}", lookup = "place" },
  { property = "dcterms:publisher", iri = "ex:org/{$owner}" },
]
"""
HEADER = "id,name_nl,name_en,role,code\n"


def table(folder: Path, rows: str, mapping: str = MAPPING) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "initiatives.csv").write_text(HEADER + rows)
    (folder / "initiatives.mapping.toml").write_text(mapping)
    return folder / "initiatives.csv", folder / "initiatives.mapping.toml"


def statements(kstore: KiemenStore) -> set[tuple[str, str, str]]:
    graph = ox.NamedNode(kstore.settings.graph_ns + "tables/initiatives")
    return {
        (q.subject.value, q.predicate.value, str(q.object))
        for q in kstore.reader().quads_for_pattern(None, None, None, graph)
    }


def refused(kstore: KiemenStore, source: Source) -> list[Problem]:
    with pytest.raises(LoadError) as info:
        load(kstore, [source], validate=False)
    return [p for p in info.value.problems if p.severity == "error"]


def test_parameters_fallbacks_defaults_separators_and_places(
    store: KiemenStore, tmp_path: Path
) -> None:
    path, mapping = table(
        tmp_path / "t", "I1,Moestuin,,initiator; funder|facilitating,GM0363\nI2,Tuin,Garden,,\n"
    )
    params = {"parameters": {"owner": "gm0344"}}
    load(store, [Source(str(path), mapping=mapping, options=params)], validate=False)
    found = statements(store)
    i1, i2 = EX + "gm0344/initiative/I1", EX + "gm0344/initiative/I2"
    skos, dct = "http://www.w3.org/2004/02/skos/core#", "http://purl.org/dc/terms/"
    assert (i1, skos + "prefLabel", '"Moestuin"@en') in found  # name_en empty: name_nl
    assert (i2, skos + "prefLabel", '"Garden"@en') in found
    roles = {o for s, p, o in found if s == i1 and p.endswith("/hasRole")}
    assert {r.rsplit("/", 2)[-2] + "/" + r.rsplit("/", 1)[-1].strip(">") for r in roles} == {
        "role/initiator",
        "role/funder",
        "government-role/facilitating",
    }
    place = "<http://kiemen.test/id/place/cbs/{}>"
    assert (i1, dct + "spatial", place.format("GM0363")) in found  # the store's place
    assert (i2, dct + "spatial", place.format("GM0344")) in found  # the default: a parameter
    assert (i1, dct + "publisher", f"<{EX}org/gm0344>") in found


def test_a_code_or_concept_not_found_is_a_problem_of_the_row(
    store: KiemenStore, tmp_path: Path
) -> None:
    path, mapping = table(
        tmp_path / "t",
        "I1,Moestuin,,initiatr,GM0363\nI2,Tuin,,,GM9999\nI3,Hof,,,GM0153\nI4,Wei,,,GM0003\n",
    )
    source = Source(str(path), mapping=mapping, options={"parameters": {"owner": "x"}})
    problems = refused(store, source)
    by_row = {p.row: p for p in problems}
    assert (by_row[2].rule, by_row[2].field) == ("concept", "role")
    assert "did you mean initiator?" in by_row[2].message
    assert (by_row[3].rule, by_row[3].field) == ("place", "code")
    assert "'GM9999' is not the CBS code" in by_row[3].message
    # a real municipality the store does not describe (Enschede), a former one (Appingedam)
    assert "the store holds no place with the CBS code GM0153" in by_row[4].message
    assert "GM0003 (Appingedam) no longer exists: use GM1979" in by_row[5].message


def test_a_place_the_store_lacks_takes_the_otherwise_iri(
    store: KiemenStore, tmp_path: Path
) -> None:
    path, mapping = table(
        tmp_path / "t",
        "I1,Moestuin,,,GM0153\n",
        MAPPING.replace(
            'lookup = "place" }', 'lookup = "place", otherwise = "ex:place/{_value}" }'
        ),
    )
    source = Source(str(path), mapping=mapping, options={"parameters": {"owner": "x"}})
    load(store, [source], validate=False)
    assert (
        EX + "x/initiative/I1",
        "http://purl.org/dc/terms/spatial",
        f"<{EX}place/GM0153>",
    ) in statements(store)
    # a code that is no CBS code gets no IRI: it is a problem of the row
    path.write_text(HEADER + "I1,M,,,GM9999\n")
    (problem,) = refused(store, source)
    assert (problem.rule, problem.row, problem.field) == ("place", 2, "code")


def test_parameters_must_be_declared_and_given(tmp_path: Path) -> None:
    _, mapping = table(tmp_path / "t", "")
    with pytest.raises(ParameterError, match="needs the parameter\\(s\\) owner"):
        read_mapping(mapping).with_parameters({})
    with pytest.raises(ParameterError, match="no parameter colour"):
        read_mapping(mapping).with_parameters({"owner": "x", "colour": "red"})
    assert read_mapping(mapping).with_parameters({"owner": "x"}).given == {
        "owner": "x",
        "region": "GM0344",
    }
    mapping.write_text(MAPPING.replace('owner = "who publishes the table"\n', ""))
    with pytest.raises(LoadError) as info:
        read_mapping(mapping)
    assert "{$owner}" in info.value.problems[0].message


def test_optional_columns_may_be_missing_from_the_file(store: KiemenStore, tmp_path: Path) -> None:
    mapping = MAPPING.replace(
        "[parameters]", '[source]\noptional = ["name_en", "code"]\n\n[parameters]'
    )
    folder = tmp_path / "t"
    path, mapping_path = table(folder, "", mapping)
    path.write_text("id,name_nl,role\nI1,Moestuin,initiator\n")
    source = Source(str(path), mapping=mapping_path, options={"parameters": {"owner": "x"}})
    load(store, [source], validate=False)
    assert (
        EX + "x/initiative/I1",
        "http://www.w3.org/2004/02/skos/core#prefLabel",
        '"Moestuin"@en',
    ) in statements(store)
    # without saying so, a column the mapping reads is required in the header
    mapping_path.write_text(MAPPING)
    problems = refused(store, source)
    assert {(p.rule, p.field) for p in problems} == {
        ("column exists", "name_en"),
        ("column exists", "code"),
    }


def test_the_template_and_the_engine_find_concepts_by_the_same_spellings(
    store: KiemenStore,
) -> None:
    """An upload's cell is checked by the template's rule and mapped by the engine: a spelling
    one accepts and the other does not would pass the check and then fail (or map otherwise)."""
    vocabulary = records.vocabulary(store)
    reader = store.reader()
    compared = 0
    for scheme in ("form", "theme", "actor-type", "role", "government-role", "ecosystem-role"):
        index = ConceptIndex(reader, store.settings.def_ns + scheme)
        assert index.by_text, scheme
        concepts = {c.iri: c for c in vocabulary.by_scheme[scheme].values()}
        for iri, concept in concepts.items():
            code = iri.rsplit("/", 1)[-1]
            spellings = {code, code.upper(), code.replace("-", " "), f"{scheme}/{code}"}
            spellings |= {label.upper() for label in concept.labels}
            spellings |= {f" {label.replace(' ', '-')} " for label in concept.labels}
            for text in spellings:
                by_template = vocabulary.find((scheme,), text)
                by_engine = index.find(text)
                assert by_template is not None and by_engine is not None, (scheme, text)
                assert by_template.iri == by_engine.value == iri, (scheme, text)
                compared += 1
        for near in ("civic initiativ", "no such concept at all"):
            found = vocabulary.find((scheme,), near)
            assert (found.iri if found else None) == (
                index.find(near).value if index.find(near) else None
            )
    assert compared > 100
