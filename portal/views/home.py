"""The home page: what the portal holds, ways in, and the two-axis picture of collaboration.

Everything comes from the index precomputed at load (``core.indexes.facets``), so the page costs the
same with forty initiatives or forty thousand. The picture is drawn here as SVG, server-side,
so it works without JavaScript; its forms are links, and a table gives the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from flask import Blueprint, current_app, render_template
from markupsafe import Markup

from core.indexes import facets
from portal import listing, longlived
from portal.db import get_store
from portal.i18n import N_, current_lang, t, tn
from portal.wiring import wiring

bp = Blueprint("home", __name__)

#: Kinds counted on the home page, in this order (names as in stats-by-kind).
KINDS = (
    ("Initiative", "initiative"),
    ("Actor", "actor"),
    ("Place", "place"),
    ("SourceDocument", "document"),
    ("Section", "section"),
    ("Involvement", "involvement"),
    ("Fact", "fact"),
    ("Reference", "reference"),
    ("Concept", "concept"),
)
#: Ways in: (facet, text key, values shown).
WAYS = (
    ("form", N_("home.by_form"), 16),
    ("govrole", N_("home.by_role"), 8),
    ("theme", N_("home.by_theme"), 12),
    ("province", N_("facet.province"), 12),
    ("municipality", N_("facet.municipality"), 12),
)
#: Up to this many initiatives the picture draws one dot each; beyond, it counts per cell.
DOTS_MAX = 400
CELLS = 10


@bp.app_context_processor
def navigation() -> dict[str, object]:
    def nav_links() -> list[tuple[str, str]]:
        known = current_app.view_functions
        return [(e, k) for e, k in wiring().nav if e in known]

    return {"nav_links": nav_links}


@dataclass
class Way:
    key: str
    title: str
    rows: list[dict[str, Any]]


@bp.route("/")
def index() -> str:
    lang = current_lang()
    kstore = get_store()
    try:
        idx = listing.browse_index(kstore)
    except facets.IndexMissing:
        return render_template("home.html", idx=None)
    counts = [(key, idx.kinds.get(name, 0)) for name, key in KINDS]
    ways = []
    for key, title, limit in WAYS:
        facet = idx.facets[key]
        order = np.argsort(-facet.counts, kind="stable")
        rows = [
            {
                "label": idx.value_label(key, facet.values[int(v)], lang),
                "count": int(facet.counts[v]),
                "url": listing.url_with("/browse", {key: [facet.tokens[int(v)]]}),
            }
            for v in order[:limit]
            if facet.counts[v] > 0
        ]
        if rows:
            ways.append(Way(key, t(title), rows))
    picture, table = draw_picture(idx, lang)
    return render_template(
        "home.html", idx=idx, counts=counts, ways=ways, picture=picture, form_table=table
    )


def draw_picture(idx: facets.BrowseIndex, lang: str) -> tuple[Markup, list[dict[str, Any]]]:
    """The forms on own initiative (x) × jointness (y), with the initiatives placed in it."""
    width, height, left, right, top, bottom = 720, 520, 70, 30, 20, 60
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return round(left + max(0.0, min(1.0, x)) * pw, 1)

    def py(y: float) -> float:
        return round(top + (1 - max(0.0, min(1.0, y))) * ph, 1)

    form_facet = idx.facets["form"]
    parts: list[str] = []
    title_id, desc_id = "picture-title", "picture-desc"
    placed_count, cells = longlived.kept(idx, "home.cells", lambda: _cells(idx))
    title, intro = escape(t("home.picture")), escape(t("home.picture.intro"))
    parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="group" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}">'
        f'<title id="{title_id}">{title}</title>'
        f'<desc id="{desc_id}">{intro}</desc>'
    )
    for k in range(0, 11, 2):
        v = k / 10
        parts.append(
            f'<line class="grid-line" x1="{px(v)}" y1="{py(0)}" x2="{px(v)}" y2="{py(1)}"/>'
        )
        parts.append(
            f'<line class="grid-line" x1="{px(0)}" y1="{py(v)}" x2="{px(1)}" y2="{py(v)}"/>'
        )
        parts.append(
            f'<text class="axis-label" x="{px(v)}" y="{py(0) + 18}" text-anchor="middle" '
            f'aria-hidden="true">{v:.1f}</text>'
        )
        parts.append(
            f'<text class="axis-label" x="{px(0) - 8}" y="{py(v) + 4}" text-anchor="end" '
            f'aria-hidden="true">{v:.1f}</text>'
        )
    parts.append(f'<line class="axis" x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(0)}"/>')
    parts.append(f'<line class="axis" x1="{px(0)}" y1="{py(0)}" x2="{px(0)}" y2="{py(1)}"/>')
    x_label, y_label = escape(t("home.axis.x")), escape(t("home.axis.y"))
    parts.append(
        f'<text class="axis-label" x="{px(0.5)}" y="{height - 12}" text-anchor="middle">'
        f"{x_label}</text>"
        f'<text class="axis-label" transform="translate(18 {py(0.5)}) rotate(-90)" '
        f'text-anchor="middle">{y_label}</text>'
    )
    # Initiatives: a dot each, or counts per cell when there are many.
    if cells is None:
        placed = idx.xy[~np.isnan(idx.xy[:, 0])]
        note = tn("home.picture.dots", len(placed))
        parts.append('<g aria-hidden="true">')
        for x, y in placed:
            parts.append(f'<circle class="ini" cx="{px(float(x))}" cy="{py(float(y))}" r="3.5"/>')
        parts.append("</g>")
    else:
        note = tn("home.picture.cells", placed_count)
        top_count = float(cells.max()) or 1.0
        parts.append('<g aria-hidden="true">')
        for i in range(CELLS):
            for j in range(CELLS):
                n = int(cells[i, j])
                if not n:
                    continue
                opacity = round(0.12 + 0.75 * (n / top_count) ** 0.5, 2)
                parts.append(
                    f'<rect x="{px(i / CELLS)}" y="{py((j + 1) / CELLS)}" '
                    f'width="{round(pw / CELLS, 1)}" height="{round(ph / CELLS, 1)}" '
                    f'fill="#0b5394" fill-opacity="{opacity}"/>'
                )
        parts.append("</g>")
    # Forms: grouped where they share a position; each is a link into the browser.
    groups: dict[tuple[float, float], list[tuple[str, str, int]]] = {}
    table: list[dict[str, Any]] = []
    for iri, (own, joint) in sorted(idx.form_scores.items()):
        value = form_facet.lookup.get(iri)
        count = int(form_facet.counts[value]) if value is not None else 0
        token = form_facet.tokens[value] if value is not None else iri.rsplit("/", 1)[-1]
        label = idx.label(iri, lang)
        groups.setdefault((own, joint), []).append((label, token, count))
        table.append(
            {
                "label": label,
                "own": own,
                "joint": joint,
                "count": count,
                "url": listing.url_with("/browse", {"form": [token]})
                if value is not None
                else None,
            }
        )
    table.sort(key=lambda r: (-r["count"], r["label"]))
    placed_boxes: list[tuple[float, float, float, float]] = []
    for (own, joint), members in sorted(groups.items(), key=lambda g: (-g[0][1], g[0][0])):
        cx, cy = px(own), py(joint)
        parts.append(f'<circle class="form-dot" cx="{cx}" cy="{cy}" r="6" aria-hidden="true"/>')
        for label, token, count in sorted(members):
            text = f"{label} ({count})"
            tx, ty, anchor = _place_label(cx, cy, len(text) * 6.6, placed_boxes, width)
            href = escape(listing.url_with("/browse", {"form": [token]}))
            parts.append(
                f'<a href="{href}"><text class="form-label" x="{tx}" y="{ty}" '
                f'text-anchor="{anchor}">{escape(text)}</text></a>'
            )
    parts.append("</svg>")
    svg = "".join(parts)
    # every label, URL and note above went through escape(); the rest is our own markup
    return Markup(svg + f'<p class="small muted">{escape(note)}</p>'), table  # nosec B704


def _cells(idx: facets.BrowseIndex) -> tuple[int, np.ndarray | None]:
    """How many initiatives the picture places, and their counts per cell when there are too
    many for a dot each (None: dots). Kept per index: at 200,000 initiatives the histogram
    took ~15 ms of every home page."""
    placed = idx.xy[~np.isnan(idx.xy[:, 0])]
    if len(placed) <= DOTS_MAX:
        return len(placed), None
    cells, _, _ = np.histogram2d(
        np.clip(placed[:, 0], 0, 0.9999),
        np.clip(placed[:, 1], 0, 0.9999),
        bins=CELLS,
        range=[[0, 1], [0, 1]],
    )
    return len(placed), cells


def _place_label(
    cx: float,
    cy: float,
    w: float,
    taken: list[tuple[float, float, float, float]],
    width: float,
    h: float = 14.0,
) -> tuple[float, float, str]:
    """Put a label beside its point where it overlaps no label placed before (greedy)."""
    candidates = []
    for dy in (0, -15, 15, -30, 30, -45, 45, -60, 60):
        candidates.append((cx + 10, cy + dy, "start"))
        candidates.append((cx - 10, cy + dy, "end"))
    for x, y, anchor in candidates:
        left = x if anchor == "start" else x - w
        box = (left, y - h + 4, left + w, y + 4)
        if box[0] < 72 or box[2] > width:
            continue
        if all(box[2] <= b[0] or box[0] >= b[2] or box[3] <= b[1] or box[1] >= b[3] for b in taken):
            taken.append(box)
            return round(x, 1), round(y + 4, 1), anchor
    taken.append((cx + 10, cy - h + 4, cx + 10 + w, cy + 4))
    return round(cx + 10, 1), round(cy + 4, 1), "start"
