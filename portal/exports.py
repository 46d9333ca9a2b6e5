"""Downloads of what a page shows: a browse selection or a search result as CSV, JSON,
GeoJSON or Turtle, with the same rows in the same order as the page (issue #17 item 7).

The rows come from the same index the page reads (``listing``/``search``), never from text
pasted into SPARQL; Turtle holds each row's own statements (stored query ``thing-statements``,
bound per IRI). CSV cells go through :func:`core.tables.neutralise_cell`, like every CSV the
portal writes. A selection larger than :data:`EXPORT_MAX` is cut there, and says so.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from core.indexes.facets import BrowseIndex
from core.namespaces import prefixes
from core.store import KiemenStore
from core.tables import neutralise_cell
from portal import listing

#: Most rows one download holds (the Turtle asks the store once per row).
EXPORT_MAX = 2000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
    "ttl": "text/turtle; charset=utf-8",
}
COLUMNS = (
    "iri",
    "kind",
    "label",
    "description",
    "start",
    "end",
    "stated_forms",
    "inferred_forms",
    "places",
    "latitude",
    "longitude",
    "page_url",
)


@dataclass
class Export:
    """The rows of one download and how many the selection had."""

    rows: list[dict[str, Any]]
    total: int
    iris: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _located(index: BrowseIndex, place_iris: Iterable[str]) -> list[tuple[float, float, str]]:
    out = []
    for iri in place_iris:
        place = index.places.get(iri)
        if place and place.get("lat") is not None:
            out.append((float(place["long"]), float(place["lat"]), iri))
    return out


def _initiative_row(index: BrowseIndex, item: int, lang: str, page_url: Any) -> dict[str, Any]:
    row = index.row(item, lang)
    points = _located(index, (p["iri"] for p in row["places"]))
    return {
        "iri": row["iri"],
        "kind": "initiative",
        "label": row["label"],
        "description": row["description"] or "",
        "start": row["start"] or "",
        "end": row["end"] or "",
        "stated_forms": [f["label"] for f in row["forms"] if f["stated"]],
        "inferred_forms": [f["label"] for f in row["forms"] if not f["stated"]],
        "places": [p["label"] for p in row["places"]],
        "points": points,
        "page_url": page_url(row["iri"]),
    }


def browse_selection(
    kstore: KiemenStore, args: Mapping[str, Any], lang: str, page_url: Any
) -> Export:
    """The initiatives of a /browse selection (filters, text and sort of ``args``), in the
    page's order."""
    result = listing.listing(kstore, args, lang, path="/browse", with_facets=False)
    index = listing.browse_index(kstore)
    if result.sort == "relevance" and result.mask is not None:
        order = listing.relevance_order(
            listing.text_index(kstore), result.q, result.mask, 0, EXPORT_MAX
        )
    else:
        order = index.order(result.sort, lang)
    items, total, _ = index.page(result.mask, order, EXPORT_MAX)
    rows = [_initiative_row(index, i, lang, page_url) for i in items]
    return Export(rows=rows, total=total, iris=[r["iri"] for r in rows])


def search_results(
    kstore: KiemenStore, q: str, kind: str | None, lang: str, page_url: Any
) -> Export:
    """The things a /search finds (all kinds, or ``kind``), in the page's order."""
    index = listing.browse_index(kstore)
    found = listing.text_index(kstore).search(q, lang, kind, limit=EXPORT_MAX, offset=0)
    rows = []
    for hit in found.hits:
        if hit.kind == "initiative" and hit.item is not None:
            row = _initiative_row(index, hit.item, lang, page_url)
        else:
            row = {
                "iri": hit.iri,
                "kind": hit.kind,
                "label": hit.label or hit.iri,
                "points": _located(index, [hit.iri]) if hit.kind == "place" else [],
                "page_url": page_url(hit.iri),
            }
        rows.append(row)
    return Export(rows=rows, total=found.total, iris=[r["iri"] for r in rows])


def _flat(row: Mapping[str, Any], column: str) -> Any:
    if column in ("latitude", "longitude"):
        points = row.get("points") or []
        if not points:
            return ""
        return points[0][1] if column == "latitude" else points[0][0]
    value = row.get(column, "")
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return "" if value is None else value


def as_csv(export: Export) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in export.rows:
        writer.writerow([neutralise_cell(_flat(row, c)) for c in COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {c: row[c] for c in COLUMNS if c in row}
    out["coordinates"] = [
        {"place": iri, "latitude": lat, "longitude": lon} for lon, lat, iri in row["points"]
    ]
    return out


def as_json(export: Export) -> bytes:
    body = {
        "ok": True,
        "count": len(export.rows),
        "total": export.total,
        "truncated": export.truncated,
        "rows": [_plain(r) for r in export.rows],
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def as_geojson(export: Export) -> bytes:
    """One feature per row (the same rows as the page); rows without coordinates keep a null
    geometry, as RFC 7946 allows, so the count stays the page's."""
    features = []
    for row in export.rows:
        coords = [[lon, lat] for lon, lat, _iri in row["points"]]
        geometry = (
            None
            if not coords
            else {"type": "Point", "coordinates": coords[0]}
            if len(coords) == 1
            else {"type": "MultiPoint", "coordinates": coords}
        )
        props = {k: v for k, v in _plain(row).items() if k != "coordinates"}
        features.append(
            {"type": "Feature", "id": row["iri"], "geometry": geometry, "properties": props}
        )
    body = {
        "type": "FeatureCollection",
        "features": features,
        "total": export.total,
        "truncated": export.truncated,
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def as_turtle(kstore: KiemenStore, export: Export) -> bytes:
    """Every statement about each row's thing (all graphs), grouped per subject."""
    triples: list[ox.Triple] = []
    for iri in export.iris:
        subject = ox.NamedNode(iri)
        for r in kstore.run("thing-statements", {"thing": subject}):
            triples.append(ox.Triple(subject, r["p"], r["o"]))
    return (
        ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes(kstore.settings)) or b""
    )


def render(kstore: KiemenStore, export: Export, fmt: str) -> bytes:
    if fmt == "csv":
        return as_csv(export)
    if fmt == "json":
        return as_json(export)
    if fmt == "geojson":
        return as_geojson(export)
    return as_turtle(kstore, export)
