"""The home page: what the store holds, with counts."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from portal.db import get_store
from portal.i18n import current_lang
from portal.statistics import collect

bp = Blueprint("home", __name__)

SECTIONS = [
    ("by kind", "home.by_kind"),
    ("by collaboration form", "home.by_form"),
    ("by government role", "home.by_role"),
    ("by source document", "home.by_source"),
    ("by named graph", "home.by_graph"),
]

#: (endpoint, text key) of the main navigation; entries whose blueprint is absent are skipped.
NAV = [
    ("browse.index", "nav.browse"),
    ("browse.search", "nav.search"),
    ("browse.network", "nav.network"),
    ("sparql.query_page", "nav.sparql"),
    ("codebook.codebook", "nav.codebook"),
    ("linkeddata.downloads", "nav.downloads"),
]


@bp.app_context_processor
def navigation() -> dict[str, object]:
    def nav_links() -> list[tuple[str, str]]:
        known = current_app.view_functions
        return [(e, k) for e, k in NAV if e in known]

    return {"nav_links": nav_links}


@bp.route("/")
def index() -> str:
    stats = collect(get_store(), lang=current_lang())
    return render_template("home.html", stats=stats, sections=SECTIONS)
