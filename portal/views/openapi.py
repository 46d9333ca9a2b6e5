"""``/api/openapi.json``: the OpenAPI 3.1 description of the JSON interfaces (portal.openapi)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from portal import openapi
from portal.db import get_settings

bp = Blueprint("openapi", __name__)


@bp.route("/api/openapi.json")
def description() -> ResponseReturnValue:
    response = jsonify(openapi.document(get_settings(), request.url_root))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
