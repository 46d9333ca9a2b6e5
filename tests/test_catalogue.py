"""The DCAT-AP-NL 3.0 catalogue validates against the official shapes; VoID says what it should.

The shapes are the official DCAT-AP-NL 3.0 files, read from ../shared/external/dcat-ap-nl-3.0
(source in its SOURCE-COMMIT): the DCAT-AP 3.0 base shapes and the NL files as one shapes graph.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
import requests

from core.config import CANONICAL_BASE as K

SHAPES = Path(__file__).resolve().parents[2] / "shared" / "external" / "dcat-ap-nl-3.0" / "shapes"
# Plain namespaces (rdflib's closed ones warn when pytest inspects module attributes).
RDF = rdflib.Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
LICENCE_EU = rdflib.URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
LICENCE = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")


@functools.cache
def shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    files = sorted(SHAPES.glob("*.ttl"))
    assert {f.name for f in files} >= {
        "dcat-ap-SHACL.ttl",
        "dcat-ap-nl-SHACL.ttl",
        "dcat-ap-nl-SHACL-klassebereik.ttl",
    }
    for f in files:
        graph.parse(f, format="turtle")
    return graph


def violations(data: rdflib.Graph) -> list[str]:
    """Every sh:Violation pyshacl finds (warnings, the profile's recommendations, are allowed)."""
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes(), inference="none", advanced=True, allow_warnings=True
    )
    assert isinstance(report, rdflib.Graph)
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) == SH.Violation:
            found.append(
                f"{report.value(result, SH.focusNode)} {report.value(result, SH.resultPath)}: "
                f"{report.value(result, SH.resultMessage)}"
            )
    return found


def fetch(url: str, accept: str = "text/turtle") -> requests.Response:
    response = requests.get(url, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text[:500]
    return response


def to_rdflib(triples: Any) -> rdflib.Graph:
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=data.decode(), format="nt")


def test_catalogue_validates_against_dcat_ap_nl(live_server: str, exported: dict[str, Any]) -> None:
    response = fetch(f"{live_server}/catalog")
    assert 'rel="license"' in response.headers["Link"]
    catalogue = rdflib.Graph().parse(data=response.text, format="turtle")
    assert not violations(catalogue), "\n".join(violations(catalogue))
    # It describes the dumps that were exported, each with size, checksum and licence.
    dists = set(catalogue.subjects(RDF.type, DCAT.Distribution))
    files = {
        f["file"]: f
        for r in exported["manifest"]["releases"]
        for f in r["files"]
        if r["release"] == exported["manifest"]["latest"]
    }
    by_url = {str(catalogue.value(d, DCAT.downloadURL)): d for d in dists}
    for name, f in files.items():
        dist = by_url[f"{live_server}/downloads/{name}"]
        assert int(str(catalogue.value(dist, DCAT.byteSize))) == f["bytes"]
        checksum = catalogue.value(dist, SPDX.checksum)
        assert str(catalogue.value(checksum, SPDX.checksumValue)) == f["sha256"]
        downloaded = requests.get(f"{live_server}/downloads/{name}", timeout=60)
        assert len(downloaded.content) == f["bytes"]


def test_licence_on_dataset_and_every_distribution(
    live_server: str, exported: dict[str, Any]
) -> None:
    catalogue = rdflib.Graph().parse(data=fetch(f"{live_server}/catalog").text, format="turtle")
    datasets = set(catalogue.subjects(RDF.type, DCAT.Dataset))
    distributions = set(catalogue.subjects(RDF.type, DCAT.Distribution))
    assert datasets and distributions
    for node in datasets | distributions:
        assert catalogue.value(node, DCTERMS.license) == LICENCE_EU, node
    assert (LICENCE_EU, rdflib.RDFS.seeAlso, LICENCE) in catalogue


def test_sparql_endpoint_is_a_data_service(live_server: str) -> None:
    catalogue = rdflib.Graph().parse(data=fetch(f"{live_server}/catalog").text, format="turtle")
    services = list(catalogue.subjects(RDF.type, DCAT.DataService))
    assert len(services) == 1
    service = services[0]
    assert catalogue.value(service, DCAT.endpointURL) == rdflib.URIRef(f"{live_server}/sparql")
    # The endpoint description is the endpoint's SPARQL service description.
    description = catalogue.value(service, DCAT.endpointDescription)
    assert description is not None
    sd = rdflib.Graph().parse(data=fetch(str(description)).text, format="turtle")
    sd_ns = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert list(sd.subjects(RDF.type, sd_ns.Service))
    for prop in (
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.identifier,
        DCTERMS.publisher,
        DCAT.contactPoint,
        DCAT.theme,
        DCTERMS.license,
        DCTERMS.accessRights,
    ):
        assert catalogue.value(service, prop) is not None, prop
    assert set(catalogue.objects(service, DCAT.servesDataset)) >= {
        rdflib.URIRef(f"{K}id/dataset/kiemen")
    }
    # The endpoint it names answers SPARQL.
    answer = requests.get(
        f"{live_server}/sparql",
        params={"query": "ASK { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["boolean"] is True


def test_named_graphs_from_the_meta_graph_are_datasets(live_server: str) -> None:
    catalogue = rdflib.Graph().parse(data=fetch(f"{live_server}/catalog").text, format="turtle")
    main = rdflib.URIRef(f"{K}id/dataset/kiemen")
    curated = rdflib.URIRef(f"{K}graph/curated")
    assert (curated, RDF.type, DCAT.Dataset) in catalogue
    assert (main, DCTERMS.hasPart, curated) in catalogue
    # Its provenance comes along: the load activity that generated it.
    activity = catalogue.value(curated, rdflib.URIRef("http://www.w3.org/ns/prov#wasGeneratedBy"))
    assert activity is not None


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ],
)
def test_catalogue_in_other_formats(live_server: str, accept: str, parser: str) -> None:
    response = fetch(f"{live_server}/catalog", accept)
    assert response.headers["Content-Type"].startswith(accept)
    graph = rdflib.Graph().parse(data=response.text, format=parser)
    assert list(graph.subjects(RDF.type, DCAT.Catalog))


def test_catalogue_for_browsers_and_406(live_server: str) -> None:
    page = fetch(f"{live_server}/catalog", "text/html")
    assert page.headers["Content-Type"].startswith("text/html") and "dcat:Catalog" in page.text
    refused = requests.get(f"{live_server}/catalog", headers={"Accept": "image/png"}, timeout=20)
    assert refused.status_code == 406


def test_another_publishers_dataset_joins_the_catalogue(kstore: Any) -> None:
    """Data-driven: a dcat:Dataset someone records in the meta graph appears with its own
    publisher, and the gaps are filled so the catalogue still validates."""
    from core.store import graph_iri
    from portal.catalogue import catalogue_triples

    settings = kstore.settings
    meta = graph_iri(settings, "meta")
    store = ox.Store()
    store.extend(kstore.reader().quads_for_pattern(None, None, None, None))
    theirs = ox.NamedNode(settings.graph_ns + "gemeente-voorbeeld")
    publisher = ox.NamedNode("https://example.org/gemeente-voorbeeld")
    n = ox.NamedNode
    store.extend(
        [
            ox.Quad(theirs, n(str(RDF.type)), n(str(DCAT.Dataset)), meta),
            ox.Quad(
                theirs,
                n(str(DCTERMS.title)),
                ox.Literal("Initiatieven in Voorbeeld", language="nl"),
                meta,
            ),
            ox.Quad(theirs, n(str(DCTERMS.publisher)), publisher, meta),
            ox.Quad(publisher, n(str(RDF.type)), n(str(FOAF.Agent)), meta),
            ox.Quad(
                publisher, n(str(FOAF.name)), ox.Literal("Gemeente Voorbeeld", language="nl"), meta
            ),
        ]
    )
    catalogue = to_rdflib(catalogue_triples(kstore, None, store=store))
    node = rdflib.URIRef(theirs.value)
    assert (node, RDF.type, DCAT.Dataset) in catalogue
    assert catalogue.value(node, DCTERMS.publisher) == rdflib.URIRef(publisher.value)
    assert list(catalogue.objects(node, DCTERMS.publisher)) == [rdflib.URIRef(publisher.value)]
    assert catalogue.value(node, DCTERMS.title) == rdflib.Literal(
        "Initiatieven in Voorbeeld", lang="nl"
    )
    assert catalogue.value(node, DCAT.contactPoint) is not None
    assert not violations(catalogue), "\n".join(violations(catalogue))


def test_the_shapes_catch_a_missing_licence(kstore: Any) -> None:
    """The validation has teeth: drop the licence of a distribution and it fails."""
    from portal.catalogue import catalogue_triples

    catalogue = to_rdflib(catalogue_triples(kstore, None))
    assert not violations(catalogue)
    dist = next(iter(catalogue.subjects(RDF.type, DCAT.Distribution)))
    catalogue.remove((dist, DCTERMS.license, None))
    found = violations(catalogue)
    assert any(str(dist) in v and "license" in v for v in found), found


def test_void_describes_the_dataset(
    live_server: str, kstore: Any, exported: dict[str, Any]
) -> None:
    response = fetch(f"{live_server}/.well-known/void")
    assert 'rel="license"' in response.headers["Link"]
    void = rdflib.Graph().parse(data=response.text, format="turtle")
    ds = rdflib.URIRef(f"{K}id/dataset/kiemen")
    assert (ds, RDF.type, VOID.Dataset) in void
    assert void.value(ds, VOID.sparqlEndpoint) == rdflib.URIRef(f"{live_server}/sparql")
    assert void.value(ds, DCTERMS.license) == LICENCE
    assert int(str(void.value(ds, VOID.triples))) == len(kstore.reader())
    dumps = {str(d) for d in void.objects(ds, VOID.dataDump)}
    latest = exported["manifest"]["latest"]
    assert f"{live_server}/downloads/kiemen-{latest}.nq.gz" in dumps
    for dump in dumps:
        assert requests.head(dump, timeout=20).status_code == 200
    examples = list(void.objects(ds, VOID.exampleResource))
    assert examples
    for example in examples:
        # Canonical identifiers, dereferenced where this portal serves them.
        url = str(example).replace(K, f"{live_server}/")
        assert requests.get(url, headers={"Accept": "text/turtle"}, timeout=20).status_code == 200
    classes = {
        void.value(p, VOID["class"]): int(str(void.value(p, VOID.entities)))
        for p in void.objects(ds, VOID.classPartition)
    }
    kinds = {r["kind"]: int(r["count"]) for r in kstore.rows("stats-by-kind")}
    initiative = f"{K}def/Initiative"
    assert classes[rdflib.URIRef(initiative)] == kinds[initiative]
    assert list(void.objects(ds, VOID.propertyPartition))
    vocabularies = {str(v) for v in void.objects(ds, VOID.vocabulary)}
    assert f"{K}def/" in vocabularies and "http://www.w3.org/2004/02/skos/core#" in vocabularies
    subsets = set(void.objects(ds, VOID.subset))
    assert rdflib.URIRef(f"{K}graph/curated") in subsets
