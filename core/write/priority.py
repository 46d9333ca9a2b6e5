"""The lowest CPU and I/O priority, for background work that must not slow writes or pages.

The dump export (:mod:`core.write.dumps`) serialises the whole store after a publish, while the
next write may already run: niced, it still took a share of the two cores and of the disk.
``SCHED_IDLE`` runs it only on a core nothing else wants, the idle I/O class only when the disk
is otherwise free; the export is never skipped, only waits.
"""

from __future__ import annotations

import ctypes
import os
import platform

#: ``ioprio_set`` by machine (Linux system call numbers).
_IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "arm64": 30}
_IOPRIO_GET = {"x86_64": 252, "aarch64": 31, "arm64": 31}
_WHO_PROCESS = 1
_CLASS_SHIFT = 13
IDLE_CLASS = 3


def _syscall(table: dict[str, int], *args: int) -> int:
    number = table.get(platform.machine())
    if number is None:
        return -1
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.syscall(number, *args))


def io_class(pid: int = 0) -> int:
    """The I/O priority class of process ``pid`` (0: this one; 3: idle), or -1 where it cannot
    be read."""
    value = _syscall(_IOPRIO_GET, _WHO_PROCESS, pid)
    return value if value < 0 else value >> _CLASS_SHIFT


def lowest() -> list[str]:
    """Put this process at the lowest CPU and I/O priority; what was applied (a system that
    refuses one gets the next best: ``nice 19``)."""
    applied = []
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        applied.append("SCHED_IDLE")
    except (AttributeError, OSError):
        os.nice(19 - os.nice(0))
        applied.append("nice 19")
    if _syscall(_IOPRIO_SET, _WHO_PROCESS, 0, IDLE_CLASS << _CLASS_SHIFT) == 0:
        applied.append("I/O idle")
    return applied
