"""Provenance of every load, written as PROV-O and DCAT into the ``meta`` graph.

One record per named graph, replaced on each load, says where the graph came from (location and
SHA-256 of each file), when, by which loader and version, how many triples it holds and how
validation went — so the catalogue and the portal can show where every graph came from.
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pyoxigraph as ox

from core.config import Settings
from core.problems import LoadStats
from core.store import graph_iri
from core.vocab import DCAT, DCT, PROV, SPDX, VOID, XSD

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
META_GRAPH = "meta"


def kiemen_version() -> str:
    try:
        return version("kiemen")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def _lit(value: object, datatype: str | None = None) -> ox.Literal:
    if datatype:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))
    return ox.Literal(str(value))


def record(
    store: ox.Store,
    settings: Settings,
    graph: ox.NamedNode,
    *,
    title: str,
    loader: str,
    location: str,
    stats: LoadStats,
    started: dt.datetime,
    conforms: bool,
    triples: int,
    errors: int,
    warnings: int,
) -> None:
    """Replace the provenance record of ``graph`` in the meta graph."""
    meta = graph_iri(settings, META_GRAPH)
    # Drop the previous record: the graph node's own statements and its activity's.
    old_activities: list[Any] = [
        q.object
        for q in store.quads_for_pattern(graph, ox.NamedNode(PROV + "wasGeneratedBy"), None, meta)
    ]
    for node in [graph, *old_activities]:
        for q in list(store.quads_for_pattern(node, None, None, meta)):
            if isinstance(q.object, ox.BlankNode):
                for q2 in list(store.quads_for_pattern(q.object, None, None, meta)):
                    store.remove(q2)
            store.remove(q)
    ended = dt.datetime.now(dt.UTC)
    stamp = ended.strftime("%Y%m%dT%H%M%S%fZ")
    activity = ox.NamedNode(f"{settings.id_ns}load/{stamp}")
    software = ox.NamedNode(f"{settings.id_ns}software/kiemen-{loader}-loader")
    quads = [
        ox.Quad(graph, RDF_TYPE, ox.NamedNode(DCAT + "Dataset"), meta),
        ox.Quad(graph, RDF_TYPE, ox.NamedNode(PROV + "Entity"), meta),
        ox.Quad(
            graph,
            RDF_TYPE,
            ox.NamedNode("http://www.w3.org/ns/sparql-service-description#NamedGraph"),
            meta,
        ),
        ox.Quad(graph, ox.NamedNode(DCT + "title"), ox.Literal(title), meta),
        ox.Quad(graph, ox.NamedNode(DCT + "source"), _lit(location), meta),
        ox.Quad(graph, ox.NamedNode(DCT + "modified"), _lit(ended.isoformat(), "dateTime"), meta),
        ox.Quad(graph, ox.NamedNode(VOID + "triples"), _lit(triples, "integer"), meta),
        ox.Quad(graph, ox.NamedNode(PROV + "wasGeneratedBy"), activity, meta),
        ox.Quad(
            graph,
            ox.NamedNode(settings.def_ns + "validationConforms"),
            _lit(str(conforms).lower(), "boolean"),
            meta,
        ),
        ox.Quad(
            graph, ox.NamedNode(settings.def_ns + "validationErrors"), _lit(errors, "integer"), meta
        ),
        ox.Quad(
            graph,
            ox.NamedNode(settings.def_ns + "validationWarnings"),
            _lit(warnings, "integer"),
            meta,
        ),
        *_activity(activity, f"{loader} load of {location}", started, ended, meta),
        *_run_by(activity, software, f"Kiemen {loader} loader", meta),
    ]
    if stats.license:  # imported data keeps its own licence (e.g. Participedia's ShareAlike)
        licence = ox.NamedNode(stats.license)
        quads.append(ox.Quad(graph, ox.NamedNode(DCT + "license"), licence, meta))
    for note in stats.notes:
        quads.append(
            ox.Quad(
                activity,
                ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                ox.Literal(note),
                meta,
            )
        )
    for i, (loc, digest) in enumerate(stats.files):
        used = ox.NamedNode(f"{settings.id_ns}load/{stamp}/source/{i}")
        quads += [
            ox.Quad(activity, ox.NamedNode(PROV + "used"), used, meta),
            ox.Quad(graph, ox.NamedNode(PROV + "wasDerivedFrom"), used, meta),
            *_located(used, loc, digest, meta),
        ]
    store.extend(quads)


def _run_by(
    activity: ox.NamedNode, software: ox.NamedNode, label: str, meta: ox.NamedNode
) -> list[ox.Quad]:
    """The activity was carried out by this Kiemen software, at this release."""
    return [
        ox.Quad(activity, ox.NamedNode(PROV + "wasAssociatedWith"), software, meta),
        ox.Quad(software, RDF_TYPE, ox.NamedNode(PROV + "SoftwareAgent"), meta),
        ox.Quad(software, RDFS_LABEL, ox.Literal(label), meta),
        ox.Quad(
            software,
            ox.NamedNode("http://usefulinc.com/ns/doap#revision"),
            ox.Literal(kiemen_version()),
            meta,
        ),
    ]


def _located(entity: ox.NamedNode, location: str, digest: str, meta: ox.NamedNode) -> list[ox.Quad]:
    """A file read: a ``prov:Entity`` at its location with its SHA-256 as an SPDX checksum."""
    checksum = ox.BlankNode()
    return [
        ox.Quad(entity, RDF_TYPE, ox.NamedNode(PROV + "Entity"), meta),
        ox.Quad(entity, ox.NamedNode(PROV + "atLocation"), _lit(location), meta),
        ox.Quad(entity, ox.NamedNode(SPDX + "checksum"), checksum, meta),
        ox.Quad(
            checksum,
            ox.NamedNode(SPDX + "algorithm"),
            ox.NamedNode(SPDX + "checksumAlgorithm_sha256"),
            meta,
        ),
        ox.Quad(checksum, ox.NamedNode(SPDX + "checksumValue"), _lit(digest), meta),
    ]


def record_restore(
    store: ox.Store,
    settings: Settings,
    graphs: list[ox.NamedNode],
    *,
    location: str,
    digest: str,
    started: dt.datetime,
    made_by: list[str],
    moved_from: str | None = None,
) -> ox.NamedNode:
    """Mark ``graphs`` as restored from a Kiemen dump, keeping the dump's own records.

    The records the dump carries (where each graph first came from, its checksums, its
    validation) stay as they were; one restore activity is added beside them, naming the dump
    file and its SHA-256, and each graph gets ``prov:wasInfluencedBy`` that activity. So the
    meta graph of a restored store is the original one plus exactly this record.
    """
    meta = graph_iri(settings, META_GRAPH)
    ended = dt.datetime.now(dt.UTC)
    stamp = ended.strftime("%Y%m%dT%H%M%S%fZ")
    activity = ox.NamedNode(f"{settings.id_ns}restore/{stamp}")
    dump = ox.NamedNode(f"{settings.id_ns}restore/{stamp}/dump")
    software = ox.NamedNode(f"{settings.id_ns}software/kiemen-restore")
    label = f"restore of {location}"
    if made_by:
        label += f" (written by Kiemen {', '.join(made_by)})"
    quads = [
        *_activity(activity, label, started, ended, meta),
        ox.Quad(activity, ox.NamedNode(PROV + "used"), dump, meta),
        *_run_by(activity, software, "Kiemen restore", meta),
        *_located(dump, location, digest, meta),
    ]
    if moved_from:
        quads.append(
            ox.Quad(
                activity,
                ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                ox.Literal(f"IRIs under {moved_from} moved onto {settings.base_uri}"),
                meta,
            )
        )
    for graph in graphs:
        quads.append(ox.Quad(graph, ox.NamedNode(PROV + "wasInfluencedBy"), activity, meta))
    store.extend(quads)
    return activity


#: Where the records of ``kiemen migrate-base`` live (``{id}migrate-base/{stamp}``); their texts
#: name the base the store moved from, and a later migration leaves them as they are.
MIGRATION_PATH = "migrate-base/"


def record_migration(
    store: ox.Store,
    settings: Settings,
    graphs: list[ox.NamedNode],
    *,
    old: str,
    rewritten: int,
    started: dt.datetime,
) -> ox.NamedNode:
    """Record ``kiemen migrate-base``: one activity saying which base the IRIs moved from and
    how many statements were rewritten; each rewritten graph gets ``prov:wasInfluencedBy`` it.
    The graphs' own records (already rewritten with them) stay as they were."""
    meta = graph_iri(settings, META_GRAPH)
    ended = dt.datetime.now(dt.UTC)
    stamp = ended.strftime("%Y%m%dT%H%M%S%fZ")
    activity = ox.NamedNode(f"{settings.id_ns}{MIGRATION_PATH}{stamp}")
    software = ox.NamedNode(f"{settings.id_ns}software/kiemen-migrate-base")
    label = f"migrate-base from {old} to {settings.base_uri}"
    quads = [
        *_activity(activity, label, started, ended, meta),
        *_run_by(activity, software, "Kiemen migrate-base", meta),
        ox.Quad(
            activity,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
            ox.Literal(
                f"IRIs under {old} moved onto {settings.base_uri}: {rewritten} statements rewritten"
            ),
            meta,
        ),
    ]
    for graph in graphs:
        quads.append(ox.Quad(graph, ox.NamedNode(PROV + "wasInfluencedBy"), activity, meta))
    store.extend(quads)
    return activity


#: Where the records of writes over HTTP live (``{id}write/{stamp}``).
WRITE_PATH = "write/"


def record_write(
    store: ox.Store,
    settings: Settings,
    changes: dict[str, tuple[int, int]],
    *,
    kind: str,
    agent: str,
    agent_label: str,
    started: dt.datetime,
) -> ox.NamedNode:
    """Record a write over HTTP: who (a token's id and name, never its secret), when, and how
    many statements each graph gained and lost (``changes``: graph IRI, ``""`` for the default
    graph, to added and removed).

    Each graph links to its latest write with ``prov:wasInfluencedBy`` (not
    ``prov:wasGeneratedBy``, which marks the graphs a loader fills and HTTP may not change); a
    graph's earlier write record is replaced, so the meta graph does not grow with every write.
    """
    meta = graph_iri(settings, META_GRAPH)
    prefix = settings.id_ns + WRITE_PATH
    influenced = ox.NamedNode(PROV + "wasInfluencedBy")
    default = ox.NamedNode(prefix + "default-graph")  # stands for the default graph

    def node(graph: str) -> ox.NamedNode:
        return ox.NamedNode(graph) if graph else default

    for graph in changes:
        for q in list(store.quads_for_pattern(node(graph), influenced, None, meta)):
            if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(prefix):
                store.remove(q)
                _drop_write_if_orphaned(store, q.object, meta)
    ended = dt.datetime.now(dt.UTC)
    stamp = ended.strftime("%Y%m%dT%H%M%S%fZ")
    activity = ox.NamedNode(f"{prefix}{stamp}")
    who = ox.NamedNode(f"{settings.id_ns}token/{agent}")
    def_ns = settings.def_ns
    quads = [
        *_activity(activity, f"{kind} by token {agent}", started, ended, meta),
        ox.Quad(activity, ox.NamedNode(def_ns + "writeKind"), ox.Literal(kind), meta),
        ox.Quad(activity, ox.NamedNode(PROV + "wasAssociatedWith"), who, meta),
        ox.Quad(who, RDF_TYPE, ox.NamedNode(PROV + "Agent"), meta),
        ox.Quad(who, RDFS_LABEL, ox.Literal(agent_label or agent), meta),
    ]
    for i, (graph, (added, removed)) in enumerate(sorted(changes.items())):
        change = ox.NamedNode(f"{prefix}{stamp}/graph/{i}")
        quads += [
            ox.Quad(activity, ox.NamedNode(def_ns + "changedGraph"), change, meta),
            ox.Quad(change, ox.NamedNode(def_ns + "statementsAdded"), _lit(added, "integer"), meta),
            ox.Quad(
                change, ox.NamedNode(def_ns + "statementsRemoved"), _lit(removed, "integer"), meta
            ),
        ]
        quads.append(ox.Quad(change, ox.NamedNode(DCT + "subject"), node(graph), meta))
        quads.append(ox.Quad(node(graph), influenced, activity, meta))
        if not graph:
            quads.append(ox.Quad(default, RDFS_LABEL, ox.Literal("the default graph"), meta))
    store.extend(quads)
    return activity


def _drop_write_if_orphaned(store: ox.Store, activity: ox.NamedNode, meta: ox.NamedNode) -> None:
    """Remove a write record no graph refers to any more (with its per-graph entries)."""
    if next(iter(store.quads_for_pattern(None, None, activity, meta)), None) is not None:
        return
    for q in list(store.quads_for_pattern(activity, None, None, meta)):
        if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(activity.value + "/"):
            for q2 in list(store.quads_for_pattern(q.object, None, None, meta)):
                store.remove(q2)
        store.remove(q)


def is_write_record(quad: ox.Quad, settings: Settings) -> bool:
    """Whether a quad of the meta graph belongs to the records of writes over HTTP."""
    prefix = settings.id_ns + WRITE_PATH
    s, o = quad.subject, quad.object
    if isinstance(s, ox.NamedNode) and s.value.startswith((prefix, settings.id_ns + "token/")):
        return True
    return (
        quad.predicate.value == PROV + "wasInfluencedBy"
        and isinstance(o, ox.NamedNode)
        and o.value.startswith(prefix)
    )


def keep_write_records(store: ox.Store, published: ox.Store | None, settings: Settings) -> None:
    """Make the write records in ``store`` exactly those of the ``published`` generation.

    They are the store's history, not the writer's data: whatever an update did to them (a
    ``CLEAR ALL`` empties the meta graph too) is undone before its own record is added.
    """
    meta = graph_iri(settings, META_GRAPH)
    for q in list(store.quads_for_pattern(None, None, None, meta)):
        if is_write_record(q, settings):
            store.remove(q)
    if published is not None:
        store.extend(
            q
            for q in published.quads_for_pattern(None, None, None, meta)
            if is_write_record(q, settings)
        )


def _activity(
    activity: ox.NamedNode,
    label: str,
    started: dt.datetime,
    ended: dt.datetime,
    meta: ox.NamedNode,
) -> list[ox.Quad]:
    """A prov:Activity with its label and its start and end."""
    return [
        ox.Quad(activity, RDF_TYPE, ox.NamedNode(PROV + "Activity"), meta),
        ox.Quad(activity, RDFS_LABEL, ox.Literal(label), meta),
        ox.Quad(
            activity,
            ox.NamedNode(PROV + "startedAtTime"),
            _lit(started.isoformat(), "dateTime"),
            meta,
        ),
        ox.Quad(
            activity, ox.NamedNode(PROV + "endedAtTime"), _lit(ended.isoformat(), "dateTime"), meta
        ),
    ]
