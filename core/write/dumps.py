"""Dumps of the whole graph for download: N-Quads and Turtle (gzipped) and CSV per kind.

``kiemen export`` calls :func:`write_dumps`; the portal serves the files under ``/downloads/``
and describes them on the downloads page, in VoID and in the DCAT catalogue.

A release is named for the date on which the data it holds were published (the store
generation), so exporting the same data twice gives the same file names, and a new load gives
a new release beside the old ones. Every file is written under a temporary name and renamed
into place, so a reader never sees half a file. ``index.json`` lists the releases with each
file's size and SHA-256; ``kiemen-{release}.sha256`` serves ``sha256sum -c``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import gzip
import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from core.config import Settings
from core.messages import Text, msg
from core.namespaces import prefixes
from core.store import KiemenStore
from core.tables import neutralise_cell

MANIFEST = "index.json"
#: Held (flock) while dumps are written, so that an export and a background build, in this
#: process or another (replicas, ``kiemen export``), never write the manifest at once.
LOCK_FILE = ".export.lock"
log = logging.getLogger("kiemen.dumps")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DumpKind:
    """One kind of dump: how it is named, what it holds and how it is served."""

    key: str
    suffix: str
    media_type: str
    format_label: str
    compressed: bool
    #: What the dump is called and holds (catalogue keys, worded where they are shown).
    title: Text
    description: Text

    def file_name(self, release: str) -> str:
        return f"kiemen-{release}{self.suffix}"


KINDS: tuple[DumpKind, ...] = (
    DumpKind(
        "nquads",
        ".nq.gz",
        "application/n-quads",
        "N-Quads",
        True,
        msg("dumps.nquads.title"),
        msg("dumps.nquads.description"),
    ),
    DumpKind(
        "turtle",
        ".ttl.gz",
        "text/turtle",
        "Turtle",
        True,
        msg("dumps.turtle.title"),
        msg("dumps.turtle.description"),
    ),
    DumpKind(
        "initiatives",
        "-initiatives.csv",
        "text/csv",
        "CSV",
        False,
        msg("dumps.initiatives.title"),
        msg("dumps.initiatives.description"),
    ),
    DumpKind(
        "actors",
        "-actors.csv",
        "text/csv",
        "CSV",
        False,
        msg("dumps.actors.title"),
        msg("dumps.actors.description"),
    ),
    DumpKind(
        "involvements",
        "-involvements.csv",
        "text/csv",
        "CSV",
        False,
        msg("dumps.involvements.title"),
        msg("dumps.involvements.description"),
    ),
)
KIND_BY_KEY = {k.key: k for k in KINDS}
#: The stored query behind each CSV dump.
CSV_QUERIES = {
    "initiatives": "export-initiatives",
    "actors": "export-actors",
    "involvements": "export-involvements",
}


def dumps_dir(settings: Settings) -> Path:
    """Where ``kiemen export`` writes by default and where the portal serves from."""
    return Path(settings.store_path) / "downloads"


def release_of(generation: str | None) -> str:
    """The release date (UTC) of a store generation ``gen-{time_ns}``; today for none."""
    if generation and generation.startswith("gen-"):
        try:
            stamp = int(generation[4:]) / 1e9
            return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d")
        except ValueError:
            pass
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


class _HashingWriter(io.RawIOBase):
    """Counts and hashes the bytes on their way to a file (one pass, no re-read)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.raw.write(data)
        self.sha.update(data)
        self.size += len(data)
        return len(data)


def _write_atomic(path: Path, fill: Callable[[IO[bytes]], int]) -> tuple[int, str, int]:
    """Write via ``fill`` into a temporary file, then rename; return (bytes, sha256, items)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            writer = _HashingWriter(fh)
            items = fill(writer)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return writer.size, writer.sha.hexdigest(), items


def _gzip(inner_name: str, body: Callable[[IO[bytes]], int]) -> Callable[[IO[bytes]], int]:
    """Wrap a writer in gzip with a fixed timestamp, so equal data give equal bytes."""

    def fill(out: IO[bytes]) -> int:
        with gzip.GzipFile(filename=inner_name, mode="wb", fileobj=out, mtime=0) as gz:
            return body(gz)  # type: ignore[arg-type]

    return fill


class _Counter:
    def __init__(self, items: Iterator[Any]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.count += 1
            yield item


def write_dumps(kstore: KiemenStore, target_dir: Path) -> list[dict[str, Any]]:
    """Write every dump of the current data into ``target_dir``; return what was written.

    Each entry has ``file``, ``path``, ``bytes``, ``sha256``, ``key``, ``media_type``,
    ``format``, ``compressed``, ``release`` and ``items`` (quads, triples or rows).
    """
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    with _locked(target_dir):
        return _write_dumps(kstore, target_dir)


@contextlib.contextmanager
def _locked(target_dir: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the export lock of ``target_dir``; yields False when ``wait`` is off and another
    writer holds it."""
    with open(target_dir / LOCK_FILE, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_dumps(kstore: KiemenStore, target_dir: Path) -> list[dict[str, Any]]:
    reader = kstore.reader()
    generation = kstore.generation_id()
    release = release_of(generation)
    pfx = prefixes(kstore.settings)
    written: list[dict[str, Any]] = []

    def nquads(out: IO[bytes]) -> int:
        reader.dump(out, ox.RdfFormat.N_QUADS)
        return len(reader)

    def turtle(out: IO[bytes]) -> int:
        triples = _Counter(iter(kstore.run("dump-union")))
        ox.serialize(triples, out, ox.RdfFormat.TURTLE, prefixes=pfx)
        return triples.count

    def table(query: str) -> Callable[[IO[bytes]], int]:
        def fill(out: IO[bytes]) -> int:
            result = kstore.run(query)
            columns = [v.value for v in result.variables]
            text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(columns)
            count = 0
            for solution in result:
                writer.writerow([_cell(solution[c]) for c in columns])
                count += 1
            text.flush()
            text.detach()
            return count

        return fill

    for kind in KINDS:
        name = kind.file_name(release)
        if kind.key == "nquads":
            fill = _gzip(name[:-3], nquads)
        elif kind.key == "turtle":
            fill = _gzip(name[:-3], turtle)
        else:
            fill = table(CSV_QUERIES[kind.key])
        size, digest, items = _write_atomic(target_dir / name, fill)
        written.append(
            {
                "file": name,
                "path": str(target_dir / name),
                "bytes": size,
                "sha256": digest,
                "key": kind.key,
                "media_type": kind.media_type,
                "format": kind.format_label,
                "compressed": kind.compressed,
                "release": release,
                "items": items,
            }
        )
    sums = "".join(f"{w['sha256']}  {w['file']}\n" for w in written).encode()
    _write_atomic(target_dir / f"kiemen-{release}.sha256", lambda out: out.write(sums))
    _update_manifest(target_dir, release, generation, written)
    return written


def _cell(term: Any) -> str:
    """A term as a CSV cell, neutralised against formula injection (see ``neutralise_cell``)."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal) and term.datatype.value.endswith("#boolean"):
        return "true" if term.value in ("true", "1") else "false"
    return str(neutralise_cell(str(term.value)))


def _update_manifest(
    target_dir: Path, release: str, generation: str | None, written: list[dict[str, Any]]
) -> None:
    manifest = read_manifest(target_dir)
    releases = {r["release"]: r for r in manifest.get("releases", [])}
    releases[release] = {
        "release": release,
        "generation": generation,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "files": [{k: v for k, v in w.items() if k != "path"} for w in written],
    }
    ordered = sorted(releases.values(), key=lambda r: r["release"], reverse=True)
    body = json.dumps({"latest": ordered[0]["release"], "releases": ordered}, indent=2)
    _write_atomic(target_dir / MANIFEST, lambda out: out.write(body.encode()))


def read_manifest(target_dir: Path) -> dict[str, Any]:
    """The releases written so far (newest first); empty when nothing was exported."""
    try:
        data = json.loads((Path(target_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {"latest": None, "releases": []}
    if not isinstance(data, dict):
        return {"latest": None, "releases": []}
    return data


def latest_release(target_dir: Path) -> dict[str, Any] | None:
    """The newest release whose files are all still present."""
    for release in read_manifest(target_dir).get("releases", []):
        if all((Path(target_dir) / f["file"]).is_file() for f in release.get("files", [])):
            return dict(release)
    return None


# -- ready on first start: dumps built in the background -------------------------------------
#: Export processes started by this process, by generation.
_BUILDING: dict[str, subprocess.Popen[bytes]] = {}
_GUARD = threading.Lock()
#: The child's first step: the lowest CPU and I/O priority (:mod:`core.write.priority`), so
#: that an export never slows the writes and pages that run beside it.
LOWER = "import os, sys; from core.write.priority import lowest; lowest()"
#: The child: lower its own priority, then run ``kiemen export``.
EXPORT_CHILD = f"{LOWER}; sys.argv = ['kiemen', 'export']; from cli.main import main; main()"


def ready(target_dir: Path, generation: str | None) -> bool:
    """Whether the newest complete release holds the data of ``generation``."""
    latest = latest_release(target_dir)
    return latest is not None and (generation is None or latest.get("generation") == generation)


def _running() -> bool:
    with _GUARD:
        for generation, proc in list(_BUILDING.items()):
            if proc.poll() is not None:
                if proc.returncode:
                    log.error("the export of %s failed (exit %s)", generation, proc.returncode)
                del _BUILDING[generation]
        return bool(_BUILDING)


def being_prepared(target_dir: Path) -> bool:
    """Whether dumps are being written now (by an export this process started, or by any
    process holding the export lock)."""
    if _running():
        return True
    if not (Path(target_dir) / LOCK_FILE).exists():
        return False
    with _locked(Path(target_dir), wait=False) as free:
        return not free


def prepare_in_background(kstore: KiemenStore) -> subprocess.Popen[bytes] | None:
    """Start ``kiemen export`` for the current generation unless its dumps exist or an export
    this process started is still running; returns the process (tests wait for it), or None.

    A separate process at the lowest CPU and I/O priority (``SCHED_IDLE``, idle I/O class)
    rather than a thread: serialising holds the interpreter lock, which would slow every page
    the server answers meanwhile. Neither a load nor the server
    waits for it: ``/downloads/`` says "being prepared" until the manifest names the generation.
    One at a time, the newest generation next: a burst of writes publishes a generation per
    write, and an export for each would pile up (they wait for each other's lock, then each
    writes what is current by then) and take the cores from the pages.
    """
    generation = kstore.generation_id()
    target = dumps_dir(kstore.settings)
    if generation is None or ready(target, generation):
        return None
    _running()
    with _GUARD:
        if _BUILDING:  # the next look after it ends starts the then-current generation's
            return None
        target.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            KIEMEN_STORE=str(kstore.settings.store_path),
            KIEMEN_BASE_URI=kstore.settings.base_uri,
        )
        with open(target / ".export.log", "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", EXPORT_CHILD],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _BUILDING[generation] = proc
    log.info("writing the dumps of %s in process %s", generation, proc.pid)
    return proc


#: Seconds between two looks (per process) for a new generation without dumps.
CHECK_EVERY = 15.0
AUTO_CONFIG = "KIEMEN_AUTO_DUMPS"


def init_app(app: Any) -> None:
    """With ``app.config["KIEMEN_AUTO_DUMPS"]`` (``kiemen serve`` sets it unless the variable
    ``KIEMEN_AUTO_DUMPS=0``): build the dumps of the loaded generation at start, and of each
    newly published one when a request notices it (at most every :data:`CHECK_EVERY` s)."""
    last = [0.0]

    def start() -> None:
        if not app.config.get(AUTO_CONFIG):
            return
        now = time.monotonic()
        if now - last[0] < CHECK_EVERY:
            return
        last[0] = now
        prepare_in_background(app.extensions["kiemen_store"])

    app.before_request(start)
    app.extensions["kiemen_dumps_start"] = start
