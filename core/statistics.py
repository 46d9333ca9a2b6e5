"""Counts that ``kiemen stats`` and the home page show, each from a stored query."""

from __future__ import annotations

from typing import Any

from core.store import KiemenStore

SECTIONS = {
    "by kind": "stats-by-kind",
    "by collaboration form": "stats-by-form",
    "by government role": "stats-by-government-role",
    "by source document": "stats-by-source",
    "by named graph": "stats-by-graph",
}


def _label(row: dict[str, Any], key: str) -> str:
    label = row.get("label")
    if label:
        return str(label)
    value = str(row.get(key) or "")
    return value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def collect(store: KiemenStore, lang: str = "en") -> dict[str, list[dict[str, Any]]]:
    """Every section of the statistics as rows of ``{iri, label, count}``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for title, name in SECTIONS.items():
        stored = store.stored(name)
        params = {"lang": lang} if any(p.name == "lang" for p in stored.parameters) else {}
        rows = store.rows(name, params)
        key = [c for c in (rows[0].keys() if rows else []) if c not in ("label", "count")]
        first = key[0] if key else "label"
        out[title] = [
            {
                "iri": r.get(first),
                "label": _label(r, first),
                "count": int(r.get("count") or 0),
                **{k: v for k, v in r.items() if k not in (first, "label", "count")},
            }
            for r in rows
        ]
    return out
