"""The JSON API: lists, facets, search, map, network and things, in one shape (datasette's).

Every answer is an object with ``ok``. Lists carry ``rows``, ``count`` (all matches),
``truncated`` (false: a list is never cut silently; it is paged), ``next`` (a keyset cursor,
or null on the last page) and ``next_url`` (the same request for the next page), plus
``facet_results`` where facets apply and ``sparql_url`` (the query page with the SPARQL that
gives the same answer). Errors are ``{"ok": false, "error": ..., "status": ...}`` with that
HTTP status. The shape is described at ``/api`` and in the README.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from core.config import Settings
from core.indexes import search
from core.sparql.text import valid_iri
from portal import listing, map_answer, resource
from portal.db import get_settings, get_store
from portal.i18n import LANGS, N_, current_lang
from portal.views.browse import network_data

bp = Blueprint("api", __name__, url_prefix="/api")

#: The API's endpoints with the text key of what each does (``browse/api.html``).
ENDPOINTS = (
    ("/api/initiatives", N_("api.endpoint./api/initiatives")),
    ("/api/facets", N_("api.endpoint./api/facets")),
    ("/api/search", N_("api.endpoint./api/search")),
    ("/api/map", N_("api.endpoint./api/map")),
    ("/api/network", N_("api.endpoint./api/network")),
    ("/api/things?iri=…", N_("api.endpoint./api/things?iri=…")),
    ("/api/openapi.json", N_("api.endpoint./api/openapi.json")),
    ("/reconcile", N_("api.endpoint./reconcile")),
)


#: Deepest a search can be paged (hits past it are reached by a narrower query).
MAX_SEARCH_OFFSET = 10_000


def error(message: str, status: int) -> ResponseReturnValue:
    return jsonify({"ok": False, "error": message, "status": status}), status


@bp.errorhandler(listing.BadRequest)
def bad_request(exc: listing.BadRequest) -> ResponseReturnValue:
    return error(str(exc), 400)


def _lang() -> str:
    lang = request.args.get("_lang")
    return lang if lang in LANGS else current_lang()


def _next_url(params: dict[str, list[str]], path: str, cursor: int | None) -> str | None:
    if cursor is None:
        return None
    pairs = [(k, v) for k, vs in params.items() if k not in ("page", "_next") for v in vs]
    pairs.append(("_next", str(cursor)))
    return request.host_url.rstrip("/") + path + "?" + urlencode(pairs)


@bp.route("")
@bp.route("/")
def docs() -> ResponseReturnValue:
    return render_template("browse/api.html", endpoints=ENDPOINTS)


@bp.route("/initiatives")
def initiatives() -> ResponseReturnValue:
    result = listing.listing(get_store(), request.args, _lang(), path="/api/initiatives")
    for row in result.rows:
        row["page_url"] = _page(row["iri"])
    return jsonify(
        {
            "ok": True,
            "rows": result.rows,
            "count": result.total,
            "truncated": False,
            "next": str(result.next_cursor) if result.next_cursor is not None else None,
            "next_url": _next_url(result.params, "/api/initiatives", result.next_cursor),
            "sort": result.sort,
            "facet_results": {f.key: listing.facet_json(f) for f in result.facets},
            "sparql_url": result.sparql_url,
        }
    )


@bp.route("/facets")
def facet_results() -> ResponseReturnValue:
    result = listing.listing(get_store(), request.args, _lang(), path="/api/initiatives")
    return jsonify(
        {
            "ok": True,
            "rows": [],
            "count": result.total,
            "truncated": False,
            "next": None,
            "next_url": None,
            "facet_results": {f.key: listing.facet_json(f) for f in result.facets},
        }
    )


@bp.route("/search")
def search_api() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    if not q:
        return error("give a text to search for as ?q=", 400)
    kind = request.args.get("kind") or None
    if kind and kind not in search.KINDS:
        return error(f"kind must be one of {', '.join(search.KINDS)}", 400)
    settings = get_settings()
    try:
        size = int(request.args.get("_size", settings.page_size))
        offset = int(request.args.get("_next", "0") or 0)
    except ValueError:
        return error("_size and _next must be whole numbers", 400)
    if not 1 <= size <= settings.max_page_size:
        return error(f"_size must be between 1 and {settings.max_page_size}", 400)
    if not 0 <= offset <= MAX_SEARCH_OFFSET:
        # tantivy aborts on an offset near 2**63 (capacity overflow): refuse it before.
        return error(f"_next must be between 0 and {MAX_SEARCH_OFFSET}", 400)
    exact = request.args.get("exact") == "1"
    results = listing.text_index(get_store()).search(
        q, _lang(), kind, limit=size, offset=offset, exact=exact
    )
    following = offset + size if offset + size < results.total else None
    params = {"q": [q]}
    if kind:
        params["kind"] = [kind]
    if size != settings.page_size:
        params["_size"] = [str(size)]
    if exact:
        params["exact"] = ["1"]
    return jsonify(
        {
            "ok": True,
            "rows": [search.as_json(h) | {"page_url": _page(h.iri)} for h in results.hits],
            "count": results.total,
            "truncated": False,
            "next": str(following) if following is not None else None,
            "next_url": _next_url(params, "/api/search", following),
            "facet_results": {
                "kind": {
                    "name": "kind",
                    "results": [{"value": k, "count": n} for k, n in results.kinds.items()],
                    "truncated": False,
                }
            },
            "sparql_url": listing.sparql_link(settings, "search-text", {"text": [q]}),
            "corrected": results.corrected,
            "suggestions": results.suggestions,
        }
    )


def _page(iri: str, settings: Settings | None = None) -> str | None:
    return _url(resource.page_path(settings or get_settings(), iri))


def _url(path: str | None) -> str | None:
    return "/page/" + path if path else None


@bp.route("/map")
def map_points() -> ResponseReturnValue:
    lang = _lang()
    kstore = get_store()
    result = listing.listing(
        kstore, request.args, lang, path="/api/map", with_facets=False, with_rows=False
    )
    index = listing.browse_index(kstore)
    if map_answer.joinable(current_app):  # the places' and examples' JSON made once, joined
        text = map_answer.body(
            index,
            index.map_selection(result.mask),
            lang,
            kstore.settings,
            total=result.total,
            sparql_url=result.sparql_url,
        )
        return current_app.response_class(text, mimetype="application/json")
    points = index.map_points(result.mask, lang)
    path_of = resource.page_paths(kstore.settings)
    for p in points:
        p["page_url"] = _url(path_of(p["place"]))
        for i in p["initiatives"]:
            i["page_url"] = _url(path_of(i["iri"]))
    return jsonify(
        {
            "ok": True,
            "rows": points,
            "count": result.total,
            "truncated": False,
            "next": None,
            "next_url": None,
            "sparql_url": result.sparql_url,
        }
    )


@bp.route("/network")
def network() -> ResponseReturnValue:

    data, _result = network_data(request.args, _lang())
    path_of = resource.page_paths(get_settings())
    for node in data["nodes"]:
        node["page_url"] = _url(path_of(node["id"]))
    return jsonify(
        {
            "ok": True,
            "rows": data["edges"],
            "nodes": data["nodes"],
            "count": len(data["edges"]),
            "initiatives": data["initiatives"],
            "truncated": bool(data["truncated"]),
            "next": None,
            "next_url": None,
        }
    )


@bp.route("/things")
def things() -> ResponseReturnValue:
    iri = request.args.get("iri", "").strip()
    if not iri:
        return error("give the IRI of a thing as ?iri=", 400)
    if not valid_iri(iri):
        return error("?iri= must be an absolute IRI", 400)
    kstore = get_store()
    try:
        known = resource.exists(kstore, iri)
    except ValueError:  # not an IRI at all: the graph cannot say anything about it either
        return error(f"the graph says nothing about {iri[:200]!r}, which is not an IRI", 404)
    if not known:
        return error(f"the graph says nothing about {iri}", 404)
    lang = _lang()
    try:
        incoming_page = max(1, int(request.args.get("_incoming_page", "1")))
    except ValueError:
        return error("_incoming_page must be a whole number", 400)
    described = resource.describe(kstore, iri, lang, incoming_page=incoming_page)
    row: dict[str, Any] = {
        "iri": described.iri,
        "kind": described.kind,
        "label": described.label,
        "description": described.description,
        "page_url": _page(iri),
        "properties": {
            p.curie or p.iri: [_term(v) for v in p.values] for p in described.properties
        },
        "incoming": [
            {
                "property": g.iri,
                "label": g.label,
                "count": g.count,
                "items": [_term(v) for v in g.items],
            }
            for g in described.incoming
        ],
    }
    return jsonify(
        {"ok": True, "rows": [row], "count": 1, "truncated": False, "next": None, "next_url": None}
    )


def _term(term: resource.Term) -> dict[str, Any]:
    if term.kind == "iri":
        return {"iri": term.value, "label": term.label or None, "page_url": _page(term.value)}
    if term.kind == "bnode":
        return {"bnode": term.value}
    out: dict[str, Any] = {"value": term.value}
    if term.lang:
        out["lang"] = term.lang
    if term.datatype:
        out["datatype"] = term.datatype
    return out
