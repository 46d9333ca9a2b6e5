"""Checkable sources: the page of one passage (section, box or chapter) of a source document.

A reader who follows a citation lands here and sees where the passage sits in its document
(document, chapter, section, lines in the source text), how to cite it in words, and every
statement the graph makes on its authority. The source texts themselves are never served or
quoted: only their titles and line numbers.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from core.messages import msg, render
from core.store import KiemenStore
from core.vocab import DCT
from portal import kinds
from portal.kinds import Namer, Statements, _context, _rows, _val
from portal.listing import sparql_link

SKOS_CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept"


def hidden_on_pages(prop: str) -> bool:
    """Properties pages leave out: ``km:seedFile`` names the editors' text file, which the
    portal does not publish (the data downloads keep it, for provenance)."""
    return str(prop).endswith("/def/seedFile")


def _node(r: dict[str, Any], namer: Namer) -> dict[str, Any]:
    iri = r["node"].value
    return {
        "iri": iri,
        "url": namer.url(iri),
        "heading": _val(r.get("heading")) or namer.label(iri),
        "type": namer.label(r["sectionType"].value) if r.get("sectionType") is not None else "",
        "line_start": _val(r.get("lineStart")),
        "line_end": _val(r.get("lineEnd")),
    }


def passage_words(
    document: str | None, path: list[dict[str, Any]], lines: tuple[Any, Any], lang: str
) -> str:
    """A passage cited in words: document, then each level down to the passage, then lines.

    ``path`` runs from the chapter down to the passage itself (each with ``type`` and
    ``heading``).
    """
    parts = [f"{document}" if document else ""]
    for level in path:
        kind = (level.get("type") or "").strip()
        parts.append(f"{kind} ‘{level['heading']}’" if kind else f"‘{level['heading']}’")
    start, end = lines
    if start:
        parts.append(render(msg("sources.lines", start=start, end=end or start), lang))
    return ", ".join(p for p in parts if p)


def section(kstore: KiemenStore, iri: str, lang: str) -> dict[str, Any]:
    """Extra context of a section page: outline, citation in words, derived statements."""
    _idx, namer = _context(kstore, lang)
    st = Statements(kstore, iri)
    node = ox.NamedNode(iri)
    rows = _rows(kstore, "section-outline", {"section": node})
    document = next((_node(r, namer) for r in rows if r["relation"].value == "document"), None)
    above = [_node(r, namer) for r in rows if r["relation"].value == "up"]
    above.sort(
        key=lambda n: (n["line_start"] is None, -(n["line_end"] or 0) + (n["line_start"] or 0))
    )
    inside = [_node(r, namer) for r in rows if r["relation"].value == "down"]
    km = kstore.settings.def_ns
    me = {
        "iri": iri,
        "url": namer.url(iri),
        "heading": st.text(DCT + "title", lang) or namer.label(iri),
        "type": namer.label(st.iris(km + "sectionType")[0]) if st.iris(km + "sectionType") else "",
        "line_start": st.first(km + "lineStart"),
        "line_end": st.first(km + "lineEnd"),
    }
    derived: dict[str, dict[str, Any]] = {}
    for r in _rows(kstore, "section-derived", {"section": node}):
        thing = r["thing"].value
        rec = derived.setdefault(thing, {"link": namer.link(thing), "kind": "", "initiative": None})
        kind = r.get("kind")
        if kind is not None and kind.value.startswith(km) and not rec["kind"]:
            rec["kind"] = namer.label(kind.value)
        if r.get("initiative") is not None and rec["initiative"] is None:
            rec["initiative"] = namer.link(r["initiative"].value)
    for rec in derived.values():
        if not rec["kind"]:
            rec["kind"] = namer.label(SKOS_CONCEPT)
    year = None
    if document is not None:
        year = Statements(kstore, document["iri"]).first(DCT + "issued")
    doc_words = None
    if document is not None:
        doc_words = document["heading"] + (f" ({year})" if year else "")
    return {
        "document": document,
        "year": year,
        "outline": [*above, me],
        "inside": inside,
        "me": me,
        "citation": passage_words(
            doc_words, [*above, me], (me["line_start"], me["line_end"]), lang
        ),
        "derived": sorted(derived.values(), key=lambda d: (d["kind"], d["link"]["label"].lower())),
        "derived_sparql": sparql_link(kstore.settings, "section-derived", {"section": [iri]}),
        "outline_sparql": sparql_link(kstore.settings, "section-outline", {"section": [iri]}),
        "uncertainties": kinds._uncertainties(kstore, iri, lang, namer),
    }


def citation_words(kstore: KiemenStore, iri: str, lang: str) -> str:
    """A passage cited in words, every level named: document (year), chapter, section, lines."""
    _idx, namer = _context(kstore, lang)
    rows = _rows(kstore, "section-outline", {"section": ox.NamedNode(iri)})
    document = next((_node(r, namer) for r in rows if r["relation"].value == "document"), None)
    above = [_node(r, namer) for r in rows if r["relation"].value == "up"]
    above.sort(
        key=lambda n: (n["line_start"] is None, -(n["line_end"] or 0) + (n["line_start"] or 0))
    )
    st = Statements(kstore, iri)
    km = kstore.settings.def_ns
    types = st.iris(km + "sectionType")
    me = {
        "heading": st.text(DCT + "title", lang) or namer.label(iri),
        "type": namer.label(types[0]) if types else "",
    }
    doc_words = None
    if document is not None:
        year = Statements(kstore, document["iri"]).first(DCT + "issued")
        doc_words = document["heading"] + (f" ({year})" if year else "")
    lines = (st.first(km + "lineStart"), st.first(km + "lineEnd"))
    return passage_words(doc_words, [*above, me], lines, lang)
