"""The publisher's record in the ``meta`` graph (the catalogue), completed inside each
generation by :func:`annotate_meta`, an index hook; and withdrawing a publisher's links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyoxigraph as ox

from core.config import Settings
from core.effects import Delta, delta
from core.messages import bundled, msg
from core.store import Generation, KiemenStore, graph_iri
from core.validation.graphs import validate_graphs
from core.vocab import (
    DCAT,
    DCT,
    EU,
    FOAF,
    IANA,
    RDF,
    RDFS,
    SKOS,
    VCARD,
)
from core.write import pipeline, provenance
from loaders.base import LoadError
from publishing.publishers import (
    Publisher,
    Registry,
)
from publishing.records import lit, n, value

ADMS_TYPE = "http://purl.org/adms/publishertype/"
RDF_TYPE = ox.NamedNode(RDF + "type")


# -------------------------------------------------------------------------------------------------
# the publisher's record in the meta graph (catalogue), completed inside each generation


def annotate_meta(gen: Generation, kstore: KiemenStore) -> None:
    """Give every publisher graph's DCAT record its publisher, licence and contact point.

    Runs as an index hook (after the loaders recorded provenance, before publishing), so the
    record and the data change in the same atomic generation.
    """
    settings = kstore.settings
    store = gen.store
    meta = graph_iri(settings, "meta")
    prefix = settings.graph_ns + "publishers/"
    graphs = [
        q.subject.value
        for q in store.quads_for_pattern(None, RDF_TYPE, n(DCAT + "Dataset"), meta)
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix)
    ]
    if not graphs:
        return
    registry = Registry(settings)
    for graph in graphs:
        code, _, part = graph[len(prefix) :].partition("/")
        publisher = registry.get(code)
        if publisher is None:
            continue
        source = next(iter(store.quads_for_pattern(n(graph), n(DCT + "source"), None, meta)), None)
        version = ""
        if source is not None and "/v" in value(source.object):
            version = value(source.object).rsplit("/v", 1)[-1]
        _describe(store, meta, settings, publisher, graph, part, version)


_MANAGED = (
    DCT + "title",
    DCT + "description",
    DCT + "publisher",
    DCT + "creator",
    DCT + "license",
    DCAT + "contactPoint",
    DCT + "identifier",
    DCAT + "landingPage",
    DCAT + "version",
    DCAT + "distribution",
    DCAT + "keyword",
    DCT + "spatial",
)


def _describe(
    store: ox.Store,
    meta: ox.NamedNode,
    settings: Settings,
    publisher: Publisher,
    graph: str,
    part: str,
    version: str,
) -> None:
    g = n(graph)
    for p in _MANAGED:
        for q in list(store.quads_for_pattern(g, n(p), None, meta)):
            store.remove(q)
    base = settings.base_uri
    agent = publisher.agent
    contact = publisher.id_ns(settings) + "contact"
    page = f"{base}publish/{publisher.code}"
    licence = publisher.licence
    kind = "LocalAuthority" if publisher.body.type == "gemeente" else "RegionalAuthority"
    dist = publisher.id_ns(settings) + "distribution/turtle"
    download = f"{base}publish/{publisher.code}/versions/latest.ttl"
    for node in (agent, contact, page, dist, download):
        for q in list(store.quads_for_pattern(n(node), None, None, meta)):
            store.remove(q)
    # The catalogue entry states its texts in both languages (data, worded from the catalogues).
    words = bundled()
    if part == "links":
        title = msg("publishing.dcat.links.title", name=publisher.name)
        about = msg("publishing.dcat.links.description", name=publisher.name)
    else:
        title = msg("publishing.dcat.data.title", name=publisher.name)
        about = msg("publishing.dcat.data.description", name=publisher.name)
    titles, texts = words.both(title), words.both(about)
    quads: list[tuple[str, str, ox.NamedNode | ox.Literal]] = []
    for lang, text in titles.items():
        quads.append((graph, DCT + "title", lit(text, lang=lang)))
    for lang, text in texts.items():
        quads.append((graph, DCT + "description", lit(text, lang=lang)))
    quads += [
        (graph, DCT + "identifier", lit(graph)),
        (graph, DCT + "publisher", n(agent)),
        (graph, DCT + "creator", n(agent)),
        (graph, DCAT + "contactPoint", n(contact)),
        (graph, DCT + "license", n(licence.iri)),
        (graph, DCAT + "landingPage", n(page)),
        (page, RDF + "type", n(FOAF + "Document")),
        (agent, RDF + "type", n(FOAF + "Agent")),
        (agent, RDF + "type", n(FOAF + "Organization")),
        (agent, FOAF + "name", lit(publisher.name, lang="nl")),
        (agent, DCT + "type", n(ADMS_TYPE + kind)),
        (agent, DCT + "identifier", lit(publisher.code)),
        (ADMS_TYPE + kind, RDF + "type", n(SKOS + "Concept")),
        (
            ADMS_TYPE + kind,
            SKOS + "prefLabel",
            lit("Local Authority" if kind == "LocalAuthority" else "Regional Authority", lang="en"),
        ),
        (ADMS_TYPE + kind, SKOS + "inScheme", n(ADMS_TYPE + "1.0")),
        (contact, RDF + "type", n(VCARD + "Kind")),
        (contact, RDF + "type", n(VCARD + "Organization")),
        # the public contact point is the organisation and its page; the contact person and
        # address given at registration stay private (publishers.sqlite3, never a graph)
        (contact, VCARD + "fn", lit(publisher.name)),
        (contact, VCARD + "hasURL", n(publisher.contact_url or page)),
        (licence.iri, RDF + "type", n(DCT + "LicenseDocument")),
        (licence.iri, RDFS + "label", lit(licence.label)),
        (licence.iri, RDFS + "seeAlso", n(licence.url)),
    ]
    if version:
        quads.append((graph, DCAT + "version", lit(version)))
    if part != "links":
        quads += [
            (graph, DCAT + "distribution", n(dist)),
            (dist, RDF + "type", n(DCAT + "Distribution")),
            *(
                (dist, DCT + "title", lit(said, lang=lang))
                for lang, said in words.both(
                    msg("publishing.dcat.turtle.title", title=title)
                ).items()
            ),
            *(
                (dist, DCT + "description", lit(said, lang=lang))
                for lang, said in words.both(msg("publishing.dcat.turtle.description")).items()
            ),
            (dist, DCAT + "accessURL", n(download)),
            (dist, DCAT + "downloadURL", n(download)),
            (download, RDF + "type", n(RDFS + "Resource")),
            (dist, DCAT + "mediaType", n(IANA + "text/turtle")),
            (IANA + "text/turtle", RDF + "type", n(DCT + "MediaType")),
            (dist, DCT + "format", n(EU + "file-type/RDF_TURTLE")),
            (EU + "file-type/RDF_TURTLE", RDF + "type", n(DCT + "MediaTypeOrExtent")),
            (dist, DCT + "license", n(licence.iri)),
            (dist, FOAF + "page", n(page)),
        ]
    store.extend(ox.Quad(n(s), n(p), o, meta) for s, p, o in quads)


class _WithdrawLinks:
    """Removing a publisher's links graph, as a writer of :func:`core.write.pipeline.run`."""

    def __init__(
        self, kstore: KiemenStore, publisher: Publisher, agent: str, agent_label: str
    ) -> None:
        settings = kstore.settings
        self.kstore = kstore
        self.graph = n(publisher.links_graph(settings))
        self.data = publisher.data_graph(settings)
        self.meta = graph_iri(settings, provenance.META_GRAPH)
        self.agent = agent
        self.agent_label = agent_label
        self.started = dt.datetime.now(dt.UTC)
        self.removed = 0

    def authorise(self, gen: Generation) -> None:
        """The caller has checked the publisher's token; the graph is that publisher's own."""

    def write(self, gen: Generation) -> None:
        self.removed = sum(1 for _ in gen.store.quads_for_pattern(None, None, None, self.graph))
        gen.store.remove_graph(self.graph)
        for q in list(gen.store.quads_for_pattern(self.graph, None, None, self.meta)):
            gen.store.remove(q)

    def validate(self, gen: Generation) -> None:
        """The publisher's data, which the links described, still meets the shapes."""
        problems = validate_graphs(self.kstore, gen, [self.data])
        if any(p.severity == "error" for p in problems):
            raise LoadError(problems)

    def provenance(self, gen: Generation) -> None:
        provenance.record_write(
            gen.store,
            self.kstore.settings,
            {self.graph.value: (0, self.removed)},
            kind="unlink",
            agent=self.agent,
            agent_label=self.agent_label,
            started=self.started,
        )

    def close(self) -> None:
        pass

    def index_delta(self, gen: Generation) -> Delta | None:
        """The links graph and the meta graph, diffed against the parent generation."""
        return delta(gen, [self.graph.value, self.meta.value], {})


def withdraw_links_graph(
    kstore: KiemenStore,
    publisher: Publisher,
    agent: str,
    agent_label: str = "",
    before_publish: Callable[[str], None] | None = None,
) -> bool:
    """Remove the links graph and its record (when the last confirmed link is undone), through
    the write pipeline; ``agent`` (a token's id) and its label go into the write record, and
    ``before_publish(generation)`` writes the caller's records that become true with it.
    False (nothing written) when the publisher has no links graph."""
    if not kstore.reader().contains_named_graph(n(publisher.links_graph(kstore.settings))):
        return False
    writer = _WithdrawLinks(kstore, publisher, agent, agent_label)
    pipeline.run(kstore, writer, before_publish=before_publish)
    return True
