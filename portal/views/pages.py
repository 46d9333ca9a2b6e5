"""Pages a researcher keeps open beside the data: About/method, and (below) compare, timeline
and exports of a selection. Every text is in Dutch and English (``portal.texts_ui``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from portal import (
    sources,
    texts_ui,  # noqa: F401  (registers the interface texts)
)
from portal.db import get_store
from portal.i18n import current_lang
from portal.licence import LICENCE, LICENCE_NAME

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    return {"page_hidden": sources.hidden_on_pages}


@bp.route("/about")
def about() -> str:
    """What the sources are, how cases were curated, what stated/inferred and uncertainty
    records mean, the licence, how to cite and how to publish."""
    from portal.resource import page_path

    kstore = get_store()
    documents: list[dict[str, Any]] = []
    for r in kstore.rows("about-documents", {}):
        path = page_path(kstore.settings, r["document"])
        documents.append({**r, "url": "/page/" + path if path else None})
    return render_template(
        "pages/about.html",
        documents=documents,
        licence_url=LICENCE,
        licence_name=LICENCE_NAME,
        lang=current_lang(),
    )
