"""Pages a researcher keeps open beside the data: About/method, and (below) compare, timeline
and exports of a selection. Every text is in Dutch and English (``portal/translations``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from core.indexes import search
from core.licence import LICENCE, LICENCE_NAME
from portal import exports, listing, sources
from portal.db import get_store
from portal.i18n import current_lang
from portal.kinds import initiative
from portal.resource import page_path
from portal.views.browse import bad_request, page_url

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    def cite_passage(iri: str) -> str:
        return sources.citation_words(get_store(), iri, current_lang())

    return {"page_hidden": sources.hidden_on_pages, "cite_passage": cite_passage}


@bp.route("/about")
def about() -> str:
    """What the sources are, how cases were curated, what stated/inferred and uncertainty
    records mean, the licence, how to cite and how to publish."""

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


# -- exports of what a page shows -----------------------------------------------------------------


def _download(export: exports.Export, fmt: str, name: str) -> Response:
    body = exports.render(get_store(), export, fmt)
    response = Response(body, mimetype=exports.FORMATS[fmt].split(";")[0])
    response.headers["Content-Type"] = exports.FORMATS[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Kiemen-Rows"] = str(len(export.rows))
    response.headers["Kiemen-Total"] = str(export.total)
    return response


@bp.route("/browse/export.<fmt>")
def browse_export(fmt: str) -> ResponseReturnValue:
    """The initiatives of this /browse selection (same filters, text and sort)."""

    if fmt not in exports.FORMATS:
        abort(404)
    try:
        export = exports.browse_selection(get_store(), request.args, current_lang(), page_url)
    except listing.BadRequest as exc:
        return bad_request(exc)
    return _download(export, fmt, "kiemen-selection")


@bp.route("/search/export.<fmt>")
def search_export(fmt: str) -> ResponseReturnValue:
    """The things this /search finds (same text and kind)."""

    if fmt not in exports.FORMATS:
        abort(404)
    q = request.args.get("q", "").strip()[: search.MAX_QUERY_CHARS]
    kind = request.args.get("kind") or None
    if not q:
        return bad_request(ValueError("q (the text searched for) is required"))
    if kind and kind not in search.KINDS:
        return bad_request(ValueError(f"kind must be one of {', '.join(search.KINDS)}"))
    export = exports.search_results(get_store(), q, kind, current_lang(), page_url)
    return _download(export, fmt, "kiemen-search")


@bp.app_context_processor
def export_links() -> dict[str, Any]:
    def links(path: str, params: dict[str, list[str]]) -> list[tuple[str, str]]:
        keep = {k: v for k, v in params.items() if k not in ("page", "_next", "_size")}
        return [
            (label, listing.url_with(f"{path}/export.{fmt}", keep))
            for fmt, label in (
                ("csv", "CSV"),
                ("json", "JSON"),
                ("geojson", "GeoJSON"),
                ("ttl", "Turtle"),
            )
        ]

    return {"export_links": links}


# -- compare and timeline -----------------------------------------------------------------------

#: How many initiatives the compare view puts side by side.
COMPARE_MIN, COMPARE_MAX = 2, 4


def _initiative_iri(token: str) -> str | None:
    """An initiative given as its page token (``gelderland-anders``) or full IRI, if it is one."""
    kstore = get_store()
    index = listing.browse_index(kstore)
    iri = token if "://" in token else kstore.settings.id_ns + "initiative/" + token
    return iri if iri in index.item_lookup else None


@bp.route("/compare")
def compare() -> ResponseReturnValue:
    """Two to four initiatives side by side: forms, roles, actors, places, years, sources.
    The pickers offer the initiatives of the browse selection the visitor came from."""

    kstore = get_store()
    lang = current_lang()
    wanted = [t for t in request.args.getlist("i") if t.strip()]
    if len(wanted) > COMPARE_MAX:
        return bad_request(ValueError(f"compare at most {COMPARE_MAX} initiatives"))
    iris = []
    for token in wanted:
        iri = _initiative_iri(token.strip())
        if iri is None:
            return bad_request(ValueError(f"not an initiative: {token[:200]}"))
        if iri not in iris:
            iris.append(iri)
    selection_args = {k: v for k, v in request.args.lists() if k not in ("i", "page", "_next")}
    try:
        selection = exports.browse_selection(kstore, request.args, lang, page_url)
    except listing.BadRequest as exc:
        return bad_request(exc)
    options = sorted(
        ({"token": _token(kstore, r["iri"]), "label": r["label"]} for r in selection.rows),
        key=lambda o: o["label"].lower(),
    )
    chosen = [
        {"iri": iri, "page_url": page_url(iri), **initiative(kstore, iri, lang)} for iri in iris
    ]
    return render_template(
        "pages/compare.html",
        chosen=chosen,
        options=options,
        picked=[_token(kstore, i) for i in iris],
        slots=max(COMPARE_MIN, min(COMPARE_MAX, len(iris) + (1 if len(iris) < COMPARE_MAX else 0))),
        hidden=selection_args,
        ready=len(chosen) >= COMPARE_MIN,
        compare_min=COMPARE_MIN,
        compare_max=COMPARE_MAX,
    )


def _token(kstore: Any, iri: str) -> str:
    prefix = kstore.settings.id_ns + "initiative/"
    return iri[len(prefix) :] if iri.startswith(prefix) else iri


@bp.route("/timeline")
def timeline() -> ResponseReturnValue:
    """The initiatives of a browse selection by start year; follows the same facets."""

    kstore = get_store()
    lang = current_lang()
    try:
        selection = exports.browse_selection(kstore, request.args, lang, page_url)
        result = listing.listing(kstore, request.args, lang, path="/timeline", with_facets=False)
    except listing.BadRequest as exc:
        return bad_request(exc)
    years: dict[int, list[dict[str, Any]]] = {}
    undated = []
    for row in selection.rows:
        start = str(row["start"] or "")[:4]
        if start.isdigit():
            years.setdefault(int(start), []).append(row)
        else:
            undated.append(row)
    span = list(range(min(years), max(years) + 1)) if years else []
    most = max((len(v) for v in years.values()), default=1)
    return render_template(
        "pages/timeline.html",
        years=[(y, sorted(years.get(y, []), key=lambda r: r["label"].lower())) for y in span],
        most=most,
        undated=sorted(undated, key=lambda r: r["label"].lower()),
        total=selection.total,
        truncated=selection.truncated,
        result=result,
        browse_url=result.url("/browse", page=None),
    )
