"""``kiemen serve``: the portal, the SPARQL endpoint and the linked data, with waitress."""

from __future__ import annotations

import os
import resource
from typing import Any

import click
from waitress import serve as waitress_serve

from cli.base import Context, guarded, warn_about_store
from cli.inline import create_inline_server
from core.config import Settings
from core.store import KiemenStore
from portal.app import create_app


def raise_open_files(wanted: int) -> None:
    """Lift the soft limit on open files so that ``max_connections`` sockets fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@click.command()
@click.option("--host", default=None, help="Interface to listen on (KIEMEN_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (KIEMEN_PORT, 5000).")
@click.option(
    "--threads",
    type=int,
    default=32,
    show_default=True,
    help="Request threads; a request waiting for a query worker holds one.",
)
@click.pass_obj
@guarded
def serve(obj: Context, host: str | None, port: int | None, threads: int) -> None:
    """Serve the portal, the SPARQL endpoint and the linked data with waitress."""
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = Settings.from_env(**overrides)
    raise_open_files(settings.max_connections + 256)
    app = create_app(settings)
    warn_about_store(KiemenStore(settings))
    # Dumps of the loaded data are written in the background (not waited for); see dumps.py.
    app.config["KIEMEN_AUTO_DUMPS"] = os.environ.get("KIEMEN_AUTO_DUMPS", "1") != "0"
    if app.config["KIEMEN_AUTO_DUMPS"] and "kiemen_dumps_start" in app.extensions:
        app.extensions["kiemen_dumps_start"]()
    click.echo(f"Kiemen serving on http://{settings.host}:{settings.port}/", err=True)
    # X-Forwarded-* reach the app, where portal/proxy.py (ProxyFix) turns them into correct
    # absolute URLs; waitress would otherwise drop X-Forwarded-Proto and -Host on its own.
    # Kept SPARQL answers are given in waitress's I/O thread, the rest by its request threads.
    waitress_serve(
        app,
        _server=create_inline_server,
        host=settings.host,
        port=settings.port,
        threads=threads,
        ident="kiemen",
        clear_untrusted_proxy_headers=False,
        # Refuse giant bodies while reading them instead of buffering up to 1 GB; bodies just
        # over the limit still reach the app, which answers 413 in the format asked for.
        max_request_body_size=2 * settings.max_body_bytes + (1 << 20),
        # Slow and idle clients: many cheap sockets, each closed after channel_timeout seconds
        # without progress, so a few hundred idle connections never lock other clients out.
        connection_limit=settings.max_connections,
        channel_timeout=settings.channel_timeout,
        cleanup_interval=max(1, min(10, settings.channel_timeout // 3)),
        max_request_header_size=settings.max_query_bytes * 3 + 16 * 1024,
    )


COMMANDS = [serve]
