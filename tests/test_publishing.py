"""Governments publish their own data: the round trip against a running server.

A store of its own (the bundled data loaded with ``kiemen load``), two publishers registered with
``kiemen publisher add`` (Utrecht under CC0, Rotterdam under CC BY) and ``kiemen serve`` on a free
port. The filled-in template goes in through the JSON API, the web form and the Graph Store
Protocol, and comes out of the DCAT catalogue (valid against DCAT-AP-NL 3.0), the SPARQL
endpoint, the linked-data pages and the version downloads.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Iterator
from pathlib import Path

import pyshacl
import pytest
import rdflib
import requests
from publishing_helpers import EXAMPLE, Server, example_files, example_text, publishing_server

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[2] / "shared"
DCAT_SHAPES = SHARED / "external" / "dcat-ap-nl-3.0" / "shapes"
RDF = rdflib.RDF
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
CC0 = rdflib.URIRef("http://publications.europa.eu/resource/authority/licence/CC0")
CC_BY = rdflib.URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
PREFIXES = """PREFIX km: <{base}def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("publishing")
    with publishing_server(
        tmp, {"GM0344": ("--licence", "cc0-1.0"), "GM0599": ("--licence", "cc-by-4.0")}
    ) as srv:
        yield srv


@functools.cache
def dcat_shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for f in sorted(DCAT_SHAPES.glob("*.ttl")):
        graph.parse(f, format="turtle")
    return graph


def dcat_violations(data: rdflib.Graph) -> list[str]:
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=dcat_shapes(), inference="none", advanced=True, allow_warnings=True
    )
    assert isinstance(report, rdflib.Graph)
    return [
        f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: "
        f"{report.value(r, SH.resultMessage)}"
        for r in report.subjects(RDF.type, SH.ValidationResult)
        if report.value(r, SH.resultSeverity) == SH.Violation
    ]


def q(server: Server, body: str) -> list[dict[str, str]]:
    return server.sparql(PREFIXES.format(base=server.base) + body)


def ask(server: Server, body: str) -> bool:
    answer = requests.post(
        f"{server.url}/sparql",
        data={"query": PREFIXES.format(base=server.base) + "ASK { " + body + " }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return bool(answer.json()["boolean"])


def catalogue(server: Server) -> rdflib.Graph:
    response = requests.get(f"{server.url}/catalog", headers={"Accept": "text/turtle"}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    return rdflib.Graph().parse(data=response.text, format="turtle")


def test_round_trip_from_the_template_to_catalogue_and_sparql(server: Server) -> None:
    code = "GM0344"
    before = server.state()
    # 1. check: a report, and nothing changes
    checked = requests.post(
        f"{server.url}/publish/api/{code}/validate",
        files=example_files(),
        headers=server.auth(code),
        timeout=120,
    )
    assert checked.status_code == 200, checked.text
    report = checked.json()
    assert report["ok"] and not report["published"] and report["counts"]["errors"] == 0
    assert report["counts"]["tables"]["initiatives"] == {"rows": 3, "valid": 3}
    assert server.state() == before
    # 2. publish: version 1
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    published = requests.post(
        f"{server.url}/publish/api/{code}/versions",
        files=example_files(),
        headers=server.auth(code),
        timeout=120,
    )
    assert published.status_code == 201, published.text
    body = published.json()
    assert body["published"] and body["version"] == 1
    assert body["counts"]["added"] == body["counts"]["triples"] > 0
    assert body["counts"]["removed"] == 0
    assert published.headers["Location"].endswith(f"/publish/{code}/versions/1.ttl")
    assert server.state() != before

    # The SPARQL endpoint returns the records, in the publisher's graph, linked to the place.
    rows = q(
        server,
        f"""SELECT ?i ?name ?id WHERE {{ GRAPH <{server.graph(code)}> {{
              ?i a km:Initiative ; skos:prefLabel ?name ; dcterms:identifier ?id .
              FILTER(LANG(?name) = "nl") }} }} ORDER BY ?id""",
    )
    assert [r["name"] for r in rows] == [
        "Buurtmoestuin De Kweekbak",
        "Overvecht-De Gagel vernieuwt",
        "Energiecoöperatie Zonnedak Lombok",
    ]
    assert rows[0]["i"] == server.iri(code, "initiative/UTR-2021-014")
    assert ask(
        server,
        f"<{server.iri(code, 'initiative/UTR-2021-014')}> dcterms:spatial "
        f"<{server.base}id/place/cbs/GM0344>",
    ), "the municipality code links to the place the curated data already has"
    assert ask(
        server,
        f"?v a km:Involvement ; km:initiative <{server.iri(code, 'initiative/UTR-2021-014')}> ; "
        f"km:actor <{server.iri(code, 'actor/ORG-GEM')}> ; km:hasRole ?role",
    )

    # The catalogue lists the dataset with the publisher's own name, licence, contact, date.
    cat = catalogue(server)
    ds = rdflib.URIRef(server.graph(code))
    assert (ds, RDF.type, DCAT.Dataset) in cat
    assert (None, DCAT.dataset, ds) in cat
    agent = rdflib.URIRef("https://identifier.overheid.nl/tooi/id/gemeente/gm0344")
    assert list(cat.objects(ds, DCT.publisher)) == [agent]
    assert cat.value(agent, FOAF.name) == rdflib.Literal("Gemeente Utrecht", lang="nl")
    assert list(cat.objects(ds, DCT.license)) == [CC0]
    contact = cat.value(ds, DCAT.contactPoint)
    assert cat.value(contact, VCARD.hasURL) is not None
    # the contact person's address stays private: in no public graph, dump or /sparql answer
    assert "opendata@gm0344" not in cat.serialize(format="nt")
    leak = "ASK { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), 'opendata@gm0344')) } }"
    assert (
        requests.post(f"{server.url}/sparql", data={"query": leak}, timeout=60).json()["boolean"]
        is False
    )
    modified = dt.datetime.fromisoformat(str(cat.value(ds, DCT.modified)))
    assert modified >= started - dt.timedelta(seconds=2)
    titles = {str(t) for t in cat.objects(ds, DCT.title)}
    assert "Lokale initiatieven van Gemeente Utrecht" in titles
    for dist in cat.objects(ds, DCAT.distribution):
        assert list(cat.objects(dist, DCT.license)) == [CC0], dist
    violations = dcat_violations(cat)
    assert not violations, "\n".join(violations)

    # The distribution's download is the published graph, triple for triple.
    download = next(
        cat.value(d, DCAT.downloadURL)
        for d in cat.objects(ds, DCAT.distribution)
        if cat.value(d, DCAT.downloadURL) is not None
    )
    latest = requests.get(str(download), timeout=60)
    assert latest.status_code == 200 and latest.headers["Content-Type"].startswith("text/turtle")
    via_gsp = requests.get(
        f"{server.url}/store",
        params={"graph": server.graph(code)},
        headers={"Accept": "application/n-triples"},
        timeout=60,
    )
    assert via_gsp.status_code == 200
    downloaded = rdflib.Graph().parse(data=latest.text, format="turtle")
    stored = rdflib.Graph().parse(data=via_gsp.text, format="nt")
    assert set(downloaded) == set(stored) and len(stored) == body["counts"]["triples"]

    # Each record dereferences like every other thing.
    page = requests.get(
        server.iri(code, "initiative/UTR-2021-014"), headers={"Accept": "text/turtle"}, timeout=60
    )
    assert page.status_code == 200 and "Buurtmoestuin De Kweekbak" in page.text
    human = requests.get(f"{server.url}/publish/{code}", timeout=60)
    assert human.status_code == 200 and "Buurtmoestuin De Kweekbak" in human.text


def test_excel_through_the_web_form_with_a_report_in_dutch(server: Server) -> None:
    code = "GM0344"
    workbook = (EXAMPLE / "kiemen-example.xlsx").read_bytes()
    page = requests.post(
        f"{server.url}/publish/upload?lang=nl",
        data={"token": server.tokens[code], "action": "publish"},
        files={"files": ("kiemen-example.xlsx", io.BytesIO(workbook))},
        timeout=120,
    )
    assert page.status_code == 200, page.text
    assert '<html lang="nl">' in page.text
    # the same records as the CSV files: a new version that changes nothing
    assert "Gepubliceerd als versie" in page.text
    assert "0 tripels toegevoegd en 0 verwijderd" in page.text
    versions = requests.get(f"{server.url}/publish/api/{code}/versions", timeout=30).json()
    assert versions["rows"][0]["added"] == 0 and versions["rows"][0]["removed"] == 0
    # and an upload with a mistake, in English: row, column and problem
    bad = example_text("initiatives").replace("2021-04", "April 2021")
    refused = requests.post(
        f"{server.url}/publish/upload?lang=en",
        data={"token": server.tokens[code], "action": "publish"},
        files=[("files", ("initiatives.csv", io.BytesIO(bad.encode()), "text/csv"))],
        timeout=120,
    )
    assert refused.status_code == 422
    assert '<html lang="en">' in refused.text and "nothing was published" in refused.text
    assert "&#39;April 2021&#39; is not a date Kiemen can read" in refused.text
    assert "<code>start_date</code>" in refused.text


def test_new_version_downloads_rollback_and_audit(server: Server) -> None:
    code = "GM0344"
    gone = server.iri(code, "initiative/UTR-2023-027")
    smaller = {
        name: "".join(
            line
            for line in example_text(name).splitlines(keepends=True)
            if "UTR-2023-027" not in line and "ORG-021" not in line
        ).encode()
        for name in ("initiatives", "actors", "roles")
    }
    # the upload replaces the dataset (an explicit, confirmed choice: adding removes nothing)
    response = requests.post(
        f"{server.url}/publish/api/{code}/versions",
        params={"mode": "replace", "confirm": "true"},
        files=example_files(**smaller),
        headers=server.auth(code),
        timeout=120,
    )
    assert response.status_code == 201, response.text
    newest = response.json()
    assert {r["iri"] for r in newest["preview"]["removed"]} >= {gone}
    assert newest["counts"]["removed"] > 0 and newest["counts"]["added"] == 0
    assert not ask(server, f"<{gone}> ?p ?o")
    versions = requests.get(f"{server.url}/publish/api/{code}/versions", timeout=30).json()["rows"]
    numbers = [v["number"] for v in versions]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == newest["version"]
    earlier = numbers[1]
    old = requests.get(f"{server.url}/publish/{code}/versions/{earlier}.ttl", timeout=30)
    assert old.status_code == 200 and gone in old.text, "earlier versions stay downloadable"
    # roll back to the earlier version: it becomes the newest, and the initiative is back
    rolled = requests.post(
        f"{server.url}/publish/api/{code}/rollback",
        params={"version": earlier},
        headers=server.auth(code),
        timeout=120,
    )
    assert rolled.status_code == 201, rolled.text
    assert rolled.json()["version"] == newest["version"] + 1
    assert rolled.json()["counts"]["added"] == newest["counts"]["removed"]
    assert ask(server, f"<{gone}> ?p ?o")
    # the audit log: who uploaded what, when, and what it changed
    assert requests.get(f"{server.url}/publish/api/{code}/audit", timeout=30).status_code == 401
    audit = requests.get(
        f"{server.url}/publish/api/{code}/audit", headers=server.auth(code), timeout=30
    ).json()["rows"]
    token_id = audit[0]["token_id"]
    assert all(e["token_id"] == token_id for e in audit)
    rollback = audit[0]
    assert rollback["action"] == "rollback" and rollback["outcome"] == "published"
    assert rollback["added"] == newest["counts"]["removed"]
    assert rollback["detail"] == f"rollback to version {earlier}"
    upload = audit[1]
    assert upload["version"] == newest["version"] and upload["removed"] > 0
    assert upload["files"][0]["sha256"] and upload["files"][0]["name"].endswith(".csv")
    outcomes = {(e["action"], e["outcome"]) for e in audit}
    assert ("check", "valid") in outcomes and ("upload", "rejected") in outcomes
    dt.datetime.fromisoformat(rollback["at"])
    cli = server.cli("publisher", "audit", code)
    assert f"rollback to version {earlier}" in cli.stdout


def test_suggested_links_are_confirmed_with_provenance(server: Server) -> None:
    code = "GM0344"
    if not ask(server, f"<{server.iri(code, 'initiative/UTR-2022-003')}> ?p ?o"):
        # run on its own (not after the round trip): publish the example first
        first = requests.post(
            f"{server.url}/publish/api/{code}/versions",
            files=example_files(),
            headers=server.auth(code),
            timeout=120,
        )
        assert first.status_code == 201, first.text
    rows = requests.get(f"{server.url}/publish/api/{code}/suggestions", timeout=30).json()["rows"]
    by_subject = {(r["subject"], r["candidate"]): r for r in rows}
    overvecht = by_subject[
        (
            server.iri(code, "initiative/UTR-2022-003"),
            f"{server.base}id/initiative/overvecht-de-gagel-vernieuwt",
        )
    ]
    assert overvecht["reason"] == "same-homepage" and overvecht["property"] == "sameAs"
    municipality = by_subject[
        (server.iri(code, "actor/ORG-GEM"), f"{server.base}id/actor/gemeente-utrecht")
    ]
    assert municipality["reason"] == "same-name-same-municipality"
    # another publisher cannot decide for Utrecht
    foreign = requests.post(
        f"{server.url}/publish/api/{code}/suggestions/{overvecht['id']}",
        json={"decision": "confirm"},
        headers=server.auth("GM0599"),
        timeout=60,
    )
    assert foreign.status_code == 403
    confirmed = requests.post(
        f"{server.url}/publish/api/{code}/suggestions/{overvecht['id']}",
        json={"decision": "confirm"},
        headers=server.auth(code),
        timeout=120,
    )
    assert confirmed.status_code == 200, confirmed.text
    rejected = requests.post(
        f"{server.url}/publish/api/{code}/suggestions/{municipality['id']}",
        json={"decision": "reject"},
        headers=server.auth(code),
        timeout=120,
    )
    assert rejected.status_code == 200, rejected.text
    links = server.graph(code, "links")
    ours = server.iri(code, "initiative/UTR-2022-003")
    theirs = f"{server.base}id/initiative/overvecht-de-gagel-vernieuwt"
    assert ask(server, f"GRAPH <{links}> {{ <{ours}> owl:sameAs <{theirs}> }}")
    provenance = q(
        server,
        f"""SELECT ?who ?when WHERE {{ GRAPH <{links}> {{
              ?st rdf:subject <{ours}> ; rdf:predicate owl:sameAs ; rdf:object <{theirs}> ;
                  prov:wasAttributedTo ?who ; prov:generatedAtTime ?when }} }}""",
    )
    assert provenance[0]["who"] == "https://identifier.overheid.nl/tooi/id/gemeente/gm0344"
    assert not ask(server, f"<{server.iri(code, 'actor/ORG-GEM')}> owl:sameAs ?x")
    statuses = {
        r["id"]: r["status"]
        for r in requests.get(f"{server.url}/publish/api/{code}/suggestions", timeout=30).json()[
            "rows"
        ]
    }
    assert statuses[overvecht["id"]] == "confirmed"
    assert statuses[municipality["id"]] == "rejected"
    cat = catalogue(server)
    assert (rdflib.URIRef(links), RDF.type, DCAT.Dataset) in cat
    assert cat.value(rdflib.URIRef(links), DCT.publisher) == rdflib.URIRef(
        "https://identifier.overheid.nl/tooi/id/gemeente/gm0344"
    )


TURTLE = """@prefix km: <https://w3id.org/kiemen/def/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/kiemen/id/publishers/GM0599/initiative/{id}> a km:Initiative ;
    dcterms:identifier "{id}" ;
    skos:prefLabel "{name}"@nl, "{name}"@en ;
    dcterms:description "Bewoners maken samen hun straat groener."@nl{en} ;
    km:statedForm <https://w3id.org/kiemen/def/form/civic-initiative> ;
    dcterms:spatial <https://w3id.org/kiemen/id/place/cbs/GM0599> .
"""


def test_graph_store_protocol_with_the_publishers_token(server: Server) -> None:
    code = "GM0599"
    graph = server.graph(code)
    good = TURTLE.format(
        id="R-1", name="Groene Straat", en=', "Residents green their street together."@en'
    )
    created = requests.put(
        f"{server.url}/store",
        params={"graph": graph},
        data=good.encode(),
        headers={**server.auth(code), "Content-Type": "text/turtle"},
        timeout=120,
    )
    assert created.status_code == 201, created.text
    assert ask(server, f'GRAPH <{graph}> {{ ?i skos:prefLabel "Groene Straat"@nl }}')
    # invalid RDF (no English description): a SHACL report, and nothing changes
    before = server.state()
    bad = TURTLE.format(id="R-2", name="Grijze Straat", en="")
    refused = requests.put(
        f"{server.url}/store",
        params={"graph": graph},
        data=bad.encode(),
        headers={**server.auth(code), "Content-Type": "text/turtle", "Accept": "text/turtle"},
        timeout=120,
    )
    assert refused.status_code == 400
    report = rdflib.Graph().parse(data=refused.text, format="turtle")
    root = next(report.subjects(RDF.type, SH.ValidationReport))
    assert report.value(root, SH.conforms) == rdflib.Literal(False)
    focus = {str(report.value(r, SH.focusNode)) for r in report.objects(root, SH.result)}
    assert server.iri(code, "initiative/R-2") in focus
    messages = {
        str(m) for r in report.objects(root, SH.result) for m in report.objects(r, SH.resultMessage)
    }
    assert any("description in English" in m for m in messages)
    assert any("beschrijving in het Engels" in m for m in messages)
    assert server.state() == before
    # POST merges a second record into the dataset
    second = TURTLE.format(id="R-3", name="Buurtkeuken", en=', "A neighbourhood kitchen."@en')
    merged = requests.post(
        f"{server.url}/store",
        params={"graph": graph},
        data=second.encode(),
        headers={**server.auth(code), "Content-Type": "text/turtle"},
        timeout=120,
    )
    assert merged.status_code == 200, merged.text
    names = {
        r["n"]
        for r in q(
            server,
            f"SELECT ?n WHERE {{ GRAPH <{graph}> {{ ?i a km:Initiative ; "
            "skos:prefLabel ?n FILTER(LANG(?n)='nl') } }",
        )
    }
    assert names == {"Groene Straat", "Buurtkeuken"}
    cat = catalogue(server)
    assert list(cat.objects(rdflib.URIRef(graph), DCT.license)) == [CC_BY]


def test_publish_the_valid_rows_only_when_asked(server: Server) -> None:
    code = "GM0599"
    header = example_text("initiatives").splitlines()[0]
    rows = [
        "R-10,Wijktuin Noord,,Een tuin.,A garden.,civic-initiative,,,,2020,",
        "R-11,Wijktuin Zuid,,Een tuin.,A garden.,civic-initiative,,,,2020-02-30,",
    ]
    data = ("\n".join([header, *rows]) + "\n").encode()
    before = server.state()
    all_or_nothing = requests.post(
        f"{server.url}/publish/api/{code}/versions",
        files={"initiatives": ("initiatives.csv", io.BytesIO(data), "text/csv")},
        headers=server.auth(code),
        timeout=120,
    )
    assert all_or_nothing.status_code == 422
    assert server.state() == before
    only_valid = requests.post(
        f"{server.url}/publish/api/{code}/versions",
        params={"valid_only": "true", "mode": "replace", "confirm": "true"},
        files={"initiatives": ("initiatives.csv", io.BytesIO(data), "text/csv")},
        headers=server.auth(code),
        timeout=120,
    )
    assert only_valid.status_code == 201, only_valid.text
    body = only_valid.json()
    assert body["published"] and body["counts"]["records"] == 1
    assert [(d["table"], d["row"]) for d in body["left_out"]] == [("initiatives", 3)]
    graph = server.graph(code)
    names = {
        r["n"]
        for r in q(
            server,
            f"SELECT ?n WHERE {{ GRAPH <{graph}> {{ ?i a km:Initiative ; "
            "skos:prefLabel ?n FILTER(LANG(?n)='nl') } }",
        )
    }
    assert names == {"Wijktuin Noord"}
