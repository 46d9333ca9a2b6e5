"""Front-end libraries installed from the npm registry at setup, served by the app itself.

``make setup`` runs ``npm ci`` from ``package.json`` (pinned versions). Files are served from
``node_modules`` under ``/vendor/{package}@{version}/{file}`` so that a version change changes
the URL (long cache lifetimes are safe). No page loads anything from a CDN.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("vendor", __name__)

#: The packages the portal may serve, from package.json.
ALLOWED = (
    "@zazuko/yasgui",
    "leaflet",
    "leaflet.markercluster",
    "cytoscape",
    "axe-core",
    "world-atlas",
    "topojson-client",
    "cytoscape-fcose",
    "cose-base",
    "layout-base",
)


def assets_dir() -> Path:
    """``KIEMEN_ASSETS_DIR``, else ``node_modules`` of the checkout."""
    env = os.environ.get("KIEMEN_ASSETS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "node_modules"


@cache
def versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ALLOWED:
        manifest = assets_dir() / name / "package.json"
        try:
            out[name] = json.loads(manifest.read_text())["version"]
        except (OSError, ValueError, KeyError):
            continue
    return out


def vendor_url(package: str, file: str) -> str:
    """The URL of a file of an npm package, with its installed version in the path."""
    version = versions().get(package, "missing")
    return f"/vendor/{package}@{version}/{file}"


def available(package: str) -> bool:
    return package in versions()


@bp.app_context_processor
def inject() -> dict[str, object]:
    return {"vendor_url": vendor_url, "vendor_available": available}


@bp.route("/vendor/<path:spec>")
def asset(spec: str) -> ResponseReturnValue:
    for package in ALLOWED:
        prefix = f"{package}@"
        if spec.startswith(prefix):
            version, _, file = spec[len(prefix) :].partition("/")
            if version != versions().get(package) or not file:
                abort(404)
            response = send_from_directory(assets_dir() / package, file, max_age=31536000)
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            return response
    abort(404)
