"""Named points where a test can stop a process, to kill it there (FoundationDB-style failpoints).

``KIEMEN_FAILPOINT=name`` makes :func:`failpoint` with that name write
``$KIEMEN_FAILPOINT_FILE`` (so the test knows the process got there) and then sleep until it is
killed. Unset (always, outside tests), a failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def failpoint(name: str) -> None:
    if os.environ.get("KIEMEN_FAILPOINT") != name:
        return
    marker = os.environ.get("KIEMEN_FAILPOINT_FILE")
    if marker:
        Path(marker).write_text(name, encoding="utf-8")
    while True:  # until the test kills this process
        time.sleep(3600)
