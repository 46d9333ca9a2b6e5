"""Build the portal's browsing index and full-text index inside a new store generation.

Registered in :data:`loaders.INDEX_HOOKS`: :func:`loaders.load` calls :func:`build_indexes`
after validation and before publishing, so the indexes in ``gen-*/search/`` always describe
exactly the data of their generation. Everything is read with the stored ``index-*`` queries.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox

from portal import facets, search
from portal.store import Generation, KiemenStore

SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

#: Name properties, best first, for things that have several.
NAME_PROPS = (SKOS + "prefLabel", DCT + "title", RDFS + "label")


def _solutions(kstore: KiemenStore, name: str, store: ox.Store) -> Iterator[dict[str, Any]]:
    result = kstore.run(name, {}, store=store)
    names = [v.value for v in result.variables]
    for s in result:
        yield {n: s[n] for n in names}


def _lang(term: Any) -> str:
    return (getattr(term, "language", None) or "") if isinstance(term, ox.Literal) else ""


def _put(target: dict[str, str], term: Any) -> None:
    lang = _lang(term)
    target.setdefault(lang, term.value)


def collect(
    gen: Generation, kstore: KiemenStore
) -> tuple[facets.IndexInput, list[search.SearchDoc]]:
    """Read what the indexes need from the new generation."""
    store = gen.store
    settings = kstore.settings
    initiatives: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"label": {}, "description": {}, "alt": {}}
    )
    for row in _solutions(kstore, "index-initiatives", store):
        iri, p, o = row["initiative"].value, row["p"].value, row["o"]
        rec = initiatives[iri]
        if p == SKOS + "prefLabel":
            _put(rec["label"], o)
        elif p == SKOS + "altLabel":
            rec["alt"].setdefault(_lang(o), [])
            rec["alt"][_lang(o)].append(o.value)
        elif p == DCT + "description":
            _put(rec["description"], o)
        elif p == SCHEMA + "startDate":
            rec["start"] = min(rec.get("start") or o.value, o.value)
        elif p == SCHEMA + "endDate":
            rec["end"] = max(rec.get("end") or o.value, o.value)
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in _solutions(kstore, "index-initiative-facets", store):
        value = row["value"]
        if value is None:
            continue
        pairs[row["facet"].value].add((row["initiative"].value, value.value))
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    by_prop: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for row in _solutions(kstore, "index-labels", store):
        by_prop[row["thing"].value][row["p"].value].setdefault(
            _lang(row["label"]), row["label"].value
        )
    for iri, props in by_prop.items():
        for p in NAME_PROPS:
            if p in props:
                labels[iri] = dict(props[p])
                break
    places: dict[str, dict[str, Any]] = {}
    for row in _solutions(kstore, "index-places", store):
        try:
            lat, long = float(row["lat"].value), float(row["long"].value)
        except ValueError:
            continue
        places[row["place"].value] = {
            "lat": lat,
            "long": long,
            "type": row["type"].value if row["type"] is not None else None,
        }
    scores: dict[str, tuple[float, float]] = {}
    for row in _solutions(kstore, "index-form-scores", store):
        try:
            scores[row["form"].value] = (float(row["own"].value), float(row["joint"].value))
        except ValueError:
            continue
    involvements = []
    for row in _solutions(kstore, "index-involvements", store):
        stated = row["stated"] is not None and row["stated"].value == "true"
        involvements.append(
            (row["initiative"].value, row["actor"].value, row["role"].value, stated)
        )
    kinds = {}
    for r in kstore.rows("stats-by-kind", {}, store=store):
        kinds[str(r["kind"]).rsplit("/", 1)[-1].rsplit("#", 1)[-1]] = int(r["count"] or 0)
    supports: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in kstore.rows("document-supports", {}, store=store):
        supports[str(r["document"])].append((str(r["kind"]), int(r["count"] or 0)))
    data = facets.IndexInput(
        base=settings.base_uri,
        initiatives=dict(initiatives),
        facet_pairs=dict(pairs),
        labels=dict(labels),
        places=places,
        form_scores=scores,
        involvements=involvements,
        kinds=kinds,
        supports=dict(supports),
    )
    return data, list(_search_docs(kstore, store, data))


def _search_docs(
    kstore: KiemenStore, store: ox.Store, data: facets.IndexInput
) -> Iterator[search.SearchDoc]:
    items = sorted(data.initiatives)
    related: dict[str, list[str]] = defaultdict(list)
    for key in ("actor", "place", "form", "theme"):
        for iri, value in data.facet_pairs.get(key, set()):
            names = data.labels.get(value, {})
            related[iri].extend(dict.fromkeys(names.values()))
    for n, iri in enumerate(items):
        rec = data.initiatives[iri]
        names = dict(rec["label"])
        texts = dict(rec["description"])
        alt = rec.get("alt", {})
        extra = [a for values in alt.values() for a in values]
        yield search.SearchDoc(
            iri=iri,
            kind="initiative",
            item=n,
            names=names,
            texts=texts,
            related=extra + sorted(set(related.get(iri, []))),
        )
    things: dict[str, dict[str, Any]] = {}
    for row in _solutions(kstore, "index-search-things", store):
        iri = row["thing"].value
        rec = things.setdefault(
            iri, {"kind": row["kind"].value, "names": {}, "texts": {}, "other": []}
        )
        p, o = row["p"].value, row["o"]
        if p in NAME_PROPS:
            _put(rec["names"], o)
        elif p in (DCT + "description", SKOS + "definition"):
            _put(rec["texts"], o)
        else:
            rec["other"].append(o.value)
    for iri, rec in sorted(things.items()):
        yield search.SearchDoc(
            iri=iri, kind=rec["kind"], names=rec["names"], texts=rec["texts"], related=rec["other"]
        )


def build_indexes(gen: Generation, kstore: KiemenStore) -> None:
    """The INDEX_HOOKS entry: facets and sort keys, then the text index, in ``gen.search_dir``."""
    target = gen.search_dir
    if target.exists():
        shutil.rmtree(target)
    data, docs = collect(gen, kstore)
    facets.build(data, target, generation=gen.path.name.strip(".").removesuffix(".tmp"))
    search.build(docs, target / search.TEXT_DIR)
