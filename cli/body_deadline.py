"""Request bodies read with a deadline under granian, so a slow client cannot hold a thread.

Why: waitress reads a whole body on its event loop before a request thread sees it, and closes
a connection that makes no progress for ``channel_timeout`` seconds. granian hands the app a
stream whose ``read`` blocks, without any timeout, until the client sends; forty clients that
declare a body and never send it would hold every request thread for good (measured: the
portal stopped answering). Here a body is read on a thread of its own, and the request thread
waits for it at most ``channel_timeout`` seconds without progress, then answers 408 and closes
the connection; the app gets the body as it would from waitress, already in memory.

Requests without a body (GET, HEAD, ``Content-Length: 0``) go straight to the app. A declared
length past the body limit goes straight to the app too, which answers 413 without reading it.
Readers are bounded: when every one of them is held by a client that sends nothing, further
bodies get 503 at once instead of queueing behind them.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: A WSGI application.
App = Callable[[dict[str, Any], Any], Iterable[bytes]]

#: Bytes asked of the server's stream at a time.
CHUNK = 64 * 1024


class _Body:
    """One body being read: the chunks so far, and whether the reader has finished."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.done = threading.Event()
        self.progress = threading.Event()
        self.error: BaseException | None = None


def _refuse(start_response: Any, status: str) -> list[bytes]:
    start_response(status, [("Content-Length", "0"), ("Connection", "close")])
    return []


class BodyDeadline:
    """WSGI middleware: read each request body with at most ``timeout`` seconds between chunks."""

    def __init__(self, app: App, timeout: float, max_bytes: int, readers: int) -> None:
        self.app = app
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._free = threading.BoundedSemaphore(readers)
        # threads kept between requests: starting one per body cost more than the rest of a
        # small POSTed query's Python (measured: kept small lookups 5,951 → 2,436 q/s, 4 clients)
        self._pool = ThreadPoolExecutor(readers, thread_name_prefix="kiemen-body")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
        if not chunked and (
            not length.isdigit() or int(length) == 0 or int(length) > self.max_bytes
        ):
            return self.app(environ, start_response)  # nothing to read, or a 413 unread
        wanted = int(length) if not chunked else self.max_bytes + 1
        if not self._free.acquire(blocking=False):
            return _refuse(start_response, "503 Service Unavailable")
        body = _Body()
        self._pool.submit(self._read, environ["wsgi.input"], wanted, body)
        while not body.done.wait(self.timeout):
            if not body.progress.is_set():
                return _refuse(start_response, "408 Request Timeout")
            body.progress.clear()
        if body.error is not None:
            return _refuse(start_response, "400 Bad Request")
        environ["wsgi.input"] = io.BytesIO(b"".join(body.chunks))
        if chunked:  # what was read is the whole body (or more than the app will accept)
            environ["CONTENT_LENGTH"] = str(body.size)
        return self.app(environ, start_response)

    def _read(self, stream: Any, wanted: int, body: _Body) -> None:
        try:
            while body.size < wanted:
                chunk = stream.read(min(CHUNK, wanted - body.size))
                if not chunk:
                    break
                body.chunks.append(chunk)
                body.size += len(chunk)
                body.progress.set()
        except (OSError, ValueError, RuntimeError) as exc:  # the client went away mid-body
            body.error = exc
        finally:
            self._free.release()
            body.done.set()
