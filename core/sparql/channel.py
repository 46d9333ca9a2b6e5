"""The web process's end of a query worker's socket: framed pickles, every read under a deadline.

The worker reads and writes with :class:`multiprocessing.connection.Connection`; this end speaks
the same framing (a signed 4-byte big-endian length, or -1 and an 8-byte one, then the pickle)
on the plain socket. ``Connection.poll`` built a selector for every wait and ``recv`` read the
frame in two more calls; here the wait is the read itself, a blocking ``recv_into`` with the
time left as the socket's timeout (no polling, no extra thread), so a job's answer arrives in as
few system calls as the kernel allows. Measured in bench/README.md.
"""

from __future__ import annotations

import pickle
import socket
import struct
import time
from typing import Any

_SHORT = struct.Struct("!i")
_LONG = struct.Struct("!Q")
#: Once an answer's first bytes are in, the rest may take this long past the deadline (the
#: worker has finished; only the copy of a big answer is left).
TAIL_SECONDS = 10.0
#: Bytes asked of the socket at once (a small answer and its header in one read).
CHUNK = 65536


class Timeout(Exception):
    """Nothing (or not all of an answer) arrived by the deadline."""


class Channel:
    """One socket to one worker; used by one thread at a time (the pool hands workers out)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._pending = bytearray()

    def send(self, obj: Any, deadline: float | None = None) -> None:
        data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
        n = len(data)
        header = _SHORT.pack(n) if n <= 0x7FFFFFFF else _SHORT.pack(-1) + _LONG.pack(n)
        self.sock.settimeout(None if deadline is None else _left(deadline))
        try:
            self.sock.sendall(header + data)
        except TimeoutError as exc:
            raise Timeout from exc

    def receive(self, deadline: float) -> Any:
        """The next object; Timeout if its first bytes are not in by ``deadline``, EOFError if the
        worker closed its end (it died)."""
        (n,) = _SHORT.unpack(self._take(_SHORT.size, deadline))
        tail = max(deadline, time.monotonic() + TAIL_SECONDS)
        if n == -1:
            (n,) = _LONG.unpack(self._take(_LONG.size, tail))
        return pickle.loads(self._take(n, tail))

    def _take(self, size: int, deadline: float) -> bytes:
        """``size`` bytes: a small answer comes with its header in one read."""
        while len(self._pending) < size:
            self.sock.settimeout(_left(deadline))
            try:
                chunk = self.sock.recv(max(CHUNK, size - len(self._pending)))
            except TimeoutError as exc:
                raise Timeout from exc
            if not chunk:
                raise EOFError
            self._pending += chunk
        out = bytes(self._pending[:size])
        del self._pending[:size]
        return out

    def close(self) -> None:
        self.sock.close()


def _left(deadline: float) -> float:
    """Seconds to the deadline; a deadline already past still lets a ready read through."""
    return max(deadline - time.monotonic(), 0.000_001)
