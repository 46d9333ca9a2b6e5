"""The browsing portal: faceted browser with map, full-text search, network view, citations.

Everything here reads the indexes built at load (``core.indexes.facets``,
``core.indexes.search``); the only SPARQL a request runs is on the kind pages (``portal.kinds``).
Pages work without JavaScript; the map (Leaflet with marker clusters) and the network
(Cytoscape) add to them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, Response, abort, redirect, render_template, request
from flask.typing import ResponseReturnValue

from core.indexes import facets, search
from portal import cite, errors, listing, network_extra
from portal import kinds as _kinds  # noqa: F401  (registers the kind pages' context)
from portal.db import get_settings, get_store
from portal.i18n import current_lang, t, text_in
from portal.resource import iri_for_path, page_path
from queries import QueryParameterError, catalogue

bp = Blueprint("browse", __name__)

#: Edges the network table shows without JavaScript.
NETWORK_TABLE_ROWS = 200
#: Places the map's table (its no-JavaScript equivalent) lists.
MAP_TABLE_ROWS = 60


def page_url(iri: str) -> str:
    """The portal page of an IRI it serves, else the IRI itself."""
    path = page_path(get_settings(), iri)
    return "/page/" + path if path else iri


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    return {"page_url": page_url, "facet_keys": facets.FACET_KEYS}


def init_app(app: Flask) -> None:
    @app.errorhandler(facets.IndexMissing)
    def missing(exc: facets.IndexMissing) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return {"ok": False, "error": str(exc), "status": 503}, 503
        return render_template("browse/missing.html", message=str(exc)), 503


def bad_request(exc: Exception) -> ResponseReturnValue:
    return errors.respond(400, str(exc))


# -- the faceted browser -------------------------------------------------------------------------


@bp.route("/browse")
def index() -> ResponseReturnValue:
    lang = current_lang()
    kstore = get_store()
    try:
        result = listing.listing(kstore, request.args, lang, path="/browse")
    except listing.BadRequest as exc:
        return bad_request(exc)
    idx = listing.browse_index(kstore)
    places = idx.map_points(result.mask, lang, per_place=0)[:MAP_TABLE_ROWS]
    chosen = []
    for key, values in result.chosen.items():
        tokens = result.params.get(key, [])
        for value, token in zip(values, tokens, strict=False):
            remaining = [x for x in tokens if x != token]
            chosen.append(
                {
                    "key": key,
                    "label": idx.value_label(key, value, lang),
                    "remove_url": result.url("/browse", **{key: remaining, "page": None}),
                }
            )
    api_params = {k: v for k, v in result.params.items()}
    return render_template(
        "browse/index.html",
        result=result,
        chosen=chosen,
        places=places,
        sorts=facets.SORTS,
        map_url=listing.url_with("/api/map", api_params),
        json_url=listing.url_with("/api/initiatives", api_params),
        network_url=listing.url_with("/network", api_params),
    )


@bp.route("/browse/sparql/<name>")
def sparql_redirect(name: str) -> ResponseReturnValue:
    """Open the query page with the stored query behind a list, facet or page, values bound."""

    if name not in catalogue():
        abort(404)
    params = {k: request.args.getlist(k) for k in request.args}
    try:
        text = listing.bind_many(get_settings(), name, params)
    except QueryParameterError as exc:
        return bad_request(exc)
    return redirect(listing.sparql_url(text), code=303)


# -- search -------------------------------------------------------------------------------------


@bp.route("/search", endpoint="search")
def search_page() -> ResponseReturnValue:
    lang = current_lang()
    kstore = get_store()
    q = request.args.get("q", "").strip()[: search.MAX_QUERY_CHARS]
    kind = request.args.get("kind") or None
    exact = request.args.get("exact") == "1"
    if kind and kind not in search.KINDS:
        return bad_request(ValueError(f"kind must be one of {', '.join(search.KINDS)}"))
    size = get_settings().page_size
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        return bad_request(ValueError("page must be a whole number"))
    results = None
    if q:
        results = listing.text_index(kstore).search(
            q, lang, kind, limit=size, offset=(page - 1) * size, exact=exact
        )
    params = {"q": [q]} if q else {}
    if kind:
        params["kind"] = [kind]
    if exact:
        params["exact"] = ["1"]
    pages = max(1, -(-(results.total if results else 0) // size))
    if page > pages:
        raise listing.past_last("/search", params, page, pages)
    return render_template(
        "browse/search.html",
        q=q,
        kind=kind,
        kinds=search.KINDS,
        results=results,
        page=page,
        pages=pages,
        params=params,
        url_with=listing.url_with,
        sparql_url=listing.sparql_link(get_settings(), "search-text", {"text": [q]}) if q else None,
    )


# -- network --------------------------------------------------------------------------------------


def network_data(args: Any, lang: str) -> tuple[dict[str, Any], listing.Listing]:
    kstore = get_store()
    result = listing.listing(kstore, args, lang, path="/network", with_facets=False)
    idx = listing.browse_index(kstore)
    roles = idx.resolve({"role": args.getlist("role") if hasattr(args, "getlist") else []}).get(
        "role", []
    )
    return idx.network(result.mask, roles, lang), result


@bp.route("/network")
def network() -> ResponseReturnValue:
    lang = current_lang()
    kstore = get_store()
    try:
        data, result = network_data(request.args, lang)
    except listing.BadRequest as exc:
        return bad_request(exc)
    idx = listing.browse_index(kstore)
    forms = [
        (idx.facets["form"].tokens[v], idx.label(idx.facets["form"].values[v], lang))
        for v in range(len(idx.facets["form"].values))
    ]
    forms.sort(key=lambda x: x[1].lower())
    roles = [
        (idx.facets["role"].tokens[v], idx.label(idx.facets["role"].values[v], lang))
        for v in range(len(idx.facets["role"].values))
    ]
    roles.sort(key=lambda x: x[1].lower())
    chosen_form = request.args.getlist("form")
    chosen_role = request.args.getlist("role")
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    node_counts = {"actor": 0, "initiative": 0}
    for node in data["nodes"]:
        node_counts[node["kind"]] += 1
    edges = sorted(
        data["edges"], key=lambda e: (labels[e["source"]].lower(), labels[e["target"]].lower())
    )
    extra = {k: v for k, v in result.params.items() if k != "form"}
    sparql_params: dict[str, list[str]] = {}
    if chosen_form:
        sparql_params["form"] = [
            idx.facets["form"].values[v] for v in idx.resolve({"form": chosen_form}).get("form", [])
        ][:1]
    if chosen_role:
        sparql_params["role"] = [
            idx.facets["role"].values[v] for v in idx.resolve({"role": chosen_role}).get("role", [])
        ][:1]
    api_params = dict(result.params)
    if chosen_role:
        api_params["role"] = chosen_role
    return render_template(
        "browse/network.html",
        data=data,
        edges=edges[:NETWORK_TABLE_ROWS],
        more_edges=max(0, len(edges) - NETWORK_TABLE_ROWS),
        labels=labels,
        node_counts=node_counts,
        forms=forms,
        roles=roles,
        chosen_form=chosen_form,
        chosen_role=chosen_role,
        hidden=extra,
        api_url=listing.url_with("/api/network", api_params),
        sparql_url=listing.sparql_link(get_settings(), "network-edges", sparql_params),
        role_label=lambda iri: idx.label(iri, lang),
        alone=network_extra.without_actors(idx, result.mask, lang),
        legend=network_extra.role_legend(data, idx, lang),
    )


# -- citations ------------------------------------------------------------------------------------


def dataset_citable(lang: str) -> cite.Citable:
    settings = get_settings()
    idx = listing.browse_index(get_store())
    version, released = cite.release(idx.generation)
    return cite.Citable(
        key="kiemen" + cite.generation_year(idx.generation),
        title=cite.dataset_title(lang),
        url=settings.base_uri,
        year=cite.generation_year(idx.generation),
        accessed=dt.date.today(),
        kind="dataset",
        language=lang,
        version=version,
        released=released,
    )


def initiative_citable(iri: str, lang: str) -> cite.Citable | None:
    idx = listing.browse_index(get_store())
    item = idx.item_lookup.get(iri)
    if item is None:
        return None
    row = idx.row(item, lang)
    doc_facet = idx.facets["document"]
    documents = [idx.label(doc_facet.values[int(v)], lang) for v in doc_facet.values_of(item)]
    notes = [text_in(lang, "cite.note.source", document=d) for d in documents]
    year = cite.generation_year(idx.generation)
    version, released = cite.release(idx.generation)
    return cite.Citable(
        key=cite.cite_key(iri.rstrip("/").rsplit("/", 1)[-1]) + year,
        title=row["label"],
        url=iri,
        year=year,
        accessed=dt.date.today(),
        kind="entry",
        container=cite.dataset_title(lang),
        notes=notes,
        language=lang,
        version=version,
        released=released,
    )


def citation_links(iri: str | None) -> list[tuple[str, str]]:
    """(format name, URL) for the citation downloads of an initiative (or the dataset)."""
    if iri is None:
        base = "/cite/dataset"
    else:
        path = page_path(get_settings(), iri)
        if path is None:
            return []
        base = "/cite/" + path
    return [
        (t("cite.bibtex"), base + ".bib"),
        (t("cite.ris"), base + ".ris"),
        (t("cite.csl"), base + ".json"),
    ]


@bp.app_context_processor
def citation_helpers() -> dict[str, Any]:
    return {"citation_links": citation_links}


@bp.route("/cite/<path:path>")
def citation(path: str) -> ResponseReturnValue:
    stem, dot, fmt = path.rpartition(".")
    if not dot or fmt not in cite.FORMATS:
        abort(404)
    lang = current_lang()
    if stem == "dataset":
        citable: cite.Citable | None = dataset_citable(lang)
    else:
        citable = initiative_citable(iri_for_path(get_settings(), stem), lang)
    if citable is None:
        abort(404)
    media, _name = cite.FORMATS[fmt]
    body = cite.render(citable, fmt)
    response = Response(body, mimetype=media)
    response.headers["Content-Disposition"] = f'inline; filename="{citable.key}.{fmt}"'
    return response


def cite_text(iri: str | None, lang: str) -> str:
    c = dataset_citable(lang) if iri is None else initiative_citable(iri, lang)
    return cite.text(c) if c else ""


@bp.app_context_processor
def cite_text_helper() -> dict[str, Any]:
    return {"cite_text": lambda iri=None: cite_text(iri, current_lang())}
