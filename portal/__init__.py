"""The Kiemen portal: a Flask application built by :func:`create_app` (flaskr's pattern)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from portal.config import Settings


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the WSGI application; one blueprint per feature."""
    settings = settings or Settings.from_env(**overrides)
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.config["KIEMEN"] = settings
    app.config["JSON_SORT_KEYS"] = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes

    from portal import conditional, db, errors, i18n, proxy, replicas, safeweb, urls

    db.init_app(app)
    errors.init_app(app)
    conditional.init_app(app)
    i18n.init_app(app)
    proxy.init_app(app)
    urls.init_app(app)
    replicas.init_app(app)
    safeweb.init_app(app)

    from portal.views import home, vendor

    app.register_blueprint(home.bp)
    app.register_blueprint(vendor.bp)
    for module in _optional_views():
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)
    return app


def _optional_views() -> list[Any]:
    """Feature blueprints; each lives in its own module under ``portal.views``."""
    import importlib

    found = []
    for name in (
        "codebook",
        "linkeddata",
        "sparql",
        "graphstore",
        "browse",
        "api",
        "publish",
        "reconcile",
        "openapi",
        "citemeta",
        "health",
        "pages",
    ):
        try:
            found.append(importlib.import_module(f"portal.views.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"portal.views.{name}":
                raise
    return found
