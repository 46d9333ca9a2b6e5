"""``kiemen serve`` on granian (``KIEMEN_HTTP_SERVER=granian``): Rust HTTP, the app in threads.

Why another server: waitress parses every request in Python on one asyncore loop, about 0.4 ms a
request, which caps cheap ``/sparql`` lookups near half the Oxigraph server's rate whatever the
app does (bench/README.md). granian reads and writes HTTP in Rust and calls the same WSGI app
in a pool of Python threads of one process, so the per-client limiter, the caches and the query
worker pool stay shared exactly as under waitress.

The protections waitress's settings gave, and what gives them here:

* idle and slow clients: connections cost a Rust task, not a thread, so idle ones lock nobody
  out; a client that has not sent its headers within ``channel_timeout`` is disconnected;
* header size: hyper refuses a request whose headers do not fit its read buffer (sized as
  waitress's ``max_request_header_size``);
* slow bodies: :mod:`cli.body_deadline` reads each body on a thread of its own and gives up
  after ``channel_timeout`` seconds without progress (408), so no request thread waits on a
  client;
* body size: granian streams the body to the app (nothing is buffered ahead), and the app
  answers 413 to a declared length past ``KIEMEN_MAX_BODY_BYTES`` before reading it and stops a
  chunked body once it passes the limit;
* ``X-Forwarded-*``: passed through untouched; :mod:`portal.proxy` believes them only from
  ``KIEMEN_TRUSTED_PROXIES``, as under waitress.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server import Server

from cli.body_deadline import BodyDeadline
from core.config import Settings

#: The WSGI application a loader returns (the portal's Flask app, possibly wrapped).
App = Callable[..., Any]


def _without_process_env(app: App) -> App:
    """granian starts every WSGI environ from ``os.environ``; a ``HTTP_*`` variable of the
    server's environment would read as a request header there (the httpoxy problem), so those
    keys are dropped unless the request itself carried them."""
    leaked = {k: v for k, v in os.environ.items() if k.startswith("HTTP_")}
    if not leaked:
        return app

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        for key, value in leaked.items():
            if environ.get(key) is value:
                del environ[key]
        return app(environ, start_response)

    return wrapped


def _readers(threads: int) -> int:
    """Bodies read at once; past this many slow clients, a further body gets 503 at once."""
    return 2 * threads


def _load(make_app: Callable[[], App], settings: Settings, threads: int, _target: str) -> App:
    """Build the app inside granian's worker process (never before the fork: the app starts
    threads and query worker processes that belong to the process that serves)."""
    app = BodyDeadline(
        make_app(),
        timeout=settings.channel_timeout,
        max_bytes=settings.max_body_bytes,
        readers=_readers(threads),
    )
    return _without_process_env(app)


def serve_granian(settings: Settings, threads: int, make_app: Callable[[], App]) -> None:
    """Serve ``make_app()`` with granian on ``settings.host``/``settings.port`` until stopped."""
    server = Server(
        "kiemen",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.WSGI,
        http=HTTPModes.http1,
        workers=1,
        # a request thread waiting for a slow body must not take one from the work: room for
        # every body reader on top of the request threads
        blocking_threads=threads + _readers(threads),
        backpressure=settings.max_connections,
        backlog=max(1024, settings.max_connections),
        http1_settings=HTTP1Settings(
            header_read_timeout=settings.channel_timeout * 1000,
            max_buffer_size=max(8192, settings.max_query_bytes * 3 + 16 * 1024),
        ),
        log_access=False,
        workers_kill_timeout=max(1, int(settings.query_timeout) + 5),
    )
    server.serve(target_loader=partial(_load, make_app, settings, threads))
