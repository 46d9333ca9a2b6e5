"""Named points where a test can stop a process, to kill it there (FoundationDB-style failpoints).

``KIEMEN_FAILPOINT=name`` makes :func:`failpoint` with that name write
``$KIEMEN_FAILPOINT_FILE`` (the name and the process id, so the test knows which process got
there) and then sleep until it is killed. ``KIEMEN_FAILPOINT=@path`` reads the name from the
file ``path`` at each failpoint instead, so that one server can be stopped at one point after
another. ``KIEMEN_FAULT=name`` makes :func:`fault` with that name raise :class:`InjectedFault`
(a dependency failing, to show the caller fails closed). Unset (always, outside tests), each
costs one dictionary lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


class InjectedFault(RuntimeError):
    """Raised by :func:`fault` where a test asked for a failure."""


def _armed() -> str | None:
    name = os.environ.get("KIEMEN_FAILPOINT")
    if name is None or not name.startswith("@"):
        return name
    try:
        return Path(name[1:]).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def failpoint(name: str) -> None:
    if "KIEMEN_FAILPOINT" not in os.environ or _armed() != name:
        return
    marker = os.environ.get("KIEMEN_FAILPOINT_FILE")
    if marker:
        tmp = Path(f"{marker}.{os.getpid()}")
        tmp.write_text(f"{name} {os.getpid()}", encoding="utf-8")
        tmp.replace(marker)  # the test never reads half a marker
    while True:  # until the test kills this process
        time.sleep(3600)


def fault(name: str) -> None:
    if os.environ.get("KIEMEN_FAULT") == name:
        raise InjectedFault(f"injected fault: {name}")
