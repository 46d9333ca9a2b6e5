"""Uploads waiting for the publisher's confirmation of a replace (the web form's second step).

A browser cannot send the same files again without the person choosing them again, so the
files of an unconfirmed replace are kept under the publisher's own folder for an hour, named by
a random identifier. Only the publisher's token reaches them (the folder is per publisher), the
identifier is checked as data before it names a path, and nothing is kept longer than
:data:`KEEP_SECONDS` or larger than the body limit it came in under.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from pathlib import Path

from core.config import Settings
from publishing.publishers import files_dir
from publishing.template import UploadFile

#: How long an unconfirmed upload is kept.
KEEP_SECONDS = 3600
#: Most unconfirmed uploads kept per publisher (the oldest go first), so retries cannot fill
#: the disk: at most this many times the body limit.
MAX_KEPT = 4
_ID = re.compile(r"[0-9a-f]{32}")


def _root(settings: Settings, code: str) -> Path:
    return files_dir(settings, code) / "pending"


def _expire(root: Path, room: int = MAX_KEPT) -> None:
    """Drop uploads older than KEEP_SECONDS, and the oldest beyond ``room``."""
    if not root.is_dir():
        return
    limit = time.time() - KEEP_SECONDS
    kept = sorted(
        (f for f in root.iterdir() if f.is_dir()), key=lambda f: f.stat().st_mtime, reverse=True
    )
    for n, folder in enumerate(kept):
        if n >= room or folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


def stash(settings: Settings, code: str, files: list[UploadFile]) -> str:
    """Keep ``files`` until confirmed; returns the identifier the confirm form sends back."""
    root = _root(settings, code)
    _expire(root, MAX_KEPT - 1)
    ident = secrets.token_hex(16)
    tmp = root / f".{ident}.tmp"
    tmp.mkdir(parents=True)
    manifest = []
    for i, f in enumerate(files):
        (tmp / str(i)).write_bytes(f.data)
        manifest.append({"name": f.name, "table": f.table})
    (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    tmp.rename(root / ident)  # whole or not at all
    return ident


def take(settings: Settings, code: str, ident: str) -> list[UploadFile] | None:
    """The files kept under ``ident`` for this publisher, or None (unknown or expired)."""
    if not _ID.fullmatch(ident):
        return None
    root = _root(settings, code)
    _expire(root)
    folder = root / ident
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return [
            UploadFile(str(m["name"]), (folder / str(i)).read_bytes(), m.get("table"))
            for i, m in enumerate(manifest)
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def drop(settings: Settings, code: str, ident: str) -> None:
    """Forget a kept upload (published, or replaced by a new one)."""
    if _ID.fullmatch(ident):
        shutil.rmtree(_root(settings, code) / ident, ignore_errors=True)
