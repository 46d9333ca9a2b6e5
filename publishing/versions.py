"""A publisher's versions and audit log: each publish is a numbered version whose records
(version row, audit row) are written with the store generation that publishes it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import threading
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from core.config import Settings
from core.failpoints import failpoint
from core.messages import render
from core.store import KiemenStore
from core.vocab import (
    RDF,
)
from loaders import graph_delta
from loaders.base import Location
from loaders.graph_delta import Checked
from publishing.checks import Report, publisher_source
from publishing.diff import Records, records_after
from publishing.publishers import (
    Auth,
    connect,
    files_dir,
    now,
)
from publishing.records import current_state, remember, value

KM = "https://w3id.org/kiemen/def/"
RDF_TYPE = ox.NamedNode(RDF + "type")


@contextlib.contextmanager
def publisher_lock(settings: Settings, code: str) -> Iterator[None]:
    """One upload of a publisher at a time (versions are numbered, diffs computed, in order)."""
    folder = files_dir(settings, code)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def next_version(settings: Settings, code: str) -> int:
    known = versions(settings, code)
    return int(known[0]["number"]) + 1 if known else 1


def version_dir(settings: Settings, code: str, number: int) -> Path:
    return files_dir(settings, code) / "versions" / str(number)


def _true_rows(settings: Settings, rows: list[Any]) -> list[dict[str, Any]]:
    """The rows whose generation was published (see KiemenStore.lineage)."""
    lineage = KiemenStore(settings).lineage()
    out = []
    for r in rows:
        entry = dict(r)
        if entry.get("generation") is None or entry["generation"] in lineage:
            entry["files"] = json.loads(entry["files"] or "[]")
            out.append(entry)
    return out


def _forget_unpublished(db: Any, kstore: KiemenStore) -> None:
    """Drop records of generations that never became current (a writer killed before publish).

    Called under the store's write lock, so no other writer is between its records and its
    publish.
    """
    lineage = kstore.lineage(latest=True)
    for select, delete in (
        ("SELECT rowid, generation FROM versions", "DELETE FROM versions WHERE rowid = ?"),
        ("SELECT rowid, generation FROM audit", "DELETE FROM audit WHERE rowid = ?"),
    ):
        dead = [(r[0],) for r in db.execute(select) if r[1] is not None and r[1] not in lineage]
        db.executemany(delete, dead)


def published_with_key(settings: Settings, code: str, key: str) -> dict[str, Any] | None:
    """The version an earlier request with this Idempotency-Key published, if any."""
    return next((v for v in versions(settings, code) if v.get("idempotency_key") == key), None)


def publish_version(
    kstore: KiemenStore,
    auth: Auth,
    triples: Collection[ox.Triple],
    version: int,
    *,
    action: str,
    files: list[dict[str, Any]],
    records: int,
    where: dict[str, Location] | None = None,
    old: set[ox.Triple] | None = None,
    based_on: int | None = None,
    report: Report | None = None,
    detail: str = "",
    read_from: str | None = None,
    checked: Checked | None = None,
    known: Records | None = None,
) -> str:
    """Replace the data graph with ``triples`` in one generation and keep them as ``version``;
    the name of that generation.

    The version record and the audit entry are written under the store's write lock just
    before the generation is published, naming it: they are true exactly when it is. A process
    killed before the switch leaves records that never become true (and are dropped by the next
    writer); killed after it, both the data and its records stand.
    Raises LoadError (nothing written) when the shapes reject the data.

    Only the difference from ``old`` is written and checked (:mod:`loaders.graph_delta`) when
    ``old`` is the graph as generation ``read_from`` holds it and the write builds on that
    generation; ``checked``: the check step's dry run, whose verdict holds if nothing changed.
    ``known``: the records of ``old``, from which those of the new content are made for the
    next upload (:func:`publishing.records.current_records`).
    """
    settings = kstore.settings
    publisher = auth.publisher
    graph = publisher.data_graph(settings)
    if old is None:
        old, read_from = current_state(kstore, graph)
    new = set(triples)
    folder = version_dir(settings, publisher.code, version)
    tmp = folder.with_name(f".{version}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    data = ntriples(triples, key=f"{kstore.root.resolve()} {graph}")
    digest = hashlib.sha256(data).hexdigest()

    published: list[str] = []

    def record(generation: str) -> None:
        published.append(generation)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        with connect(settings) as db:
            _forget_unpublished(db, kstore)
            db.execute(
                "INSERT INTO versions (code, number, at, token_id, action, based_on, triples, "
                "added, removed, records, files, sha256, generation, idempotency_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    publisher.code,
                    version,
                    now(),
                    auth.token.id,
                    action,
                    based_on,
                    len(new),
                    len(new - old),
                    len(old - new),
                    records,
                    json.dumps(files),
                    digest,
                    generation,
                    report.idempotency_key if report is not None else None,
                ),
            )
            if report is not None:
                outcome = Report(
                    report.publisher,
                    report.action,
                    issues=report.issues,
                    files=report.files,
                    added=len(new - old),
                    removed=len(old - new),
                    published=True,
                    version=version,
                )
                _insert_audit(db, auth, outcome, detail, generation)

    try:
        (tmp / "data.nt").write_bytes(data)
        checksums = [(f"publisher:{publisher.code}/v{version}/data.nt", digest)]
        checksums += [
            (f"publisher:{publisher.code}/v{version}/{f['name']}", f["sha256"]) for f in files
        ]
        source = publisher_source(
            publisher, settings, triples, f"v{version}", where=where, files=checksums
        )
        failpoint("publish:before-load")
        outcome = graph_delta.replace_graph(
            kstore,
            source,
            old=old,
            based_on=read_from,
            before_publish=record,
            checked=checked,
        )
        if outcome.generation is not None and outcome.content is not None:
            ns = publisher.id_ns(settings)
            after = None
            if known is not None:
                after = records_after(old, outcome.content, known, settings, ns)
            remember(kstore, graph, outcome.generation, outcome.content, after)
        failpoint("publish:after-switch")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return published[-1]


#: The version file this process made last, as its triples and its sorted lines (one entry):
#: the next version of the same graph is made from the change instead of serialising and
#: sorting every line again (~0.25 CPU-s at 170,000 triples; ~30 MB kept).
_LAST_FILE: dict[str, tuple[frozenset[ox.Triple], list[bytes]]] = {}
_LAST_FILE_LOCK = threading.Lock()


def _lines(triples: Iterable[ox.Triple]) -> list[bytes]:
    """``triples`` as N-Triples lines (each triple's own text, without its end of line)."""
    lines = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # after the last line's end
    return lines


def ntriples(triples: Iterable[ox.Triple], key: str | None = None) -> bytes:
    """A version's file: ``triples`` as N-Triples, one a line, the lines in byte order (the
    same content always gives the same file and digest; the same order as sorting by ``str``
    of each triple, at less cost). ``key`` (the graph): made from the change since the last
    file made with the same key in this process, when that is the smaller part."""
    if key is None:
        lines = _lines(triples)
        lines.sort()
    else:
        now = triples if isinstance(triples, frozenset) else frozenset(triples)
        with _LAST_FILE_LOCK:
            last = _LAST_FILE.pop(key, None)
        if last is not None and len(gone := last[0] - now) + len(came := now - last[0]) < len(now):
            dropped = set(_lines(gone))
            lines = [line for line in last[1] if line not in dropped]
            lines += _lines(came)
        else:
            lines = _lines(now)
        lines.sort()  # the kept lines are in order: a merge of the new ones
        with _LAST_FILE_LOCK:
            _LAST_FILE.clear()
            _LAST_FILE[key] = (now, lines)
    return b"\n".join(lines) + b"\n" if lines else b""


def audit(settings: Settings, auth: Auth, report: Report, detail: str = "") -> None:
    """An audit entry for something that published nothing (checks, refusals)."""
    with connect(settings) as db:
        _insert_audit(db, auth, report, detail, None)


def _insert_audit(db: Any, auth: Auth, report: Report, detail: str, generation: str | None) -> None:
    outcome = "published" if report.published else ("checked" if report.conforms else "rejected")
    if report.action == "check":
        outcome = "valid" if report.conforms else "invalid"
    if not detail and report.errors:
        first = report.errors[0]
        where = ", ".join(
            x for x in (first.file, f"row {first.row}" if first.row else "", first.column) if x
        )
        # The audit log is a record for the administrator (`kiemen publisher audit`): English.
        said = render(first.text, "en")
        detail = f"{where}: {said}" if where else said
        detail = detail[:300]
    db.execute(
        "INSERT INTO audit (at, code, token_id, action, outcome, version, files, added, "
        "removed, errors, warnings, detail, generation) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            now(),
            auth.publisher.code,
            auth.token.id,
            report.action,
            outcome,
            report.version,
            json.dumps(report.files),
            report.added if report.published else 0,
            report.removed if report.published else 0,
            len(report.errors),
            len(report.warnings),
            detail,
            generation,
        ),
    )


def audit_log(settings: Settings, code: str) -> list[dict[str, Any]]:
    with connect(settings) as db:
        rows = db.execute("SELECT * FROM audit WHERE code = ? ORDER BY id DESC", (code,)).fetchall()
    return _true_rows(settings, rows)


def versions(settings: Settings, code: str) -> list[dict[str, Any]]:
    with connect(settings) as db:
        rows = db.execute(
            "SELECT * FROM versions WHERE code = ? ORDER BY number DESC", (code,)
        ).fetchall()
    return _true_rows(settings, rows)


def version_triples(settings: Settings, code: str, number: int) -> list[ox.Triple] | None:
    path = version_dir(settings, code, number) / "data.nt"
    if not path.exists() or not any(v["number"] == number for v in versions(settings, code)):
        return None
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    ]


def record_count(settings: Settings, triples: list[ox.Triple]) -> int:
    """How many initiatives, organisations and involvements ``triples`` describe."""
    kinds = (KM + "Initiative", KM + "Organisation", KM + "Involvement")
    return sum(
        1
        for tr in triples
        if tr.predicate == RDF_TYPE and settings.canonical(value(tr.object)) in kinds
    )
