"""Probes for load balancers and orchestrators: ``/healthz`` (the process answers) and
``/readyz`` (a published generation with data is open; names it, so a replica's switch to a new
generation can be watched)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue

from core.store import StoreError
from portal.db import get_store

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})


@bp.route("/readyz")
def readyz() -> ResponseReturnValue:
    kstore = get_store()
    try:
        generation = kstore.generation_id()
        ready = generation is not None and not kstore.is_empty()
    except StoreError:
        generation, ready = None, False
    response = jsonify({"ok": ready, "generation": generation})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
