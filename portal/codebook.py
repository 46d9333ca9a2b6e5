"""The codebook: an HTML account of the ontology generated from the ontology graph itself."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from portal.store import KiemenStore


def _short(iri: str, settings_base: str) -> str:
    prefixes = {
        settings_base + "def/": "km:",
        "http://www.w3.org/ns/prov#": "prov:",
        "http://www.w3.org/ns/org#": "org:",
        "http://xmlns.com/foaf/0.1/": "foaf:",
        "https://schema.org/": "schema:",
        "http://schema.org/": "schema:",
        "http://www.w3.org/2004/02/skos/core#": "skos:",
        "http://purl.org/dc/terms/": "dcterms:",
        "http://www.w3.org/2001/XMLSchema#": "xsd:",
        "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
        "http://www.w3.org/2002/07/owl#": "owl:",
        "http://www.opengis.net/ont/geosparql#": "geo:",
        "http://www.w3.org/2003/01/geo/wgs84_pos#": "wgs:",
        "http://www.w3.org/2006/time#": "time:",
    }
    for ns, p in sorted(prefixes.items(), key=lambda kv: -len(kv[0])):
        if iri.startswith(ns):
            return p + iri[len(ns) :]
    return iri


def build(store: KiemenStore) -> dict[str, Any]:
    """Classes, properties and concept schemes with both languages, ready for a template."""
    base = store.settings.base_uri

    def terms(name: str) -> list[dict[str, Any]]:
        rows = store.rows(name)
        for r in rows:
            r["curie"] = _short(r["term"], base)
            r["anchor"] = r["curie"].replace(":", "-").replace("/", "-")
            for key in ("supers", "domain", "range", "broader", "mappings"):
                if key in r:
                    r[key] = [
                        {"iri": v, "curie": _short(v, base)} for v in (r[key] or "").split() if v
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
                "curie": _short(scheme, base),
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
