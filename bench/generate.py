"""Synthetic initiatives shaped like the curated ones (see ontology/README.md), for benchmarks.

Each initiative has labels and descriptions in nl and en, a stated and an inferred form, themes,
a place, start and end dates, channels, facts and involvements of actors in roles, all derived
from sections of one synthetic source document — about 50 triples an initiative, so N=20,000
gives a million triples. Output is N-Triples (streamed, never held in memory) and, with --csv,
the same initiatives as a table for the tabular loader (mapping: bench/initiatives.mapping.toml).

    python bench/generate.py 20000 --out bench/out/initiatives.nt --csv bench/out/initiatives.csv

IRIs use --base (default: KIEMEN_BASE_URI or the canonical base), so that the concepts they
point at are the ones of the store they are loaded into.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
from collections.abc import Iterator
from pathlib import Path

CANONICAL = "https://w3id.org/kiemen/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"
XSD = "http://www.w3.org/2001/XMLSchema#"

FORMS = [
    "crowdsourcing",
    "crowdfunding",
    "co-creation",
    "civic-initiative",
    "social-movement",
    "network-hub",
    "citizen-science",
    "open-data",
    "social-entrepreneurship",
    "public-participation",
    "self-organisation",
    "sharing-economy",
    "online-community",
]
ROLES = ["initiator", "organiser", "funder", "partner", "platform-provider", "participant", "host"]
GOVROLES = ["informing", "directing", "facilitating", "participating", "letting-go"]
ACTOR_TYPES = [
    "municipal-government",
    "provincial-government",
    "knowledge-institution",
    "business",
    "social-enterprise",
    "civil-society-organisation",
    "foundation",
    "citizens-collective",
    "housing-corporation",
    "network-organisation",
]
PLATFORMS = ["twitter", "facebook", "youtube", "linkedin", "instagram", "whatsapp"]
THEMES = ["energy", "food", "care", "mobility", "housing", "nature", "democracy", "education"]
MEASURES = ["members", "participants", "amount-raised", "volunteers"]
WORDS_NL = [
    "buurt",
    "samen",
    "energie",
    "groen",
    "zorg",
    "deel",
    "wijk",
    "moestuin",
    "repair",
    "coöperatie",
    "netwerk",
    "platform",
    "kracht",
    "lokaal",
    "dorp",
    "stad",
]
WORDS_EN = [
    "neighbourhood",
    "together",
    "energy",
    "green",
    "care",
    "share",
    "district",
    "garden",
    "repair",
    "cooperative",
    "network",
    "platform",
    "power",
    "local",
]


def esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Writer:
    """Writes N-Triples lines for IRIs under one base."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.km = base + "def/"
        self.id = base + "id/"

    def iri(self, value: str) -> str:
        return f"<{value}>"

    def lit(self, value: str, lang: str | None = None, dt: str | None = None) -> str:
        if lang:
            return f'"{esc(value)}"@{lang}'
        if dt:
            return f'"{esc(value)}"^^<{XSD}{dt}>'
        return f'"{esc(value)}"'

    def t(self, s: str, p: str, o: str) -> str:
        return f"<{s}> <{p}> {o} .\n"


def sentence(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


def triples(n: int, base: str, seed: int = 7) -> Iterator[str]:
    """N-Triples lines for ``n`` initiatives with their actors, places and sources."""
    rng = random.Random(seed)
    w = Writer(base)
    km, idn = w.km, w.id
    doc = idn + "document/synthetic"
    yield w.t(doc, RDF_TYPE, w.iri(km + "SourceDocument"))
    yield w.t(doc, DCT + "title", w.lit("Synthetische verzameling initiatieven", "nl"))
    yield w.t(doc, DCT + "issued", w.lit("2024", dt="gYear"))
    yield w.t(doc, DCT + "language", w.lit("nl"))
    for scheme, names in (("theme", THEMES), ("measure", MEASURES)):
        for name in names:
            c = f"{km}{scheme}/synthetic-{name}"
            yield w.t(c, RDF_TYPE, w.iri(SKOS + "Concept"))
            yield w.t(c, SKOS + "prefLabel", w.lit(f"{name} (synthetisch)", "nl"))
            yield w.t(c, SKOS + "prefLabel", w.lit(f"{name} (synthetic)", "en"))
            yield w.t(c, SKOS + "definition", w.lit(f"Synthetisch begrip {name}.", "nl"))
            yield w.t(c, SKOS + "definition", w.lit(f"Synthetic concept {name}.", "en"))
            yield w.t(c, SKOS + "inScheme", w.iri(km + scheme))
    n_places = max(1, min(400, n // 10))
    for p in range(n_places):
        place = f"{idn}place/synthetic-{p}"
        yield w.t(place, RDF_TYPE, w.iri(km + "Place"))
        yield w.t(place, SKOS + "prefLabel", w.lit(f"Gemeente {p}", "nl"))
        yield w.t(place, SKOS + "prefLabel", w.lit(f"Municipality {p}", "en"))
        yield w.t(place, km + "placeType", w.iri(km + "place-type/municipality"))
        yield w.t(place, WGS + "lat", w.lit(f"{50.8 + rng.random() * 2.6:.5f}", dt="decimal"))
        yield w.t(place, WGS + "long", w.lit(f"{3.4 + rng.random() * 3.7:.5f}", dt="decimal"))
        yield w.t(place, km + "countryCode", w.lit("NL"))
        yield w.t(place, km + "cbsCode", w.lit(f"GM{p:04d}"))
    n_actors = max(1, n // 2)
    for a in range(n_actors):
        actor = f"{idn}actor/synthetic-{a}"
        yield w.t(actor, RDF_TYPE, w.iri(km + "Organisation"))
        yield w.t(actor, SKOS + "prefLabel", w.lit(f"Organisatie {a}", "nl"))
        yield w.t(actor, SKOS + "prefLabel", w.lit(f"Organisation {a}", "en"))
        yield w.t(actor, km + "actorType", w.iri(f"{km}actor-type/{rng.choice(ACTOR_TYPES)}"))
        yield w.t(actor, FOAF + "homepage", w.iri(f"https://example.org/org/{a}"))
        yield w.t(actor, DCT + "spatial", w.iri(f"{idn}place/synthetic-{rng.randrange(n_places)}"))
    for i in range(n):
        yield from initiative(w, rng, i, doc, n_places, n_actors)


def initiative(
    w: Writer, rng: random.Random, i: int, doc: str, n_places: int, n_actors: int
) -> Iterator[str]:
    km, idn = w.km, w.id
    ini = f"{idn}initiative/synthetic-{i}"
    section = f"{idn}section/synthetic-{i // 10}"
    if i % 10 == 0:
        yield w.t(section, RDF_TYPE, w.iri(km + "Section"))
        yield w.t(section, km + "sectionType", w.iri(km + "section-type/box"))
        yield w.t(section, DCT + "title", w.lit(f"Kader {i // 10}", "nl"))
        yield w.t(section, DCT + "isPartOf", w.iri(doc))
        yield w.t(section, km + "inDocument", w.iri(doc))
        yield w.t(section, km + "lineStart", w.lit(str(i * 10 + 1), dt="integer"))
        yield w.t(section, km + "lineEnd", w.lit(str(i * 10 + 100), dt="integer"))
    name_nl = sentence(rng, WORDS_NL, 3)[:-1] + f" {i}"
    yield w.t(ini, RDF_TYPE, w.iri(km + "Initiative"))
    yield w.t(ini, SKOS + "prefLabel", w.lit(name_nl, "nl"))
    yield w.t(ini, SKOS + "prefLabel", w.lit(sentence(rng, WORDS_EN, 3)[:-1] + f" {i}", "en"))
    yield w.t(ini, DCT + "description", w.lit(sentence(rng, WORDS_NL, 24), "nl"))
    yield w.t(ini, DCT + "description", w.lit(sentence(rng, WORDS_EN, 24), "en"))
    yield w.t(ini, FOAF + "homepage", w.iri(f"https://example.org/initiative/{i}"))
    yield w.t(ini, km + "statedForm", w.iri(f"{km}form/{rng.choice(FORMS)}"))
    yield w.t(ini, km + "inferredForm", w.iri(f"{km}form/{rng.choice(FORMS)}"))
    for theme in rng.sample(THEMES, 2):
        yield w.t(ini, DCT + "subject", w.iri(f"{km}theme/synthetic-{theme}"))
    yield w.t(ini, DCT + "spatial", w.iri(f"{idn}place/synthetic-{rng.randrange(n_places)}"))
    start = rng.randrange(2005, 2024)
    yield w.t(ini, SCHEMA + "startDate", w.lit(str(start), dt="gYear"))
    if rng.random() < 0.3:
        yield w.t(
            ini, SCHEMA + "endDate", w.lit(f"{start + rng.randrange(1, 5)}-06", dt="gYearMonth")
        )
    yield w.t(ini, PROV + "wasDerivedFrom", w.iri(section))
    later: list[str] = []  # other subjects' blocks, written after the initiative's own
    for c in range(2):
        ch = f"{idn}channel/synthetic-{i}-{c}"
        platform = rng.choice(PLATFORMS)
        yield w.t(ini, km + "usesChannel", w.iri(ch))
        later.append(w.t(ch, RDF_TYPE, w.iri(km + "Channel")))
        later.append(w.t(ch, RDFS + "label", w.lit(f"{name_nl} op {platform}")))
        later.append(w.t(ch, km + "channelType", w.iri(km + "channel-type/account")))
        later.append(w.t(ch, km + "onPlatform", w.iri(f"{km}platform/{platform}")))
        later.append(w.t(ch, km + "handle", w.lit(f"@initiatief{i}")))
    for f in range(2):
        fact = f"{idn}fact/synthetic-{i}-{f}"
        yield w.t(ini, km + "hasFact", w.iri(fact))
        later.append(w.t(fact, RDF_TYPE, w.iri(km + "Fact")))
        later.append(
            w.t(fact, km + "hasMeasure", w.iri(f"{km}measure/synthetic-{rng.choice(MEASURES)}"))
        )
        later.append(w.t(fact, RDF_VALUE, w.lit(str(rng.randrange(5, 5000)), dt="integer")))
        later.append(w.t(fact, km + "unit", w.lit("persons")))
        later.append(w.t(fact, DCT + "date", w.lit(str(start + 1), dt="gYear")))
        later.append(w.t(fact, PROV + "wasDerivedFrom", w.iri(section)))
    yield from later
    for k in range(3):
        inv = f"{idn}involvement/synthetic-{i}-{k}"
        yield w.t(inv, RDF_TYPE, w.iri(km + "Involvement"))
        yield w.t(inv, km + "initiative", w.iri(ini))
        yield w.t(inv, km + "actor", w.iri(f"{idn}actor/synthetic-{rng.randrange(n_actors)}"))
        role = ROLES[k] if k < 2 else rng.choice(ROLES)
        yield w.t(inv, km + "hasRole", w.iri(f"{km}role/{role}"))
        if k == 2:
            yield w.t(inv, km + "hasRole", w.iri(f"{km}government-role/{rng.choice(GOVROLES)}"))
        yield w.t(inv, km + "roleStated", w.lit("true" if k < 2 else "false", dt="boolean"))
        yield w.t(inv, PROV + "wasDerivedFrom", w.iri(section))


CSV_COLUMNS = [
    "id",
    "naam",
    "name",
    "omschrijving",
    "description",
    "vorm",
    "thema",
    "gemeente",
    "cbs_code",
    "lat",
    "lon",
    "startjaar",
    "einddatum",
    "website",
    "organisator",
    "organisator_type",
    "financier",
    "twitter",
]


def rows(n: int, seed: int = 7) -> Iterator[dict[str, str]]:
    """The same kind of initiatives as table rows (one row an initiative)."""
    rng = random.Random(seed)
    for i in range(n):
        start = rng.randrange(2005, 2024)
        p = rng.randrange(max(1, min(400, n // 10)))
        yield {
            "id": str(i),
            "naam": sentence(rng, WORDS_NL, 3)[:-1] + f" {i}",
            "name": sentence(rng, WORDS_EN, 3)[:-1] + f" {i}",
            "omschrijving": sentence(rng, WORDS_NL, 24),
            "description": sentence(rng, WORDS_EN, 24),
            "vorm": rng.choice(FORMS),
            "thema": ";".join(rng.sample(THEMES, 2)),
            "gemeente": f"Gemeente {p}",
            "cbs_code": f"GM{p:04d}",
            "lat": f"{50.8 + rng.random() * 2.6:.5f}",
            "lon": f"{3.4 + rng.random() * 3.7:.5f}",
            "startjaar": str(start),
            "einddatum": f"{start + 2}-06-30" if rng.random() < 0.3 else "",
            "website": f"https://example.org/initiative/{i}",
            "organisator": f"Organisatie {rng.randrange(max(1, n // 2))}",
            "organisator_type": rng.choice(ACTOR_TYPES),
            "financier": f"Fonds {rng.randrange(50)}" if rng.random() < 0.5 else "",
            "twitter": f"@initiatief{i}",
        }


def write_nt(n: int, out: Path, base: str) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(out, "w", encoding="utf-8", buffering=1 << 20) as fh:
        for line in triples(n, base):
            fh.write(line)
            count += 1
    return count


def write_csv(n: int, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        count = 0
        for row in rows(n):
            writer.writerow(row)
            count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of initiatives (about 50 triples each)")
    parser.add_argument("--out", type=Path, default=Path("bench/out/initiatives.nt"))
    parser.add_argument("--csv", type=Path, default=None, help="also write a CSV table here")
    parser.add_argument("--base", default=os.environ.get("KIEMEN_BASE_URI") or CANONICAL)
    args = parser.parse_args(argv)
    base = args.base if args.base.endswith("/") else args.base + "/"
    count = write_nt(args.n, args.out, base)
    print(f"{count} triples for {args.n} initiatives in {args.out}")
    if args.csv:
        print(f"{write_csv(args.n, args.csv)} rows in {args.csv}")


if __name__ == "__main__":
    main()
