"""Correct absolute URLs behind a reverse proxy (X-Forwarded-Proto, -Host, -Port, -Prefix).

X-Forwarded-For is trusted only when ``KIEMEN_TRUST_FORWARDED_FOR`` says how many proxies
stand in front (default 0): the per-client query limit counts clients by address, and a client
that could name its own address could dodge it.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    try:
        x_for = int(os.environ.get("KIEMEN_TRUST_FORWARDED_FOR") or 0)
    except ValueError:
        x_for = 0
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=x_for, x_proto=1, x_host=1, x_port=1, x_prefix=1
    )
