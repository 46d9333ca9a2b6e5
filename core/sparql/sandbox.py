"""Confine a SPARQL worker process: no network at all, and a memory ceiling.

pyoxigraph as shipped fetches any URL a query names in ``SERVICE`` or an update in ``LOAD``. No
text filter can be trusted to find those (the engine's lexer is the only one that knows where a
comment ends), so the worker is made unable to open a network socket: a seccomp filter (through
libseccomp) makes ``socket()`` fail with EPERM for every address family but ``AF_UNIX`` (the pipe
to the web process was opened before), and ``io_uring_setup`` too, since io_uring can open
sockets without ``socket()``. Where seccomp is unavailable, a new network namespace (only a
loopback that is down) does the same job. If neither can be had, the worker refuses to start:
the endpoint answers 503 rather than run unconfined.

``RLIMIT_AS`` bounds the worker's address space, so a query that builds a huge intermediate
result fails (the worker dies, the client gets 503 "needs too much memory") instead of taking
the machine.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import socket

try:  # loads libseccomp.so.2 through ctypes; absent off Linux, where the namespace fallback runs
    import pyseccomp as seccomp

    _SECCOMP_MISSING = ""
except (ImportError, OSError) as _exc:
    seccomp = None
    _SECCOMP_MISSING = str(_exc)

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


class SandboxError(RuntimeError):
    """The worker could not be confined; it must not run requests."""


def _seccomp_no_network() -> None:
    if seccomp is None:
        raise SandboxError(f"libseccomp cannot be loaded ({_SECCOMP_MISSING})")
    flt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    flt.set_attr(seccomp.Attr.CTL_TSYNC, 1)  # every thread of the process, not just this one
    refuse = seccomp.ERRNO(errno.EPERM)
    flt.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    flt.add_rule(refuse, "socketpair", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    for name in ("io_uring_setup", "io_uring_enter", "io_uring_register"):
        flt.add_rule(refuse, name)
    flt.load()


def _unshare_network() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    flags = CLONE_NEWNET if os.geteuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    if libc.unshare(flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def deny_network() -> str:
    """Make this process unable to reach any network; returns how (or raises SandboxError)."""
    reasons = []
    try:
        _seccomp_no_network()
        return "seccomp"
    except (SandboxError, OSError, RuntimeError, ValueError, AttributeError) as exc:
        # whatever else the binding raises ends the worker: every request then gets 503
        reasons.append(f"seccomp: {exc}")
    try:
        _unshare_network()
        return "network namespace"
    except OSError as exc:
        reasons.append(f"network namespace: {exc}")
    raise SandboxError("cannot cut the network off: " + "; ".join(reasons))


def limit_memory(soft: int, hard: int | None = None) -> None:
    """Cap the address space at ``soft`` bytes (0: no cap) below a ceiling of ``hard``.

    The worker lowers and raises the soft cap between jobs (a write opens a writable database
    and an index writer, which need more room than a query); nothing a request sends can run
    code that would raise it.
    """
    ceiling = hard if hard is not None else soft
    if ceiling <= 0:
        return
    resource.setrlimit(resource.RLIMIT_AS, (min(soft or ceiling, ceiling), ceiling))


def network_is_reachable() -> bool:
    """Whether this process can still open an IP socket (for self-checks and tests)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM):
            return True
    except PermissionError:
        return False
    except OSError:
        return False
