"""Backups of a running Kiemen, and restoring one as a new published generation.

A backup is a directory::

    kiemen-backup.json          what it holds: release, base, generation, SHA-256 of every file
    generation/oxigraph/        Oxigraph's own checkpoint of the published generation
    generation/search/          the browse and text indexes built for exactly that data
    publishers.sqlite3          publisher registry, versions, audit log, link suggestions
    tokens.sqlite3              the endpoint's tokens (hashes only)
    publishers/                 the data of every published version

It is taken while the server runs: the generation is pinned (``KiemenStore.pinned``) so that
writers may go on publishing without deleting what is being copied, Oxigraph checkpoints it
(hard links, then copied, so that the backup owns its bytes), and SQLite's online backup API
copies each database as one consistent snapshot. The directory appears under its name only
when complete. A backup holds private records (audit log, tokens, contact data): keep it as
private as the store.

``restore`` checks every file against the manifest first, then publishes the backed-up data as
a new generation through the store's own atomic switch, and puts the registry back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from core.store import KiemenStore, StoreError
from core.write.provenance import kiemen_version
from portal.progress import Progress

MANIFEST = "kiemen-backup.json"
FORMAT = 1
DATABASES = ("publishers.sqlite3", "tokens.sqlite3")
FILES_DIR = "publishers"
GENERATION = "generation"

Say = Callable[[str], None]


class BackupError(Exception):
    """A backup that cannot be restored (damaged, incomplete, another base): exit code 1."""


@dataclass
class BackupReport:
    path: Path
    generation: str
    files: int
    bytes: int
    quads: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST)


@contextlib.contextmanager
def _publishers_locked(root: Path) -> Iterator[None]:
    """Hold every publisher's upload lock (``publishing.uploads.publisher_lock``), in order."""
    with contextlib.ExitStack() as stack:
        folder = root / FILES_DIR
        codes = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        for code in codes:
            fh = stack.enter_context(open(code / ".lock", "a+"))
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            stack.callback(fcntl.flock, fh.fileno(), fcntl.LOCK_UN)
        yield


def _watch(
    meter: Progress | None, path: Path, total: int | None
) -> contextlib.AbstractContextManager[None]:
    return meter.watch_dir(path, total) if meter is not None else contextlib.nullcontext()


def _total(kstore: KiemenStore, gen: Path) -> int:
    """About how many bytes a backup of ``gen`` copies (for the progress bar)."""
    parts = [gen, kstore.root / FILES_DIR, *(kstore.root / d for d in DATABASES)]
    total = 0
    for part in parts:
        if part.is_file():
            total += part.stat().st_size
        elif part.is_dir():
            total += sum(p.stat().st_size for p in part.rglob("*") if p.is_file())
    return total


def _unshare(folder: Path) -> None:
    """Give every hard-linked file under ``folder`` bytes of its own.

    Oxigraph's checkpoint hard-links the database files when it can: cheap, but then the copy
    and the live store are one file on one disk, so a disk fault, or anyone who changes a file
    of the backup, damages the store too (a test that damaged a backup broke the store it was
    taken from). A backup, and a store restored from one, must own their bytes.
    """
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_nlink > 1:
            tmp = path.with_name(f".{path.name}.copy")
            shutil.copyfile(path, tmp)
            os.replace(tmp, path)


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its online backup API, read-only open)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup(
    kstore: KiemenStore, target: Path, say: Say | None = None, meter: Progress | None = None
) -> BackupReport:
    """Copy the published generation and the registry into the new directory ``target``."""

    note = say or (meter.say if meter is not None else (lambda _m: None))
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StoreError(f"{target} exists and is not empty: back up into a new directory")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
    except OSError as exc:
        raise StoreError(f"cannot create {partial}: {exc}") from exc
    root = kstore.root
    try:
        with contextlib.ExitStack() as pinned:
            # One consistent point: no publisher is between publishing its data and recording
            # the version and audit rows while the generation is pinned and the registry
            # copied (both quick); the generation itself is copied after, as it never changes.
            with _publishers_locked(root):
                gen = pinned.enter_context(kstore.pinned())
                for name in DATABASES:
                    if (root / name).exists():
                        note(f"copying {name} (SQLite online backup)")
                        _copy_database(root / name, partial / name)
                if (root / FILES_DIR).is_dir():
                    note("copying the publishers' version files")
                    shutil.copytree(
                        root / FILES_DIR, partial / FILES_DIR, ignore=shutil.ignore_patterns(".*")
                    )
            with _watch(meter, partial, _total(kstore, gen)):
                note(f"backing up generation {gen.name}: Oxigraph checkpoint")
                source = ox.Store.read_only(str(gen / "oxigraph"))
                quads = len(source)
                (partial / GENERATION).mkdir()
                source.backup(str(partial / GENERATION / "oxigraph"))
                del source
                _unshare(partial / GENERATION / "oxigraph")
                for entry in sorted(gen.iterdir()):
                    if entry.name == "oxigraph":
                        continue
                    note(f"copying {entry.name}")
                    if entry.is_dir():
                        shutil.copytree(entry, partial / GENERATION / entry.name)
                    else:
                        shutil.copy2(entry, partial / GENERATION / entry.name)
            generation = gen.name
        files = _files(partial)
        listed: list[dict[str, Any]] = [
            {"path": str(p.relative_to(partial)), "bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in files
        ]
        manifest = {
            "format": FORMAT,
            "kiemen": kiemen_version(),
            "base_uri": kstore.settings.base_uri,
            "generation": generation,
            "quads": quads,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "files": listed,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if target.exists():
            target.rmdir()  # empty (checked above): the complete backup takes its name
        os.rename(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    size = sum(int(f["bytes"]) for f in listed)
    return BackupReport(target, generation, len(listed), size, quads)


def read_manifest(source: Path) -> dict[str, Any]:
    """The backup's manifest, after checking that every file it lists is there, unchanged."""
    path = Path(source) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source} is not a Kiemen backup: {MANIFEST} is missing") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path}: not a readable backup manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path}: backup format {manifest.get('format') if isinstance(manifest, dict) else '?'}"
            f" is not the one this Kiemen reads ({FORMAT})"
        )
    listed = {f["path"]: f for f in manifest.get("files", [])}
    present = {str(p.relative_to(source)) for p in _files(Path(source))}
    missing = sorted(set(listed) - present)
    extra = sorted(present - set(listed))
    if missing:
        raise BackupError(f"{source}: the backup is incomplete; missing {', '.join(missing[:5])}")
    if extra:
        raise BackupError(f"{source}: files not in the manifest: {', '.join(extra[:5])}")
    for name, entry in listed.items():
        if _sha256(Path(source) / name) != entry["sha256"]:
            raise BackupError(f"{source}/{name}: SHA-256 differs from the manifest; damaged")
    return manifest


def restore(
    kstore: KiemenStore, source: Path, say: Say | None = None, meter: Progress | None = None
) -> str:
    """Publish the backup at ``source`` as a new generation and put its registry back."""
    note = say or (meter.say if meter is not None else (lambda _m: None))
    source = Path(source)
    note(f"checking {source} against its manifest")
    manifest = read_manifest(source)
    if manifest.get("base_uri") != kstore.settings.base_uri:
        raise BackupError(
            f"{source} was made with the base {manifest.get('base_uri')}, this store uses "
            f"{kstore.settings.base_uri}: restore with the same KIEMEN_BASE_URI, or export and "
            "load the N-Quads dump, which moves IRIs onto the new base"
        )
    root = kstore.root

    size = sum(int(f["bytes"]) for f in manifest["files"])

    def fill(gen: Path) -> None:
        with _watch(meter, gen, size):
            _fill(gen)

    def _fill(gen: Path) -> None:
        note("restoring the Oxigraph checkpoint")
        data = ox.Store.read_only(str(source / GENERATION / "oxigraph"))
        data.backup(str(gen / "oxigraph"))
        del data
        _unshare(gen / "oxigraph")
        for entry in sorted((source / GENERATION).iterdir()):
            if entry.name != "oxigraph":
                note(f"restoring {entry.name}")
                if entry.is_dir():
                    shutil.copytree(entry, gen / entry.name)
                else:
                    shutil.copy2(entry, gen / entry.name)
        check = ox.Store.read_only(str(gen / "oxigraph"))
        del check
        # The registry goes back under the write lock, once the data opens, just before the
        # switch.
        for name in DATABASES:
            tmp = root / f".{name}.restore"
            if (source / name).exists():
                shutil.copy2(source / name, tmp)
                os.replace(tmp, root / name)
            else:
                (root / name).unlink(missing_ok=True)
        files = root / FILES_DIR
        old = root / f".{FILES_DIR}.old-{os.getpid()}"
        if files.exists():
            os.rename(files, old)
        if (source / FILES_DIR).is_dir():
            shutil.copytree(source / FILES_DIR, files)
        shutil.rmtree(old, ignore_errors=True)

    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create store directory {root}: {exc}") from exc
    name = kstore.install(fill)
    note(f"published generation {name}, restored from {manifest.get('generation')}")
    return name
