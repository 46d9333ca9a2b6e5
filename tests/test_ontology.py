"""Tests for the ontology layer: ontology/kiemen.ttl, ontology/schemes/*.ttl, ontology/shapes.ttl.

(a) every term and concept is labelled and defined in Dutch and English, and the README's
    fixed IRIs exist;
(b) the ontology plus schemes is consistent under HermiT, and the check can fail;
(c) the SHACL shapes accept valid instance data and reject broken data with readable messages.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "kiemen.ttl"
SCHEMES_DIR = ONTOLOGY_DIR / "schemes"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
README_FILE = ONTOLOGY_DIR / "README.md"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"

BASE = "https://w3id.org/kiemen/"
KM = Namespace(BASE + "def/")
SH = Namespace("http://www.w3.org/ns/shacl#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SHAPE = Namespace(BASE + "def/shapes/")

TERM_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    RDFS.Datatype,
)


def all_turtle_files() -> list[Path]:
    return sorted(ONTOLOGY_DIR.rglob("*.ttl"))


def scheme_files() -> list[Path]:
    return sorted(SCHEMES_DIR.glob("*.ttl"))


def load(*paths: Path) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path)
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    """The ontology together with all concept schemes and references."""
    return load(ONTOLOGY_FILE, *scheme_files())


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load(SHAPES_FILE)


def languages(graph: Graph, subject, predicate) -> set[str]:
    return {
        o.language
        for o in graph.objects(subject, predicate)
        if isinstance(o, Literal) and o.language
    }


# ------------------------------------------------------------------ (a) labels and definitions


@pytest.mark.parametrize("path", all_turtle_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_turtle_parses(path: Path) -> None:
    assert len(load(path)) > 0


def test_expected_scheme_files_exist() -> None:
    expected = {
        "form", "actor-type", "role", "government-role", "ecosystem-role",
        "participation-generation", "iap2", "participation-ladder", "channel-type", "platform",
        "place-type", "section-type", "seed", "lifecycle-stage", "user-type", "effect",
        "contrast", "measure", "theme", "references",
    }  # fmt: skip
    assert {p.stem for p in scheme_files()} == expected


def test_ontology_header(ontology: Graph) -> None:
    onto = URIRef(BASE + "def/")
    vann_prefix = URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix")
    assert (onto, RDF.type, OWL.Ontology) in ontology
    assert languages(ontology, onto, DCTERMS.title) >= {"nl", "en"}
    assert languages(ontology, onto, DCTERMS.description) >= {"nl", "en"}
    assert ontology.value(onto, OWL.versionInfo) is not None
    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert ontology.value(onto, DCTERMS.license) == licence
    assert str(ontology.value(onto, vann_prefix)) == "km"


def km_terms(graph: Graph) -> set[URIRef]:
    return {
        s
        for t in TERM_TYPES
        for s in graph.subjects(RDF.type, t)
        if isinstance(s, URIRef) and str(s).startswith(str(KM)) and s != URIRef(str(KM))
    }


def test_every_term_and_concept_has_bilingual_label_and_definition(ontology: Graph) -> None:
    terms = km_terms(ontology)
    concepts = set(ontology.subjects(RDF.type, SKOS.Concept))
    concepts |= set(ontology.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(terms) >= 45 and len(concepts) >= 150, "suspiciously few terms: a file missing?"
    problems = []
    for subject in sorted(terms | concepts):
        labels = languages(ontology, subject, RDFS.label)
        labels |= languages(ontology, subject, SKOS.prefLabel)
        definitions = languages(ontology, subject, SKOS.definition)
        for lang in ("nl", "en"):
            if lang not in labels:
                problems.append(f"{subject}: no label @{lang}")
            if lang not in definitions:
                problems.append(f"{subject}: no skos:definition @{lang}")
    assert not problems, "\n".join(problems)


def test_at_most_one_label_and_definition_per_language(ontology: Graph) -> None:
    """One label and one definition per language for every term and concept."""
    problems = []
    for predicate in (RDFS.label, SKOS.prefLabel, SKOS.definition):
        counts = Counter(
            (s, o.language) for s, o in ontology.subject_objects(predicate) if o.language
        )
        problems += [f"{s} {predicate} @{lang}: {n}" for (s, lang), n in counts.items() if n > 1]
    assert not problems, "\n".join(problems)


def readme_text() -> str:
    return README_FILE.read_text(encoding="utf-8")


def readme_prefixes() -> dict[str, str]:
    return dict(re.findall(r"@prefix\s+([\w-]+):\s*<([^>]+)>", readme_text()))


def test_readme_km_terms_are_declared(ontology: Graph) -> None:
    declared = {s for t in TERM_TYPES for s in ontology.subjects(RDF.type, t)}
    mentioned = set(re.findall(r"`km:(\w+)`", readme_text()))
    assert len(mentioned) >= 40
    missing = sorted(name for name in mentioned if KM[name] not in declared)
    assert not missing, f"README names km: terms the ontology does not declare: {missing}"


def readme_fixed_concepts() -> list[tuple[str, str]]:
    """(prefix, slug) for every concept the README's 'Fixed concept IRIs' list names."""
    section = readme_text().split("## Fixed concept IRIs", 1)[1]
    found = []
    for line in section.splitlines():
        match = re.match(r"\s*- `(\w+):` (.*)", line)
        if not match:
            continue
        body = re.sub(r"\([^)]*\)", " ", match.group(2))  # drop explanations in brackets
        slugs = [
            s
            for s in re.split(r"[,;\s]+", body)
            if re.fullmatch(r"[a-z0-9-]+", s) and s not in {"also", "and", "or"}
        ]
        found += [(match.group(1), slug) for slug in slugs]
    return found


def test_readme_fixed_concepts_exist(ontology: Graph) -> None:
    prefixes = readme_prefixes()
    fixed = readme_fixed_concepts()
    assert len(fixed) >= 100
    missing = [
        f"{prefix}:{slug}"
        for prefix, slug in fixed
        if (URIRef(prefixes[prefix] + slug), RDF.type, SKOS.Concept) not in ontology
    ]
    assert not missing, f"README names concepts the schemes lack: {missing}"


@pytest.mark.parametrize("path", scheme_files(), ids=lambda p: p.stem)
def test_scheme_file_structure(path: Path) -> None:
    graph = load(path)
    if path.stem == "references":
        assert set(graph.subjects(RDF.type, SKOS.Concept)) == set()
        assert len(set(graph.subjects(RDF.type, KM.Reference))) >= 10
        return
    scheme = URIRef(f"{BASE}def/{path.stem}")
    assert set(graph.subjects(RDF.type, SKOS.ConceptScheme)) == {scheme}
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert concepts
    for concept in concepts:
        assert str(concept).startswith(f"{scheme}/"), concept
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", str(concept).rsplit("/", 1)[1]), concept
        assert set(graph.objects(concept, SKOS.inScheme)) == {scheme}, concept
        top = (concept, SKOS.topConceptOf, scheme) in graph
        assert top == ((scheme, SKOS.hasTopConcept, concept) in graph), concept
        broader = set(graph.objects(concept, SKOS.broader))
        assert top or broader, f"{concept} is neither a top concept nor has a broader concept"
        assert broader <= concepts, concept


def test_forms_sit_on_the_two_axes(ontology: Graph) -> None:
    form = Namespace(BASE + "def/form/")
    forms = set(ontology.subjects(SKOS.inScheme, URIRef(BASE + "def/form")))
    assert len(forms) >= 16
    scores = {}
    for concept in forms:
        own = ontology.value(concept, KM.ownInitiativeScore)
        joint = ontology.value(concept, KM.jointnessScore)
        assert own is not None and joint is not None, concept
        assert own.datatype == XSD.decimal and joint.datatype == XSD.decimal, concept
        assert 0 <= own.toPython() <= 1 and 0 <= joint.toPython() <= 1, concept
        scores[concept] = (own.toPython(), joint.toPython())
    # The booklet's figure: crowdsourcing/crowdfunding low on both axes, co-creation in the
    # middle, civic initiative high on both.
    low = scores[form["crowdsourcing-crowdfunding"]]
    mid = scores[form["co-creation"]]
    high = scores[form["civic-initiative"]]
    assert low[0] < mid[0] < high[0] and low[1] < mid[1] < high[1]
    kreijveld = URIRef(BASE + "id/reference/kreijveld-2012")
    for slug in ("crowdsourcing-crowdfunding", "crowdsourcing", "crowdfunding", "co-creation"):
        assert (form[slug], DCTERMS.source, kreijveld) in ontology, slug
    assert (form["civic-initiative"], DCTERMS.source, kreijveld) in ontology


@pytest.mark.parametrize(
    ("role", "mapping", "target"),
    [
        ("informing", SKOS.closeMatch, "iap2/inform"),
        ("directing", SKOS.closeMatch, "participation-ladder/directing"),
        ("facilitating", SKOS.closeMatch, "participation-ladder/facilitating"),
        ("letting-go", SKOS.closeMatch, "participation-ladder/letting-go"),
        ("regulating", SKOS.closeMatch, "participation-ladder/regulating"),
        ("participating", SKOS.relatedMatch, "iap2/collaborate"),
    ],
)
def test_government_roles_are_mapped(ontology: Graph, role: str, mapping, target: str) -> None:
    subject = URIRef(f"{BASE}def/government-role/{role}")
    assert (subject, mapping, URIRef(f"{BASE}def/{target}")) in ontology


def test_mappings_and_sources_resolve(ontology: Graph) -> None:
    concepts = set(ontology.subjects(RDF.type, SKOS.Concept))
    links = (SKOS.closeMatch, SKOS.relatedMatch, SKOS.exactMatch, SKOS.related, SKOS.broader)
    for predicate in links:
        for subject, target in ontology.subject_objects(predicate):
            assert target in concepts, f"{subject} {predicate} {target}: not a concept"
    references = set(ontology.subjects(RDF.type, KM.Reference))
    for subject, source in ontology.subject_objects(DCTERMS.source):
        assert source in references, f"{subject} dcterms:source {source}: not a km:Reference"
    for reference in references:
        assert str(reference).startswith(BASE + "id/reference/"), reference
        for date in ontology.objects(reference, DCTERMS.date):
            assert date.datatype == XSD.gYear, reference


WINDOW = 10  # this many words in a row shared with a seed document counts as copied


def words(text: str) -> list[str]:
    text = re.sub(r"-\s*\n\s*", "", text)  # words hyphenated across PDF lines
    return re.findall(r"[a-z0-9à-ÿ]+", text.lower())


def ngrams(w: list[str]) -> set[str]:
    return {" ".join(w[i : i + WINDOW]) for i in range(len(w) - WINDOW + 1)}


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"seed documents not found at {SEEDS_DIR}")
def test_definitions_are_not_copied_from_the_sources() -> None:
    seeds: set[str] = set()
    for seed in SEEDS_DIR.glob("*.txt"):
        seeds |= ngrams(words(seed.read_text(encoding="utf-8", errors="ignore")))
    copied = [
        f"{path.name}: {gram}"
        for path in all_turtle_files()
        for gram in sorted(ngrams(words(path.read_text(encoding="utf-8"))) & seeds)
    ]
    assert not copied, "\n".join(copied)


# ------------------------------------------------------------------ (b) HermiT

needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="HermiT needs a Java runtime and 'java' is not on PATH"
)


def run_hermit(graph: Graph, tmp_path: Path) -> None:
    """Serialise to RDF/XML (owlready2 does not read Turtle) and check it with HermiT."""
    from owlready2 import World, sync_reasoner

    path = tmp_path / "kiemen.owl"
    graph.serialize(destination=path, format="xml")
    world = World()
    world.get_ontology(path.as_uri()).load()
    sync_reasoner(world, infer_property_values=False, debug=0)


@needs_java
def test_ontology_and_schemes_are_consistent(ontology: Graph, tmp_path: Path) -> None:
    run_hermit(ontology, tmp_path)


@needs_java
def test_hermit_detects_a_person_that_is_an_organisation(ontology: Graph, tmp_path: Path) -> None:
    from owlready2 import OwlReadyInconsistentOntologyError

    broken = Graph() + ontology
    both = URIRef(BASE + "id/actor/test-person-and-organisation")
    broken.add((both, RDF.type, KM.Person))
    broken.add((both, RDF.type, KM.Organisation))
    with pytest.raises(OwlReadyInconsistentOntologyError):
        run_hermit(broken, tmp_path)


@needs_java
def test_hermit_detects_a_form_score_above_one(ontology: Graph, tmp_path: Path) -> None:
    from owlready2 import OwlReadyInconsistentOntologyError

    broken = Graph() + ontology
    concept = URIRef(BASE + "def/form/test-form")
    broken.add((concept, RDF.type, SKOS.Concept))
    broken.add((concept, KM.ownInitiativeScore, Literal("1.5", datatype=XSD.decimal)))
    with pytest.raises(OwlReadyInconsistentOntologyError):
        run_hermit(broken, tmp_path)


# ------------------------------------------------------------------ (c) SHACL

PREFIXES = """
@prefix km:          <https://w3id.org/kiemen/def/> .
@prefix form:        <https://w3id.org/kiemen/def/form/> .
@prefix actortype:   <https://w3id.org/kiemen/def/actor-type/> .
@prefix role:        <https://w3id.org/kiemen/def/role/> .
@prefix govrole:     <https://w3id.org/kiemen/def/government-role/> .
@prefix theme:       <https://w3id.org/kiemen/def/theme/> .
@prefix channeltype: <https://w3id.org/kiemen/def/channel-type/> .
@prefix platform:    <https://w3id.org/kiemen/def/platform/> .
@prefix measure:     <https://w3id.org/kiemen/def/measure/> .
@prefix placetype:   <https://w3id.org/kiemen/def/place-type/> .
@prefix sectiontype: <https://w3id.org/kiemen/def/section-type/> .
@prefix initiative:  <https://w3id.org/kiemen/id/initiative/> .
@prefix actor:       <https://w3id.org/kiemen/id/actor/> .
@prefix place:       <https://w3id.org/kiemen/id/place/> .
@prefix document:    <https://w3id.org/kiemen/id/document/> .
@prefix section:     <https://w3id.org/kiemen/id/section/> .
@prefix involvement: <https://w3id.org/kiemen/id/involvement/> .
@prefix fact:        <https://w3id.org/kiemen/id/fact/> .
@prefix channel:     <https://w3id.org/kiemen/id/channel/> .
@prefix skos:        <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms:     <http://purl.org/dc/terms/> .
@prefix foaf:        <http://xmlns.com/foaf/0.1/> .
@prefix prov:        <http://www.w3.org/ns/prov#> .
@prefix schema:      <https://schema.org/> .
@prefix wgs:         <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix rdfs:        <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf:         <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd:         <http://www.w3.org/2001/XMLSchema#> .
"""

# A tiny, invented but complete example: one resource of each main class.
VALID_EXAMPLE = (
    PREFIXES
    + """
document:test-document a km:SourceDocument ;
    dcterms:title "Testdocument"@nl ; dcterms:issued "2012"^^xsd:gYear ;
    dcterms:language "nl" ; km:seedFile "999_test.txt" .

section:test-box a km:Section ;
    km:sectionType sectiontype:box ; dcterms:title "Testkader"@nl ;
    dcterms:isPartOf document:test-document ; km:inDocument document:test-document ;
    km:lineStart 10 ; km:lineEnd 24 .

place:testdorp a km:Place ;
    skos:prefLabel "Testdorp"@nl , "Testdorp"@en ; km:placeType placetype:municipality ;
    wgs:lat "52.1"^^xsd:decimal ; wgs:long "5.4"^^xsd:decimal ;
    km:countryCode "NL" ; km:cbsCode "GM0999" .

actor:gemeente-testdorp a km:Organisation ;
    skos:prefLabel "Gemeente Testdorp"@nl , "Municipality of Testdorp"@en ;
    km:actorType actortype:municipal-government ; foaf:homepage <https://example.org/testdorp> ;
    dcterms:spatial place:testdorp ; prov:wasDerivedFrom section:test-box .

initiative:testinitiatief a km:Initiative ;
    skos:prefLabel "Testinitiatief"@nl , "Testinitiatief"@en ;
    dcterms:description "Een verzonnen initiatief om de regels te testen."@nl ;
    dcterms:description "An invented initiative for testing the rules."@en ;
    km:statedForm form:co-creation ; dcterms:subject theme:liveability-and-neighbourhood ;
    dcterms:spatial place:testdorp ; schema:startDate "2011-05"^^xsd:gYearMonth ;
    km:usesChannel channel:testinitiatief-twitter ; km:hasFact fact:testinitiatief-participants ;
    foaf:homepage <https://example.org/testinitiatief> ; prov:wasDerivedFrom section:test-box .

involvement:testinitiatief-gemeente a km:Involvement ;
    km:initiative initiative:testinitiatief ; km:actor actor:gemeente-testdorp ;
    km:hasRole role:partner , govrole:facilitating ; km:roleStated true ;
    prov:wasDerivedFrom section:test-box .

channel:testinitiatief-twitter a km:Channel ;
    rdfs:label "Twitter-account van het testinitiatief"@nl ; km:channelType channeltype:account ;
    km:onPlatform platform:twitter ; km:handle "@testinitiatief" .

fact:testinitiatief-participants a km:Fact ;
    km:hasMeasure measure:participants ; rdf:value 120 ; km:unit "persons" ;
    dcterms:date "2012"^^xsd:gYear ; prov:wasDerivedFrom section:test-box .
"""
)


def edited(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert old in text, f"edit does not apply: {old!r}"
        text = text.replace(old, new)
    return text


def shacl_results(example: str, ontology: Graph, shapes: Graph) -> tuple[bool, list[dict]]:
    """Validate example data as the project does: data, ontology and schemes in ONE graph.

    The rules on concept values (skos:inScheme) need the schemes inside the data graph:
    pyshacl's ont_graph option copies only RDFS/OWL axioms into the data graph, not SKOS
    concepts, so passing the schemes as ont_graph alone would reject every valid role.
    """
    data = Graph() + ontology
    data.parse(data=example, format="turtle")
    conforms, report, _ = validate(data, shacl_graph=shapes, inference="none")
    results = [
        {
            "focus": report.value(result, SH.focusNode),
            "message": str(report.value(result, SH.resultMessage)),
            "severity": report.value(result, SH.resultSeverity),
            "shape": report.value(result, SH.sourceShape),
        }
        for result in report.subjects(RDF.type, SH.ValidationResult)
    ]
    return conforms, results


def describe(results: list[dict]) -> str:
    return "\n".join(f"{r['focus']}: {r['message']}" for r in results)


def test_shapes_are_named_and_explained(shapes: Graph) -> None:
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape))
    property_shapes |= set(shapes.subjects(SH.path, None))
    assert len(node_shapes) >= 15 and len(property_shapes) >= 100
    problems = []
    for shape in node_shapes | property_shapes:
        for predicate in (SH.name, SH.message):
            if "en" not in languages(shapes, shape, predicate):
                problems.append(f"{shape}: no {predicate} @en")
        if isinstance(shape, URIRef) and "nl" not in languages(shapes, shape, RDFS.comment):
            problems.append(f"{shape}: no Dutch rdfs:comment")
    for shape in property_shapes:
        severity = shapes.value(shape, SH.severity)
        if isinstance(shape, URIRef) and severity not in (SH.Violation, SH.Warning):
            problems.append(f"{shape}: severity must be sh:Violation or sh:Warning")
    assert not problems, "\n".join(problems)


def test_ontology_and_schemes_satisfy_the_shapes(ontology: Graph, shapes: Graph) -> None:
    conforms, results = shacl_results(PREFIXES, ontology, shapes)
    assert conforms, describe(results)


def test_valid_example_conforms(ontology: Graph, shapes: Graph) -> None:
    conforms, results = shacl_results(VALID_EXAMPLE, ontology, shapes)
    assert conforms, describe(results)


BROKEN_EDITS = [
    # no English description
    ('dcterms:description "An invented initiative for testing the rules."@en ;', ""),
    # CBS code without its GM prefix
    ('km:cbsCode "GM0999"', 'km:cbsCode "0999"'),
    # latitude out of range
    ('wgs:lat "52.1"^^xsd:decimal', 'wgs:lat "152.1"^^xsd:decimal'),
]


def test_broken_example_is_rejected_with_readable_messages(ontology: Graph, shapes: Graph) -> None:
    conforms, results = shacl_results(edited(VALID_EXAMPLE, BROKEN_EDITS), ontology, shapes)
    assert not conforms
    found = {
        (str(r["focus"]).rsplit("/", 1)[1], r["message"])
        for r in results
        if r["severity"] == SH.Violation
    }
    assert found == {
        (
            "testinitiatief",
            "An initiative needs a description in English (dcterms:description with @en).",
        ),
        (
            "testdorp",
            "A CBS code (km:cbsCode) must be plain text such as GM0363 for a municipality "
            "(GM and four digits) or PV27 for a province (PV and two digits).",
        ),
        (
            "testdorp",
            "The latitude of a place (wgs:lat) must be an xsd:decimal between -90 and 90.",
        ),
    }


# Each case: one edit to the valid example, and the shape whose violation it must cause.
MUTATIONS = {
    "no form": (("km:statedForm form:co-creation ;", ""), "InitiativeForm"),
    "form from another scheme": (
        ("km:statedForm form:co-creation ;", "km:inferredForm theme:energy ;"),
        "InitiativeFormScheme",
    ),
    "role outside the role schemes": (
        ("govrole:facilitating ;", "theme:energy ;"),
        "InvolvementRoleScheme",
    ),
    "involvement without source": (
        ("true ;\n    prov:wasDerivedFrom section:test-box .", "true ."),
        "InvolvementSource",
    ),
    "person and organisation": (
        ("a km:Organisation ;", "a km:Organisation , km:Person ;"),
        "OrganisationShape",
    ),
    "lower-case country code": (('km:countryCode "NL"', 'km:countryCode "nl"'), "PlaceCountryCode"),
    "no country code": (('km:countryCode "NL" ;', ""), "PlaceShape"),
    "homepage as text": (
        ("<https://example.org/testinitiatief>", '"https://example.org/testinitiatief"'),
        "InitiativeHomepage",
    ),
    "line numbers reversed": (("km:lineStart 10", "km:lineStart 30"), "SectionLineOrder"),
    "line number as text": (("km:lineEnd 24", 'km:lineEnd "24"'), "SectionLineEnd"),
    "two Dutch names": (
        ('"Testinitiatief"@nl ,', '"Testinitiatief"@nl , "Proefinitiatief"@nl ,'),
        "InitiativeNameOnePerLanguage",
    ),
    "fact value as text": (("rdf:value 120", 'rdf:value "120"'), "FactValue"),
    "channel type missing": (("km:channelType channeltype:account ;", ""), "ChannelTypeRequired"),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_broken_data_gets_the_expected_message(ontology: Graph, shapes: Graph, case: str) -> None:
    edit, shape_name = MUTATIONS[case]
    conforms, results = shacl_results(edited(VALID_EXAMPLE, [edit]), ontology, shapes)
    assert not conforms
    shape = SHAPE[shape_name]
    violations = [r for r in results if r["severity"] == SH.Violation and r["shape"] == shape]
    assert violations, describe(results)
    assert {r["message"] for r in violations} == {str(shapes.value(shape, SH.message))}


def test_missing_homepage_is_only_a_warning(ontology: Graph, shapes: Graph) -> None:
    example = edited(VALID_EXAMPLE, [("foaf:homepage <https://example.org/testinitiatief> ;", "")])
    conforms, results = shacl_results(example, ontology, shapes)
    assert not conforms  # pyshacl counts warnings unless allow_warnings is set
    assert [(r["severity"], r["message"]) for r in results] == [
        (SH.Warning, "Advice: add the initiative's homepage (foaf:homepage) if it has or had one."),
    ]


def test_no_iri_is_both_a_property_and_a_scheme(ontology: Graph) -> None:
    """A property and a concept scheme must not share an IRI (it once did: km:role)."""
    schemes = set(ontology.subjects(RDF.type, SKOS.ConceptScheme))
    properties = {
        s
        for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for s in ontology.subjects(RDF.type, t)
    }
    assert not schemes & properties, sorted(schemes & properties)
