"""The Flask application, built by :func:`create_app` (flaskr's pattern)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.config import Settings
from portal import (
    conditional,
    db,
    errors,
    i18n,
    pagecache,
    proxy,
    replicas,
    safeweb,
    sparql_fast,
    urls,
    wiring,
)
from portal.builtin_labels import builtin_labels
from portal.features import default_wiring


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the WSGI application; one blueprint per feature."""
    settings = settings or Settings.from_env(**overrides)
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.config["KIEMEN"] = settings
    app.config["JSON_SORT_KEYS"] = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes

    db.init_app(app)
    errors.init_app(app)
    conditional.init_app(app)
    i18n.init_app(app)
    builtin_labels()  # read now: a broken labels file stops the start, not a page later
    sparql_fast.init_app(app)  # inside the proxy's fix-up of address and host
    proxy.init_app(app)
    urls.init_app(app)
    replicas.init_app(app)
    safeweb.init_app(app)

    wiring.init_app(app, default_wiring())
    # Last: its lookup runs after every guard above, and it keeps the view's own answer before
    # any other after_request hook (cookie, validators, headers) adds what is per caller.
    pagecache.init_app(app)
    return app
