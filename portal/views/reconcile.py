"""The reconciliation service (Reconciliation Service API 0.2) that OpenRefine talks to.

``/reconcile`` answers the manifest (no parameters), a batch of queries (``queries=``) or a
data extension (``extend=``), by GET or form POST as the specification allows; beside it the
suggest services, the property proposals and the preview that OpenRefine shows in an iframe.
Every answer comes from :class:`portal.reconcile.Reconciler`. The data are public, so the JSON
answers allow any origin (CORS); the preview alone may be framed by any site.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from core.indexes import facets
from portal.db import get_store
from portal.i18n import LANGS, current_lang, text_in
from portal.reconcile import (
    MAX_CURSOR,
    PROPERTIES,
    TYPES,
    ReconcileError,
    Reconciler,
    kind_json,
    prop_json,
)

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

#: Largest JSON text accepted in ``queries`` or ``extend`` (the body cap applies as well).
MAX_JSON_CHARS = 1_000_000
#: The preview's own policy: nothing but our style sheet, framed by any site (OpenRefine).
PREVIEW_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors *"
)
PREVIEW_SIZE = (400, 200)
PREVIEW_PROPERTIES = ("place", "form", "actor", "actorType", "placeType", "cbsCode", "scheme")


def _lang() -> str:
    chosen = request.values.get("lang")
    return chosen if chosen in LANGS else current_lang()


def _json(body: Any, status: int = 200) -> Response:
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _error(message: str, status: int = 400) -> Response:
    return _json({"ok": False, "error": message, "status": status}, status)


def _parse(name: str) -> Any:
    raw = request.values.get(name, "")
    if len(raw) > MAX_JSON_CHARS:
        raise ReconcileError(f"{name} is longer than {MAX_JSON_CHARS} characters")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ReconcileError(f"{name} is not JSON: {str(exc)[:120]}") from None


@bp.errorhandler(ReconcileError)
def bad_request(exc: ReconcileError) -> ResponseReturnValue:
    return _error(str(exc), 400)


@bp.errorhandler(facets.IndexMissing)
def no_index(exc: facets.IndexMissing) -> ResponseReturnValue:
    return _error(str(exc), 503)


@bp.route("", methods=["GET", "POST"])
def service() -> ResponseReturnValue:
    model = Reconciler(get_store())
    extend = _parse("extend") if "extend" in request.values else None
    if extend is not None:
        model.check_extend(extend)  # every parameter given must be valid, used or not
    if "queries" in request.values:
        queries = _parse("queries")
        if not isinstance(queries, dict):
            raise ReconcileError("queries must be a JSON object of named queries")
        return _json(model.reconcile(queries, _lang()))
    if "extend" in request.values:
        return _json(model.extend(extend, _lang()))
    return _json(manifest(_lang()))


def manifest(lang: str) -> dict[str, Any]:
    """The service manifest: what this service does and where its parts are."""
    root = request.url_root
    settings = get_store().settings
    service = root + "reconcile"
    return {
        "versions": ["0.2"],
        "name": text_in(lang, "reconcile.service.name"),
        "identifierSpace": settings.canonical_base,
        "schemaSpace": settings.canonical_base + "def/",
        "documentation": root + "api",
        "serviceVersion": "0.2",
        "view": {"url": root + "page/{{id}}"},
        "defaultTypes": [{"id": k.id, "name": k.names[lang]} for k in TYPES],
        "preview": {
            "url": service + "/preview?id={{id}}&lang=" + lang,
            "width": PREVIEW_SIZE[0],
            "height": PREVIEW_SIZE[1],
        },
        "suggest": {
            "entity": {"service_url": service, "service_path": "/suggest/entity"},
            "property": {"service_url": service, "service_path": "/suggest/property"},
            "type": {"service_url": service, "service_path": "/suggest/type"},
        },
        "extend": {
            "propose_properties": {"service_url": service, "service_path": "/propose_properties"},
            "property_settings": [],
        },
    }


def _cursor() -> int:
    try:
        cursor = int(request.args.get("cursor", "0") or 0)
    except ValueError:
        raise ReconcileError("cursor must be a whole number") from None
    if not 0 <= cursor <= MAX_CURSOR:
        raise ReconcileError(f"cursor must be between 0 and {MAX_CURSOR}")
    return cursor


@bp.route("/suggest/entity")
def suggest_entity() -> ResponseReturnValue:
    lang = _lang()
    prefix = request.args.get("prefix", "")
    things = Reconciler(get_store()).suggest_entities(
        prefix, request.args.get("type") or None, lang, _cursor()
    )
    result = []
    for thing in things:
        entry: dict[str, Any] = {
            "id": thing.id,
            "name": thing.name(lang),
            "notable": [{"id": k.id, "name": k.names[lang]} for k in thing.types],
        }
        described = thing.description(lang)
        if described:
            entry["description"] = described[:200]
        result.append(entry)
    return _json({"result": result})


@bp.route("/suggest/property")
def suggest_property() -> ResponseReturnValue:
    lang = _lang()
    props = Reconciler(get_store()).suggest_properties(
        request.args.get("prefix", ""), request.args.get("type") or None, lang
    )
    return _json({"result": [prop_json(p, lang) for p in props][_cursor() :]})


@bp.route("/suggest/type")
def suggest_type() -> ResponseReturnValue:
    lang = _lang()
    kinds = Reconciler.suggest_types(request.args.get("prefix", ""))
    return _json({"result": [kind_json(k, lang) for k in kinds][_cursor() :]})


@bp.route("/propose_properties")
def propose_properties() -> ResponseReturnValue:
    lang = _lang()
    type_id = request.args.get("type") or None
    try:
        limit = int(request.args.get("limit", str(len(PROPERTIES))))
    except ValueError:
        raise ReconcileError("limit must be a whole number") from None
    props = Reconciler(get_store()).propose(type_id)[: max(0, limit)]
    body: dict[str, Any] = {"properties": [prop_json(p, lang) for p in props], "limit": limit}
    if type_id:
        body["type"] = type_id
    return _json(body)


@bp.route("/preview")
def preview() -> ResponseReturnValue:
    """A small HTML card of one thing, for OpenRefine's iframe."""
    lang = _lang()
    model = Reconciler(get_store())
    ident = request.args.get("id", "")
    iri = model.iri_of(ident)
    thing = model.things([iri]).get(iri) if iri else None
    if thing is None:
        body = render_template("reconcile/preview.html", thing=None, ident=ident, lang=lang)
        response = Response(body, status=404, mimetype="text/html")
    else:
        facts = [
            (p, thing.values[p.id])
            for p in PROPERTIES
            if p.id in PREVIEW_PROPERTIES and p.id in thing.values
        ]
        body = render_template(
            "reconcile/preview.html",
            thing=thing,
            lang=lang,
            facts=facts,
            page_url=request.url_root + "page/" + thing.id,
        )
        response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["Content-Language"] = lang
    return response
