"""The VoID description of the dataset, served at ``/.well-known/void``.

It names the SPARQL endpoint, the dumps, example resources, the vocabularies used, the licence,
and partitions by class and by property with their counts; each named graph is a subset whose
figures and provenance come from the ``meta`` graph the loaders write. All URLs are under the
configured base URI, so the description does not depend on who asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from core.licence import LICENCE
from core.messages import Text, bundled, msg
from core.store import KiemenStore, graph_iri
from core.vocab import DCT, FOAF, FORMATS, PROV, RDF_TYPE, SD, VOID, XSD

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
META_GRAPH = "meta"

#: The datasets Kiemen links to (see loaders.links_out), as the ``target`` of the
#: ``void-linksets`` query: title (a catalogue text), homepage and URI space (None for the open
#: web).
LINK_TARGETS: dict[str, tuple[Text, str | None, str | None]] = {
    "geonames": (
        msg("void.target.geonames.title"),
        "https://www.geonames.org/",
        "https://sws.geonames.org/",
    ),
    "participedia": (
        msg("void.target.participedia.title"),
        "https://participedia.net/",
        "https://participedia.net/",
    ),
    "web": (msg("void.target.web.title"), None, None),
}

#: Title and description of the whole dataset, shared by VoID and the DCAT catalogue (both state
#: them in Dutch and English, worded from the catalogues).
DATASET_TITLE = msg("void.dataset.title")
DATASET_DESCRIPTION = msg("void.dataset.description")

#: What the provenance record of a graph contributes to its VoID subset.
SUBSET_PROPERTIES = (
    DCT + "title",
    DCT + "description",
    DCT + "modified",
    DCT + "publisher",
    DCT + "license",
    PROV + "wasGeneratedBy",
    PROV + "wasDerivedFrom",
)


def dataset_iri(base: str) -> str:
    """The IRI of the whole Kiemen dataset (VoID and DCAT describe the same thing)."""
    return f"{base}id/dataset/kiemen"


def document_url(base: str) -> str:
    return f"{base}.well-known/void"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(int(value)), datatype=_n(XSD + "integer"))


def namespace_of(iri: str) -> str:
    """The vocabulary an IRI belongs to: everything up to its last ``#`` or ``/``."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri


def void_triples(
    kstore: KiemenStore, release: dict[str, Any] | None, store: ox.Store | None = None
) -> list[ox.Triple]:
    """The VoID description as triples (``release``: the latest dumps, see core.write.dumps)."""
    settings = kstore.settings
    base = settings.base_uri
    ds = _n(dataset_iri(base))
    doc = _n(document_url(base))
    t: list[ox.Triple] = []

    def add(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        t.append(ox.Triple(s, _n(p), o))

    add(doc, RDF_TYPE, _n(VOID + "DatasetDescription"))
    for lang, text in bundled().both(msg("void.document.title")).items():
        add(doc, DCT + "title", ox.Literal(text, language=lang))
    add(doc, FOAF + "primaryTopic", ds)

    add(ds, RDF_TYPE, _n(VOID + "Dataset"))
    for prop, texts in ((DCT + "title", DATASET_TITLE), (DCT + "description", DATASET_DESCRIPTION)):
        for lang, text in bundled().both(texts).items():
            add(ds, prop, ox.Literal(text, language=lang))
    add(ds, DCT + "license", _n(LICENCE))
    add(ds, FOAF + "homepage", _n(base))
    add(ds, VOID + "sparqlEndpoint", _n(base + "sparql"))
    add(ds, VOID + "uriSpace", ox.Literal(settings.id_ns))
    add(ds, VOID + "rootResource", _n(settings.def_ns))
    for fmt in ("Turtle", "JSON-LD", "N-Triples", "RDF_XML", "TriG", "N-Quads"):
        add(ds, VOID + "feature", _n(FORMATS + fmt))
    if release:
        for f in release.get("files", []):
            if f.get("key") in ("nquads", "turtle"):
                add(ds, VOID + "dataDump", _n(f"{base}downloads/{f['file']}"))
    for row in kstore.rows("void-example-resources", store=store):
        if row.get("resource"):
            add(ds, VOID + "exampleResource", _n(row["resource"]))

    _subsets(kstore, ds, add, store)
    _partitions(kstore, ds, add, store)
    linksets(kstore, ds, add, store)
    return t


def _subsets(kstore: KiemenStore, ds: ox.NamedNode, add: Any, store: ox.Store | None) -> None:
    """One subset per named graph, with the figures of its provenance record."""
    settings = kstore.settings
    graphs = kstore.rows("stats-by-graph", store=store)
    total = sum(int(r["count"]) for r in graphs)
    add(ds, VOID + "triples", _int(total))
    meta = _meta_records(kstore, graph_iri(settings, META_GRAPH).value, store)
    for row in graphs:
        g = _n(row["graph"])
        add(ds, VOID + "subset", g)
        add(g, RDF_TYPE, _n(VOID + "Dataset"))
        add(g, RDF_TYPE, _n(SD + "NamedGraph"))
        add(g, SD + "name", g)
        add(g, VOID + "triples", _int(row["count"]))
        add(g, VOID + "sparqlEndpoint", _n(settings.base_uri + "sparql"))
        for p, values in meta.get(g.value, {}).items():
            if p in SUBSET_PROPERTIES:
                for o in values:
                    add(g, p, o)


def _partitions(kstore: KiemenStore, ds: ox.NamedNode, add: Any, store: ox.Store | None) -> None:
    """Partitions by class and by property; vocabularies from the properties and classes used."""
    vocabularies: set[str] = set()
    for i, row in enumerate(kstore.rows("void-class-partitions", store=store)):
        part = _n(f"{ds.value}/class-partition/{i + 1}")
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", _n(row["class"]))
        add(part, VOID + "entities", _int(row["entities"]))
        vocabularies.add(namespace_of(row["class"]))
    for i, row in enumerate(kstore.rows("void-property-partitions", store=store)):
        part = _n(f"{ds.value}/property-partition/{i + 1}")
        add(ds, VOID + "propertyPartition", part)
        add(part, VOID + "property", _n(row["property"]))
        add(part, VOID + "triples", _int(row["triples"]))
        vocabularies.add(namespace_of(row["property"]))
    for ns in sorted(vocabularies):
        add(ds, VOID + "vocabulary", _n(ns))


def linksets(
    kstore: KiemenStore,
    ds: ox.NamedNode,
    add: Any,
    store: ox.Store | None = None,
) -> None:
    """One ``void:Linkset`` per target dataset and link property, counted from the store."""
    described: set[str] = set()
    for row in kstore.rows("void-linksets", store=store):
        key = str(row["target"])
        if key not in LINK_TARGETS:
            continue
        prop = str(row["p"])
        local = prop.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        linkset = _n(f"{ds.value}/linkset/{key}-{local}")
        target = _n(f"{ds.value}/target/{key}")
        title, homepage, space = LINK_TARGETS[key]
        add(ds, VOID + "subset", linkset)
        add(linkset, RDF_TYPE, _n(VOID + "Linkset"))
        add(linkset, VOID + "subjectsTarget", ds)
        add(linkset, VOID + "objectsTarget", target)
        add(linkset, VOID + "linkPredicate", _n(prop))
        add(linkset, VOID + "triples", _int(row["triples"]))
        linkset_title = msg("void.linkset.title", target=title, property=local)
        for lang, text in bundled().both(linkset_title).items():
            add(linkset, DCT + "title", ox.Literal(text, language=lang))
        if key in described:
            continue
        described.add(key)
        add(target, RDF_TYPE, _n(VOID + "Dataset"))
        for lang, text in bundled().both(title).items():
            add(target, DCT + "title", ox.Literal(text, language=lang))
        if homepage:
            add(target, FOAF + "homepage", _n(homepage))
        if space:
            add(target, VOID + "uriSpace", ox.Literal(space))


def _meta_records(
    kstore: KiemenStore, meta_graph: str, store: ox.Store | None
) -> dict[str, dict[str, list[Any]]]:
    """The meta graph as {subject: {property: [objects]}} (terms kept as pyoxigraph terms)."""
    out: dict[str, dict[str, list[Any]]] = {}
    for row in kstore.run("catalogue-meta", {"g": ox.NamedNode(meta_graph)}, store=store):
        s = row["s"]
        out.setdefault(s.value if isinstance(s, ox.NamedNode) else "_:" + s.value, {}).setdefault(
            row["p"].value, []
        ).append(row["o"])
    return out


def meta_records(
    kstore: KiemenStore, store: ox.Store | None = None
) -> dict[str, dict[str, list[Any]]]:
    """Public view of the provenance records, keyed by subject IRI (blank nodes as ``_:id``)."""
    return _meta_records(kstore, graph_iri(kstore.settings, META_GRAPH).value, store)


def iter_iris(triples: Iterable[ox.Triple]) -> set[str]:
    out: set[str] = set()
    for tr in triples:
        for term in (tr.subject, tr.predicate, tr.object):
            if isinstance(term, ox.NamedNode):
                out.add(term.value)
    return out
