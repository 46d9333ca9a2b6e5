"""The DCAT catalogue (DCAT-AP-NL 3.0) that open-data portals such as data.overheid.nl harvest.

Built from the data, not written by hand: every ``dcat:Dataset`` recorded in the ``meta`` graph
(the loaders write one per named graph; other publishers may add their own) is copied with its
provenance and completed with what DCAT-AP-NL requires where the record says nothing (publisher,
contact point, theme, access rights, identifier, licence, ...). Above them stands the whole
Kiemen dataset with one distribution per dump of the latest release (size, SHA-256, licence)
and the SPARQL endpoint as a ``dcat:DataService`` with ``dcat:endpointDescription``.

Values come from the EU authority tables DCAT-AP prescribes (data themes, access rights,
languages, file types, licences) and IANA media types. ``tests/test_catalogue.py`` validates the
result against the official DCAT-AP-NL 3.0 shapes.

``descriptions()`` keeps VoID and the catalogue in a small in-memory store per data
generation and release, so ``/id/dataset/...`` and the other catalogue IRIs dereference like
every other thing (see :func:`descriptions`).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from core.licence import LICENCE, LICENCE_EU
from core.messages import LANGS, Text, bundled, msg, render
from core.store import KiemenStore
from core.vocab import (
    DCAT,
    DCT,
    EU,
    FOAF,
    IANA,
    RDF_TYPE,
    RDFS,
    SKOS,
    SPDX,
    VCARD,
    VOID,
    XSD,
)
from core.write.dumps import KIND_BY_KEY, latest_release, read_manifest
from portal.void import (
    DATASET_DESCRIPTION,
    DATASET_TITLE,
    dataset_iri,
    document_url,
    meta_records,
    void_triples,
)

#: The EU data themes of the whole dataset, with the labels the catalogue gives them.
THEMES = {
    EU + "data-theme/SOCI": msg("catalogue.theme.SOCI"),
    EU + "data-theme/GOVE": msg("catalogue.theme.GOVE"),
}
THEME_SCHEME = EU + "data-theme"
ACCESS_PUBLIC = EU + "access-right/PUBLIC"
LANGUAGES = {EU + "language/NLD": "Nederlands", EU + "language/ENG": "English"}
COUNTRY_NL = EU + "country/NLD"
FILE_TYPES = {
    "nquads": EU + "file-type/RDF_N_QUADS",
    "turtle": EU + "file-type/RDF_TURTLE",
    "initiatives": EU + "file-type/CSV",
    "actors": EU + "file-type/CSV",
    "involvements": EU + "file-type/CSV",
}
#: The specification each dump format follows.
FORMAT_SPECS = {
    "nquads": ("https://www.w3.org/TR/n-quads/", "RDF 1.1 N-Quads"),
    "turtle": ("https://www.w3.org/TR/turtle/", "RDF 1.1 Turtle"),
    "initiatives": ("https://www.rfc-editor.org/rfc/rfc4180", "RFC 4180: CSV"),
    "actors": ("https://www.rfc-editor.org/rfc/rfc4180", "RFC 4180: CSV"),
    "involvements": ("https://www.rfc-editor.org/rfc/rfc4180", "RFC 4180: CSV"),
}
GZIP = IANA + "application/gzip"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/NonProfitOrganisation"
PUBLISHER_NAME = msg("catalogue.publisher.name")
#: Keywords of the dataset and the service, each stated in every language.
KEYWORDS = (
    msg("catalogue.keyword.social-innovation"),
    msg("catalogue.keyword.civic-initiative"),
    msg("catalogue.keyword.participation"),
    msg("catalogue.keyword.government-participation"),
)
#: Statements of a provenance record that do not belong in DCAT-AP (kept in the store).
SKIPPED = {DCT + "source"}


def catalog_url(base: str) -> str:
    return f"{base}catalog"


def service_iri(base: str) -> str:
    return f"{base}id/service/sparql"


def publisher_iri(base: str) -> str:
    return f"{base}id/agent/kiemen"


def contact_iri(base: str) -> str:
    return f"{base}id/contact/kiemen"


def distribution_iri(base: str, name: str) -> str:
    return f"{base}id/distribution/{name}"


class _Graph:
    """A small triple builder that types each node once and keeps the order of first use."""

    def __init__(self) -> None:
        self.triples: dict[ox.Triple, None] = {}

    def add(self, s: str | ox.NamedNode | ox.BlankNode, p: str, o: Any) -> None:
        subject = ox.NamedNode(s) if isinstance(s, str) else s
        self.triples[ox.Triple(subject, ox.NamedNode(p), o)] = None

    def iri(self, s: str | ox.NamedNode | ox.BlankNode, p: str, o: str) -> None:
        self.add(s, p, ox.NamedNode(o))

    def a(self, s: str | ox.NamedNode | ox.BlankNode, *classes: str) -> None:
        for c in classes:
            self.iri(s, RDF_TYPE, c)

    def text(self, s: str | ox.NamedNode, p: str, words: Text | dict[str, str]) -> None:
        """``words`` as literals: a catalogue text in every language, or given values by
        language (``""`` for a plain literal)."""
        by_lang = bundled().both(words) if isinstance(words, Text) else words
        for lang, value in by_lang.items():
            self.add(s, p, ox.Literal(value, language=lang) if lang else ox.Literal(value))

    def keywords(self, s: str) -> None:
        for lang in LANGS:
            for word in KEYWORDS:
                self.add(s, DCAT + "keyword", ox.Literal(render(word, lang), language=lang))

    def has(self, s: str, p: str) -> bool:
        subject, predicate = ox.NamedNode(s), ox.NamedNode(p)
        return any(t.subject == subject and t.predicate == predicate for t in self.triples)


def _literal(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


def catalogue_triples(
    kstore: KiemenStore,
    release: dict[str, Any] | None,
    store: ox.Store | None = None,
    first_release: str | None = None,
) -> list[ox.Triple]:
    """The DCAT-AP-NL catalogue as triples.

    ``release`` is the latest dumps' manifest entry (see core.write.dumps), ``first_release`` the
    date of the oldest one (the dataset's issue date).
    """
    settings = kstore.settings
    base = settings.base_uri
    g = _Graph()
    catalog = catalog_url(base)
    main = dataset_iri(base)
    service = service_iri(base)

    _shared_nodes(g, base)

    # The catalogue.
    g.a(catalog, DCAT + "Catalog")
    g.text(catalog, DCT + "title", msg("catalogue.title"))
    g.text(catalog, DCT + "description", msg("catalogue.description"))
    g.iri(catalog, DCT + "publisher", publisher_iri(base))
    g.iri(catalog, DCT + "creator", publisher_iri(base))
    g.iri(catalog, DCAT + "contactPoint", contact_iri(base))
    g.iri(catalog, FOAF + "homepage", base)
    g.iri(catalog, DCT + "license", LICENCE_EU)
    g.iri(catalog, DCAT + "themeTaxonomy", THEME_SCHEME)
    g.iri(catalog, DCT + "spatial", COUNTRY_NL)
    for lang in LANGUAGES:
        g.iri(catalog, DCT + "language", lang)
    g.iri(catalog, DCAT + "service", service)
    g.iri(catalog, DCAT + "dataset", main)

    # The whole dataset, its distributions and its parts (one per named graph).
    meta = meta_records(kstore, store)
    graphs = {row["graph"]: int(row["count"]) for row in kstore.rows("stats-by-graph", store=store)}
    g.a(main, DCAT + "Dataset")
    g.text(main, DCT + "title", DATASET_TITLE)
    g.text(main, DCT + "description", DATASET_DESCRIPTION)
    g.keywords(main)
    g.iri(main, DCT + "spatial", COUNTRY_NL)
    g.add(main, VOID + "triples", _literal(sum(graphs.values()), "integer"))
    modified = sorted(
        str(v.value)
        for record in meta.values()
        if DCAT + "Dataset" in {t.value for t in record.get(RDF_TYPE, [])}
        for v in record.get(DCT + "modified", [])
    )
    if modified:
        g.add(main, DCT + "modified", _literal(modified[-1], "dateTime"))
    if first_release or release:
        g.add(main, DCT + "issued", _literal(first_release or release["release"], "date"))  # type: ignore[index]
    _complete_dataset(g, base, main, {})

    if release:
        for f in release.get("files", []):
            _file_distribution(g, base, main, release["release"], f)
    sparql_dist = distribution_iri(base, "kiemen-sparql")
    _sparql_distribution(
        g,
        base,
        main,
        sparql_dist,
        msg("catalogue.sparql.all"),
    )

    served = [main]
    for subject, record in meta.items():
        types = {t.value for t in record.get(RDF_TYPE, [])}
        if DCAT + "Dataset" not in types or subject.startswith("_:"):
            continue
        g.iri(main, DCT + "hasPart", subject)
        g.iri(subject, DCT + "isPartOf", main)
        g.iri(catalog, DCAT + "dataset", subject)
        _copy_record(g, meta, subject, set())
        triples = graphs.get(subject)
        _complete_dataset(
            g,
            base,
            subject,
            {
                "title": msg("catalogue.graph.title", graph=subject),
                "description": (
                    msg("catalogue.graph.description", graph=subject)
                    if triples is None
                    else msg("catalogue.graph.description_counted", graph=subject, triples=triples)
                ),
            },
        )
        if subject in graphs:
            served.append(subject)
            name = (
                subject[len(settings.graph_ns) :].strip("/").replace("/", "-")
                if subject.startswith(settings.graph_ns)
                else hashlib.sha1(subject.encode(), usedforsecurity=False).hexdigest()[:12]
            )
            _sparql_distribution(
                g,
                base,
                subject,
                distribution_iri(base, f"graph-{name}-sparql"),
                msg("catalogue.sparql.graph", name=name),
                # a dataset with its own licence (a publisher's) keeps it on its distribution
                licence=next(
                    (o.value for o in record.get(DCT + "license", []) if o.value), LICENCE_EU
                ),
            )

    _data_service(g, base, served)
    return list(g.triples)


def _data_service(g: _Graph, base: str, served: list[str]) -> None:
    """The SPARQL endpoint as a data service."""
    service = service_iri(base)
    endpoint = base + "sparql"
    downloads_page = base + "downloads/"
    g.a(service, DCAT + "DataService")
    g.text(service, DCT + "title", msg("catalogue.service.title"))
    g.text(service, DCT + "description", msg("catalogue.service.description"))
    g.add(service, DCT + "identifier", ox.Literal(service))
    g.iri(service, DCAT + "endpointURL", endpoint)
    g.iri(service, DCAT + "endpointDescription", endpoint)
    g.iri(service, DCT + "conformsTo", SPARQL_PROTOCOL)
    g.iri(service, DCT + "publisher", publisher_iri(base))
    g.iri(service, DCT + "creator", publisher_iri(base))
    g.keywords(service)
    g.iri(service, DCAT + "contactPoint", contact_iri(base))
    for theme in THEMES:
        g.iri(service, DCAT + "theme", theme)
    g.iri(service, DCT + "license", LICENCE_EU)
    g.iri(service, DCT + "accessRights", ACCESS_PUBLIC)
    for lang in LANGUAGES:
        g.iri(service, DCT + "language", lang)
    g.iri(service, FOAF + "page", document_url(base))
    g.a(document_url(base), FOAF + "Document")
    for subject in served:
        g.iri(service, DCAT + "servesDataset", subject)
    g.a(endpoint, RDFS + "Resource")
    g.a(downloads_page, FOAF + "Document")


def _shared_nodes(g: _Graph, base: str) -> None:
    """Agents, contact, licence and the authority-table terms, typed as DCAT-AP expects."""
    pub = publisher_iri(base)
    g.a(pub, FOAF + "Agent", FOAF + "Organization")
    g.text(pub, FOAF + "name", PUBLISHER_NAME)
    g.iri(pub, FOAF + "homepage", base)
    g.iri(pub, DCT + "type", PUBLISHER_TYPE)
    g.a(PUBLISHER_TYPE, SKOS + "Concept")
    g.text(PUBLISHER_TYPE, SKOS + "prefLabel", {"en": "Non-Profit Organisation"})
    g.iri(PUBLISHER_TYPE, SKOS + "inScheme", "http://purl.org/adms/publishertype/1.0")
    g.a("http://purl.org/adms/publishertype/1.0", SKOS + "ConceptScheme")
    g.text("http://purl.org/adms/publishertype/1.0", DCT + "title", {"en": "Publisher Type"})

    contact = contact_iri(base)
    g.a(contact, VCARD + "Kind", VCARD + "Organization")
    g.text(contact, VCARD + "fn", PUBLISHER_NAME)
    g.iri(contact, VCARD + "hasURL", base)

    g.a(LICENCE_EU, DCT + "LicenseDocument")
    g.text(
        LICENCE_EU,
        RDFS + "label",
        {"": "Creative Commons Attribution 4.0 International (CC BY 4.0)"},
    )
    g.iri(LICENCE_EU, RDFS + "seeAlso", LICENCE)
    g.a(ACCESS_PUBLIC, DCT + "RightsStatement")
    g.text(ACCESS_PUBLIC, RDFS + "label", msg("catalogue.access.public"))
    g.a(THEME_SCHEME, SKOS + "ConceptScheme")
    g.text(THEME_SCHEME, DCT + "title", {"en": "Data theme"})
    for theme, label in THEMES.items():
        g.a(theme, SKOS + "Concept")
        g.text(theme, SKOS + "prefLabel", label)
        g.iri(theme, SKOS + "inScheme", THEME_SCHEME)
    for lang, name in LANGUAGES.items():
        g.a(lang, DCT + "LinguisticSystem")
        g.text(lang, RDFS + "label", {"": name})
    g.a(COUNTRY_NL, DCT + "Location")
    g.text(COUNTRY_NL, RDFS + "label", msg("catalogue.country.nl"))
    g.a(SPARQL_PROTOCOL, DCT + "Standard")
    g.text(SPARQL_PROTOCOL, RDFS + "label", {"en": "SPARQL 1.1 Protocol"})
    g.a(base, FOAF + "Document")
    g.a(base + "def/", DCT + "Standard")
    g.text(base + "def/", RDFS + "label", msg("catalogue.ontology"))


def _complete_dataset(g: _Graph, base: str, ds: str, texts: dict[str, Text]) -> None:
    """Add what DCAT-AP-NL requires (or recommends) where the record itself is silent."""
    g.a(ds, DCAT + "Dataset")
    if not g.has(ds, DCT + "title"):
        g.text(ds, DCT + "title", texts.get("title") or {"en": ds})
    if not g.has(ds, DCT + "description"):
        g.text(ds, DCT + "description", texts.get("description") or {"en": ds})
    if not g.has(ds, DCT + "identifier"):
        g.add(ds, DCT + "identifier", ox.Literal(ds))
    defaults: tuple[tuple[str, list[str]], ...] = (
        (DCT + "publisher", [publisher_iri(base)]),
        (DCT + "creator", [publisher_iri(base)]),
        (DCAT + "contactPoint", [contact_iri(base)]),
        (DCAT + "theme", list(THEMES)),
        (DCT + "accessRights", [ACCESS_PUBLIC]),
        (DCT + "license", [LICENCE_EU]),
        (DCT + "language", list(LANGUAGES)),
        (DCAT + "landingPage", [base]),
        (FOAF + "page", [base + "downloads/"]),
        (DCT + "conformsTo", [base + "def/"]),
    )
    for prop, iris in defaults:
        if not g.has(ds, prop):
            for iri in iris:
                g.iri(ds, prop, iri)


def _copy_record(
    g: _Graph, meta: dict[str, dict[str, list[Any]]], subject: str, done: set[str]
) -> None:
    """Copy a provenance record and what it links to in the meta graph (activities, sources)."""
    if subject in done:
        return
    done.add(subject)
    node: ox.NamedNode | ox.BlankNode = (
        ox.BlankNode(subject[2:]) if subject.startswith("_:") else ox.NamedNode(subject)
    )
    for p, values in meta.get(subject, {}).items():
        for o in values:
            if p in SKIPPED and isinstance(o, ox.Literal):
                continue
            g.add(node, p, o)
            key = (
                o.value
                if isinstance(o, ox.NamedNode)
                else "_:" + o.value
                if isinstance(o, ox.BlankNode)
                else None
            )
            if (
                key
                and key in meta
                and DCAT + "Dataset" not in {t.value for t in meta[key].get(RDF_TYPE, [])}
            ):
                _copy_record(g, meta, key, done)


def _file_distribution(g: _Graph, base: str, ds: str, release: str, f: dict[str, Any]) -> None:
    kind = KIND_BY_KEY.get(f.get("key", ""))
    if kind is None:
        return
    dist = distribution_iri(base, f"kiemen-{release}-{kind.key}")
    url = f"{base}downloads/{f['file']}"
    g.iri(ds, DCAT + "distribution", dist)
    g.a(dist, DCAT + "Distribution")
    # the catalogue states both languages (data, worded from the catalogues)
    g.text(dist, DCT + "title", msg("dumps.release", title=kind.title, release=release))
    g.text(dist, DCT + "description", kind.description)
    g.iri(dist, DCAT + "accessURL", url)
    g.iri(dist, DCAT + "downloadURL", url)
    g.a(url, RDFS + "Resource")
    media = IANA + kind.media_type
    g.iri(dist, DCAT + "mediaType", media)
    g.a(media, DCT + "MediaType")
    g.iri(dist, DCT + "format", FILE_TYPES[kind.key])
    g.a(FILE_TYPES[kind.key], DCT + "MediaTypeOrExtent")
    if kind.compressed:
        g.iri(dist, DCAT + "compressFormat", GZIP)
        g.a(GZIP, DCT + "MediaType")
    g.add(dist, DCAT + "byteSize", _literal(f["bytes"], "nonNegativeInteger"))
    checksum = ox.BlankNode()
    g.add(dist, SPDX + "checksum", checksum)
    g.a(checksum, SPDX + "Checksum")
    g.iri(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
    g.add(checksum, SPDX + "checksumValue", _literal(f["sha256"], "hexBinary"))
    g.a(SPDX + "checksumAlgorithm_sha256", SPDX + "ChecksumAlgorithm")
    g.iri(dist, DCT + "license", LICENCE_EU)
    g.add(dist, DCT + "issued", _literal(release, "date"))
    g.iri(dist, FOAF + "page", base + "downloads/")
    spec, spec_label = FORMAT_SPECS[kind.key]
    g.iri(dist, DCT + "conformsTo", spec)
    g.a(spec, DCT + "Standard")
    g.text(spec, RDFS + "label", {"": spec_label})
    for lang in LANGUAGES:
        g.iri(dist, DCT + "language", lang)


def _sparql_distribution(
    g: _Graph, base: str, ds: str, dist: str, title: Text, licence: str = LICENCE_EU
) -> None:
    g.iri(ds, DCAT + "distribution", dist)
    g.a(dist, DCAT + "Distribution")
    g.text(dist, DCT + "title", title)
    g.text(dist, DCT + "description", msg("catalogue.sparql.description"))
    g.iri(dist, DCAT + "accessURL", base + "sparql")
    g.iri(dist, DCAT + "accessService", service_iri(base))
    g.iri(dist, DCT + "license", licence)
    g.iri(dist, DCT + "conformsTo", SPARQL_PROTOCOL)
    for lang in LANGUAGES:
        g.iri(dist, DCT + "language", lang)


# -- the in-memory store of VoID and the catalogue -----------------------------------------

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str], tuple[tuple[Any, ...], Descriptions]] = {}


@dataclass(frozen=True)
class Descriptions:
    """VoID and the catalogue of one data generation and release.

    ``void`` and ``catalogue`` are the exact triples served as documents; ``store`` holds them
    in two named graphs (named by the documents' URLs) so that their IRIs can be described
    like any other thing. (Oxigraph's store normalises derived datatypes such as
    xsd:nonNegativeInteger to xsd:integer, hence the documents are not read back from it.)
    """

    void: list[ox.Triple]
    catalogue: list[ox.Triple]
    store: ox.Store


def _signature(kstore: KiemenStore, dumps: Path) -> tuple[Any, ...]:
    try:
        stamp = (Path(dumps) / "index.json").stat().st_mtime_ns
    except OSError:
        stamp = 0
    return (kstore.generation_id(), stamp)


def descriptions(kstore: KiemenStore, dumps: Path) -> Descriptions:
    """VoID and the catalogue, rebuilt when a generation is published or a release exported."""
    key = (str(kstore.root), kstore.settings.base_uri)
    signature = _signature(kstore, dumps)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached and cached[0] == signature:
            return cached[1]
    release = latest_release(dumps)
    known = [r["release"] for r in read_manifest(dumps).get("releases", []) if r.get("release")]
    base = kstore.settings.base_uri
    void = void_triples(kstore, release)
    catalogue = catalogue_triples(kstore, release, first_release=min(known, default=None))
    store = ox.Store()
    for graph, triples in ((document_url(base), void), (catalog_url(base), catalogue)):
        name = ox.NamedNode(graph)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
    result = Descriptions(void, catalogue, store)
    with _LOCK:
        _CACHE[key] = (signature, result)
    return result
