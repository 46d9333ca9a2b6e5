"""Puts :func:`citation_meta` at the templates' disposal (used by ``_citation_meta.html``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from portal import citemeta
from portal.cite import dataset_title
from portal.db import get_settings, get_store
from portal.i18n import current_lang
from publishing.licensing import licence_for

bp = Blueprint("citemeta", __name__)


def citation_meta(resource: Any, url: str) -> dict[str, Any] | None:
    """Meta tags and JSON-LD for the page of ``resource`` at ``url``, or None for other kinds."""
    if resource is None or resource.kind not in citemeta.CITED_KINDS:
        return None
    lang = current_lang()
    settings = get_settings()
    meta = citemeta.for_page(
        settings,
        get_store().generation_id(),
        resource.kind,
        resource.label,
        url,
        lang,
        about=resource.iri,
        abstract=resource.description or "",
        licence=licence_for(settings, resource.iri).url,
    )
    title = dataset_title(lang)
    return {"tags": meta.tags(), "jsonld": meta.jsonld(settings, title)}


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    return {"citation_meta": citation_meta}
