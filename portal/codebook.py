"""The codebook: an HTML account of the ontology generated from the ontology graph itself."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from core.namespaces import curie
from core.store import KiemenStore


def build(store: KiemenStore) -> dict[str, Any]:
    """Classes, properties and concept schemes with both languages, ready for a template."""
    settings = store.settings

    def terms(name: str) -> list[dict[str, Any]]:
        rows = store.rows(name)
        for r in rows:
            r["curie"] = curie(r["term"], settings)
            r["anchor"] = r["curie"].replace(":", "-").replace("/", "-")
            for key in ("supers", "domain", "range", "broader", "mappings"):
                if key in r:
                    r[key] = [
                        {"iri": v, "curie": curie(v, settings)} for v in (r[key] or "").split() if v
                    ]
        return rows

    schemes: dict[str, dict[str, Any]] = {}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in terms("codebook-concepts"):
        scheme = row["scheme"]
        schemes.setdefault(
            scheme,
            {
                "iri": scheme,
                "curie": curie(scheme, settings),
                "labelNl": row.get("schemeNl"),
                "labelEn": row.get("schemeEn"),
            },
        )
        grouped[scheme].append(row)
    ordered = []
    for iri, scheme in sorted(schemes.items()):
        scheme["concepts"] = grouped[iri]
        ordered.append(scheme)
    return {
        "classes": terms("codebook-classes"),
        "properties": terms("codebook-properties"),
        "schemes": ordered,
    }
