"""Replicas: several ``kiemen serve`` processes serving published generations read-only.

One writer publishes generations (``kiemen load``, uploads, updates); any number of replicas
serve them behind a load balancer. A replica on the same machine reads the writer's store
directory; one on another machine has its own directory and *receives* each generation:

1. the generation directory is copied under a temporary name (``.gen-….tmp``), which no
   reader ever opens;
2. it is renamed to its own name, then ``current`` is swapped to it with one ``rename``, as
   the writer does: a replica sees the old generation or the new one, never a part;
3. old generations beyond the newest few are removed (a request still reading one keeps its
   open files; POSIX frees them when it ends).

Every request resolves the generation once and keeps it (:meth:`KiemenStore.reader` reopens on a
new ``current``), so switching drops no request. ``KIEMEN_READ_ONLY=1`` makes a process refuse
every write: at the store (authoritative) and, with a clear 503, at the HTTP door.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from flask import Flask, Response, request

from core.config import Settings
from core.store import BASE_FILE, KEEP_GENERATIONS, KiemenStore, StoreError

_WRITE_METHODS = ("PUT", "DELETE", "PATCH")


def _is_write() -> bool:
    """Requests that would write: refused on a replica before any work is done."""
    if request.method in _WRITE_METHODS:
        return True
    if request.method != "POST":
        return False
    path = request.path
    if path.startswith("/store"):
        return True
    if path.startswith("/publish/"):
        return not path.endswith("/validate")
    if path.rstrip("/") == "/sparql":
        kind = (request.mimetype or "").lower()
        if kind == "application/sparql-update":
            return True
        return kind == "application/x-www-form-urlencoded" and "update" in request.form
    return False


def refuse_writes() -> Response | None:
    if not _is_write():
        return None
    return Response(
        "Service Unavailable: this server is a read-only replica; send writes to the writer\n",
        status=503,
        mimetype="text/plain",
        headers={"Retry-After": "60"},
    )


def init_app(app: Flask) -> None:
    settings: Settings = app.config["KIEMEN"]
    if settings.read_only:
        app.before_request(refuse_writes)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ship(source: KiemenStore, dest: Path) -> tuple[str, bool]:
    """Give the replica directory ``dest`` the source's published generation and make it
    current there; returns (generation name, whether it was copied)."""
    gen = source.current_generation()
    if gen is None:
        raise StoreError(f"the store {source.root} has no published generation to ship")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / gen.name
        copied = False
        if not target.exists():
            tmp = dest / f".{gen.name}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(gen, tmp, ignore=shutil.ignore_patterns("LOG*"))
            _fsync_dir(tmp)
            os.rename(tmp, target)
            copied = True
        link_tmp = dest / f".current.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link_tmp.unlink()
        os.symlink(gen.name, link_tmp)
        os.replace(link_tmp, dest / "current")
        _fsync_dir(dest)
        _prune(dest, gen.name)
    except OSError as exc:
        raise StoreError(f"cannot ship {gen.name} to {dest}: {exc}") from exc
    if not (target / BASE_FILE).exists():
        raise StoreError(f"{target} has no {BASE_FILE}: not a Kiemen generation")
    return gen.name, copied


def _prune(dest: Path, current: str) -> None:
    gens = sorted(p for p in dest.iterdir() if p.name.startswith("gen-"))
    keep = {p.name for p in gens[-KEEP_GENERATIONS:]} | {current}
    for p in gens:
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
