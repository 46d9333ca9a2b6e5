"""waitress, with kept SPARQL answers given in its I/O thread instead of a request thread.

waitress reads every request in one I/O thread and hands it to a pool of request threads. For
a kept answer (a query answered before in the published generation: a dictionary lookup) the
hand-off is most of the cost: waking a request thread, passing the GIL to it and back, and
waking the I/O thread again to send the answer took ~130 of ~300 µs of server CPU per request
with 4 clients on 2 cores (bench/README.md). So a request that may be such a lookup is first
offered to the app in the I/O thread with :data:`portal.sparql_fast.KEPT_ONLY` set: the fast
path answers only from the answer cache, through the same per-client limit, and never waits.
Anything else (no kept answer, the client over its limit, another path, a refusal) goes to the
request threads exactly as before, its body rewound.

The I/O thread must never block, so an answer is given there only when nothing can make
waitress wait for the socket: the connection has no other request queued and nothing left to
send, and the answer is far below waitress's high-water mark for unsent data.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import WSGITask

from portal import sparql_fast
from portal.sparql_fast import KEPT_ONLY, FastPath

#: Request bodies up to this size may be offered (a query text; larger ones are never kept).
MAX_INLINE_BODY = 64 * 1024
LOG = logging.getLogger("kiemen.inline")
#: The environ key that carries a kept answer from the offer to the task that sends it.
_ANSWER = "kiemen.inline_answer"


class _KeptOrApp:
    """The application waitress calls: the kept answer found in the I/O thread, if any."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        answer = environ.pop(_ANSWER, None)
        if answer is not None:
            return answer(environ, start_response)
        return self.app(environ, start_response)


class _InlineTask(WSGITask):  # type: ignore[misc]
    """A request task that carries the kept answer its channel found, if any."""

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        answer = getattr(self.channel, "kept", None)
        if answer is not None:
            self.channel.kept = None
            environ[_ANSWER] = answer
        return environ


class _InlineChannel(HTTPChannel):  # type: ignore[misc]
    """A connection whose complete requests are offered to the kept answers before the pool."""

    task_class = _InlineTask
    reading = False
    offered = False
    kept: Any = None

    def handle_read(self) -> None:
        self.reading = True
        try:
            super().handle_read()
        finally:
            self.reading = False
        if self.offered:
            self.offered = False
            if not self._answer_kept():
                self.server.to_pool(self)

    def _answer_kept(self) -> bool:
        """Answer the queued request here if it has a kept answer; False: not answered."""
        if not self.connected or len(self.requests) != 1 or self.total_outbufs_len:
            return False
        request = self.requests[0]
        if (
            request.error
            or request.command not in ("GET", "POST")
            or request.content_length > MAX_INLINE_BODY
            or request.chunked
            or not request.path.endswith("/sparql")
        ):
            return False
        body = request.get_body_stream()
        position = body.tell()
        payload: str | bytes = request.query
        if request.command == "POST":
            payload = body.read(request.content_length)
            body.seek(position)
        if not self.server.fast.answered_before(request.command, payload):
            return False
        environ = _InlineTask(self, request).get_environment()
        holder: list[Any] = []
        environ[KEPT_ONLY] = holder
        try:
            self.server.application(environ, None)
        except Exception:  # the request thread answers it, with the app's own error handling
            LOG.exception("offering %s to the kept answers failed", request.path)
            holder.clear()
        if not holder or len(holder[0].outcome.body) > sparql_fast.MAX_INLINE_BYTES:
            body.seek(position)
            self.server.declined_inline += 1
            return False
        self.kept = holder[0]
        self.server.answered_inline += 1
        self.service()
        return True


def create_inline_server(app: Flask, **options: Any) -> Any:
    """waitress's server for ``app`` (``waitress.serve(_server=...)``), each of its listening
    sockets giving kept answers in the I/O thread."""
    fast = app.extensions["kiemen_sparql_fast"]
    server = create_server(_KeptOrApp(app), **options)
    if isinstance(server, BaseWSGIServer):
        _offer_kept(server, fast)
    else:  # several listening sockets (waitress's MultiSocketServer)
        for listener in set(server.map.values()):
            if isinstance(listener, BaseWSGIServer):
                _offer_kept(listener, fast)
    return server


def _offer_kept(server: Any, fast: FastPath) -> None:
    server.fast = fast
    server.channel_class = _InlineChannel
    server.answered_inline = 0  # figures for tests and operators
    server.declined_inline = 0
    server.to_pool = server.add_task

    def add_task(channel: Any) -> None:
        if isinstance(channel, _InlineChannel) and channel.reading:
            channel.offered = True  # offered to the kept answers once the read is done
        else:
            server.to_pool(channel)

    server.add_task = add_task
