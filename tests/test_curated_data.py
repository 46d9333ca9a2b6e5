"""Checks on the curated seed knowledge in data/curated/*.ttl.

The data graph is every curated file merged with the ontology (ontology/kiemen.ttl) and the SKOS
schemes (ontology/schemes/*.ttl), so that values pointing at concepts can be checked. Besides
SHACL conformance the tests check rules of the data contract that the shapes do not express:
provenance down to a section of a seed document, coordinates inside the place's country,
descriptions in our own words, and labels that agree between files.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SH, SKOS

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "data" / "curated"
ONTOLOGY = REPO / "ontology"
SHAPES = ONTOLOGY / "shapes.ttl"
SEEDS = REPO.parent / "shared" / "seeds"

KM = rdflib.Namespace("https://w3id.org/kiemen/def/")
WGS = rdflib.Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")

MIN_INITIATIVES = 60
NGRAM = 10

# (min lat, max lat, min long, max long) per ISO 3166-1 alpha-2 code, generous by ~0.1 degree.
# Overseas territories are left out except where noted; add a code here when the data uses it.
COUNTRY_BOXES: dict[str, tuple[float, float, float, float]] = {
    "NL": (50.7, 53.7, 3.3, 7.3),  # European Netherlands
    "BE": (49.45, 51.55, 2.5, 6.45),
    "DE": (47.2, 55.1, 5.8, 15.1),
    "FR": (41.3, 51.2, -5.2, 9.6),  # metropolitan France
    "GB": (49.8, 60.9, -8.7, 1.8),
    "IE": (51.4, 55.4, -10.5, -5.9),
    "ES": (27.6, 43.8, -18.2, 4.4),  # including the Canary Islands
    "PT": (32.6, 42.2, -31.3, -6.1),  # including Madeira and the Azores
    "IT": (36.6, 47.1, 6.6, 18.6),
    "IS": (63.3, 66.6, -24.6, -13.4),
    "DK": (54.5, 57.8, 8.0, 15.2),
    "SE": (55.3, 69.1, 11.1, 24.2),
    "NO": (57.9, 71.2, 4.6, 31.1),
    "FI": (59.8, 70.1, 20.5, 31.6),
    "CH": (45.8, 47.8, 5.9, 10.5),
    "AT": (46.4, 49.0, 9.5, 17.2),
    "PL": (49.0, 54.9, 14.1, 24.2),
    "GR": (34.8, 41.8, 19.3, 29.7),
    "US": (18.9, 71.4, -179.2, -66.9),  # including Alaska and Hawaii
    "CA": (41.7, 83.2, -141.0, -52.6),
    "BR": (-33.8, 5.3, -74.0, -34.8),
    "CN": (18.1, 53.6, 73.5, 134.8),
    "IN": (6.7, 35.5, 68.1, 97.4),
    "JP": (24.0, 45.6, 122.9, 145.9),
    "KE": (-4.7, 5.0, 33.9, 41.9),
    "HT": (18.0, 20.1, -74.5, -71.6),
    "EG": (22.0, 31.7, 24.7, 36.9),
    "TN": (30.2, 37.6, 7.5, 11.6),
    "LY": (19.5, 33.2, 9.3, 25.2),
    "SY": (32.3, 37.3, 35.7, 42.4),
    "AU": (-43.7, -10.6, 113.3, 153.7),
    "ZA": (-34.9, -22.1, 16.4, 32.9),
}


def curated_files() -> list[Path]:
    return sorted(CURATED.glob("*.ttl"))


def vocabulary_files() -> list[Path]:
    return [ONTOLOGY / "kiemen.ttl", *sorted((ONTOLOGY / "schemes").glob("*.ttl"))]


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for path in [*curated_files(), *vocabulary_files()]:
        g.parse(path, format="turtle")
    return g


def initiatives(g: rdflib.Graph) -> list[URIRef]:
    return sorted(s for s in g.subjects(RDF.type, KM.Initiative) if isinstance(s, URIRef))


def langs(g: rdflib.Graph, s: URIRef, p: URIRef) -> set[str]:
    return {o.language or "" for o in g.objects(s, p) if isinstance(o, Literal)}


def has_section_source(g: rdflib.Graph, s: URIRef) -> bool:
    """True when s is derived from at least one section that names its source document."""
    return any(
        (src, RDF.type, KM.Section) in g and g.value(src, KM.inDocument) is not None
        for src in g.objects(s, PROV.wasDerivedFrom)
    )


def test_curated_files_present() -> None:
    assert curated_files(), f"no Turtle files in {CURATED}"


def test_conforms_to_shapes(graph: rdflib.Graph) -> None:
    from pyshacl import validate

    if not SHAPES.exists():
        pytest.skip(f"{SHAPES} not written yet")
    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    # Warnings and infos are advice (for example "add a homepage if there is one"); only
    # violations make the data non-conforming.
    conforms, report, _ = validate(
        graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    if conforms:
        return
    lines = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        message = report.value(result, SH.resultMessage)
        lines.append(f"{focus}  [{path}]  value={value}: {message}")
    for line in sorted(lines):
        print(line)
    pytest.fail(f"{len(lines)} SHACL violation(s):\n" + "\n".join(sorted(lines)))


def test_initiatives_complete(graph: rdflib.Graph) -> None:
    problems = []
    for s in initiatives(graph):
        missing = [
            f"prefLabel@{lang}"
            for lang in ("nl", "en")
            if lang not in langs(graph, s, SKOS.prefLabel)
        ]
        missing += [
            f"description@{lang}"
            for lang in ("nl", "en")
            if lang not in langs(graph, s, DCTERMS.description)
        ]
        if graph.value(s, KM.statedForm) is None and graph.value(s, KM.inferredForm) is None:
            missing.append("statedForm or inferredForm")
        if not has_section_source(graph, s):
            missing.append("prov:wasDerivedFrom a section with km:inDocument")
        if missing:
            problems.append(f"{s}: missing {', '.join(missing)}")
    assert not problems, "\n".join(problems)


def test_involvements_have_source(graph: rdflib.Graph) -> None:
    problems = [
        str(s)
        for s in graph.subjects(RDF.type, KM.Involvement)
        if isinstance(s, URIRef) and not has_section_source(graph, s)
    ]
    assert not problems, "involvements without a section source:\n" + "\n".join(sorted(problems))


def test_places_inside_country(graph: rdflib.Graph) -> None:
    problems = []
    for place in sorted(graph.subjects(RDF.type, KM.Place)):
        lat, long = graph.value(place, WGS.lat), graph.value(place, WGS.long)
        if lat is None or long is None:
            problems.append(f"{place}: no wgs:lat/wgs:long")
            continue
        code = graph.value(place, KM.countryCode)
        if code is None:
            continue  # international places; the shapes demand a code for all others
        box = COUNTRY_BOXES.get(str(code))
        if box is None:
            problems.append(f"{place}: no bounding box known for country code {code!r}")
            continue
        y, x = float(lat), float(long)
        if not (box[0] <= y <= box[1] and box[2] <= x <= box[3]):
            problems.append(f"{place}: ({y}, {x}) lies outside {code} {box}")
    assert not problems, "\n".join(problems)


def words(text: str) -> list[str]:
    """Lowercase words with punctuation stripped (accents kept, NFKC-normalised).

    Hyphens, dashes and slashes separate words; other punctuation is deleted, so that "2,5"
    stays one word and "buurt's" becomes "buurts".
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[-‐‑–—/]", " ", text)
    return re.sub(r"[^\w\s]", "", text).split()


def seed_ngrams() -> dict[tuple[str, ...], str]:
    grams: dict[tuple[str, ...], str] = {}
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"(\w)-[ \t]*\n\s*(\w)", r"\1\2", text)  # rejoin words hyphenated at a break
        w = words(text)
        for i in range(len(w) - NGRAM + 1):
            grams.setdefault(tuple(w[i : i + NGRAM]), path.name)
    return grams


def test_descriptions_in_own_words(graph: rdflib.Graph) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not available ({SEEDS})")
    grams = seed_ngrams()
    problems = []
    for s, o in graph.subject_objects(DCTERMS.description):
        w = words(str(o))
        for i in range(len(w) - NGRAM + 1):
            gram = tuple(w[i : i + NGRAM])
            if gram in grams:
                lang = o.language if isinstance(o, Literal) else None
                problems.append(f"{s} (@{lang}) shares with {grams[gram]}: {' '.join(gram)}")
                break
    assert not problems, (
        f"descriptions sharing {NGRAM} or more consecutive words with a seed:\n"
        + "\n".join(sorted(problems))
    )


def test_preflabels_agree_between_files() -> None:
    seen: dict[tuple[URIRef, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in [*curated_files(), *vocabulary_files()]:
        g = rdflib.Graph().parse(path, format="turtle")
        for s, o in g.subject_objects(SKOS.prefLabel):
            if isinstance(s, URIRef) and isinstance(o, Literal):
                seen[(s, o.language or "")][path.name].add(str(o))
    problems = []
    for (s, lang), by_file in sorted(seen.items()):
        if len(by_file) > 1 and len(set().union(*by_file.values())) > 1:
            detail = "; ".join(f"{f}: {sorted(v)}" for f, v in sorted(by_file.items()))
            problems.append(f"{s} @{lang}: {detail}")
    assert not problems, "prefLabels that differ between files:\n" + "\n".join(problems)


def test_enough_initiatives(graph: rdflib.Graph) -> None:
    n = len(initiatives(graph))
    assert n >= MIN_INITIATIVES, f"only {n} initiatives; at least {MIN_INITIATIVES} expected"
