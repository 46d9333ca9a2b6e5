"""``/api/openapi.json``: the OpenAPI 3.1 description of the JSON interfaces (portal.openapi)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from core.indexes import facets
from portal import listing, openapi
from portal.db import get_settings, get_store

bp = Blueprint("openapi", __name__)


@bp.route("/api/openapi.json")
def description() -> ResponseReturnValue:
    try:
        index = listing.browse_index(get_store())
        values = {key: list(f.tokens) for key, f in index.facets.items()}
    except facets.IndexMissing:
        values = {}
    response = jsonify(openapi.document(get_settings(), request.url_root, values))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
