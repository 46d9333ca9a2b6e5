"""What a publisher does, one function each: check an upload, publish it, roll back, link.

Each takes the publisher's lock, then the steps of :mod:`publishing.uploads`,
:mod:`publishing.versions` and :mod:`publishing.linking` in order; each writes the audit log
(a publish writes its audit entry with the version, in the same store generation). The web
views (:mod:`portal.views.publish`) and the Graph Store ask these and nothing else to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.messages import msg
from core.store import KiemenStore
from loaders.base import LoadError
from publishing import linking, uploads
from publishing.checks import Report, issue_from_problem
from publishing.diff import ADD, REPLACE, diff
from publishing.publishers import Auth, now
from publishing.records import Build, current_state
from publishing.template import UploadFile, error
from publishing.versions import (
    audit,
    next_version,
    publish_version,
    publisher_lock,
    record_count,
    version_triples,
)


@dataclass(frozen=True)
class Files:
    """The template's tables as CSV or Excel files."""

    files: list[UploadFile]


@dataclass(frozen=True)
class Body:
    """RDF for the data graph; ``merge`` (Graph Store POST) adds to the graph as it is."""

    data: bytes
    media_type: str
    merge: bool = False


Upload = Files | Body


@dataclass(frozen=True)
class Options:
    """How to publish: ``add`` or ``replace`` (removals only when confirmed for the preview
    whose digest is ``expect``), valid rows only, and the client's Idempotency-Key."""

    mode: str = ADD
    valid_only: bool = False
    confirm: bool = False
    expect: str | None = None
    idempotency_key: str | None = None
    #: The audit log's name for the action (default: "upload", or "graph-store" for RDF).
    action: str | None = None


def check(kstore: KiemenStore, auth: Auth, upload: Upload, options: Options = Options()) -> Report:
    """Everything publishing ``upload`` would do, publishing nothing: problems, the preview of
    what would be added, changed and removed, link suggestions."""
    report = _report(auth, upload, options, "check")
    with publisher_lock(kstore.settings, auth.publisher.code):
        prepared = _read(kstore, auth, upload, report)
        if prepared is not None:
            uploads.preview(kstore, auth, prepared, valid_only=options.valid_only)
        audit(kstore.settings, auth, report)
    return report


def publish(
    kstore: KiemenStore, auth: Auth, upload: Upload, options: Options = Options()
) -> Report:
    """Check ``upload`` and, when it may be published, publish it as the next version."""
    default = "graph-store" if isinstance(upload, Body) else "upload"
    report = _report(auth, upload, options, options.action or default)
    report.idempotency_key = options.idempotency_key
    with publisher_lock(kstore.settings, auth.publisher.code):
        if uploads.replayed(kstore.settings, report):
            return report  # a retry of a publish that happened: its version, nothing new
        prepared = _read(kstore, auth, upload, report)
        if prepared is not None:
            uploads.preview(kstore, auth, prepared, valid_only=options.valid_only)
        if prepared is None or not uploads.publishable(prepared, valid_only=options.valid_only):
            audit(kstore.settings, auth, report)
            return report
        # a Graph Store POST keeps every record: it removes nothing to confirm
        confirmed = options.confirm or (isinstance(upload, Body) and upload.merge)
        uploads.publish_checked(kstore, auth, prepared, confirmed=confirmed, expect=options.expect)
    return report


def rollback(kstore: KiemenStore, auth: Auth, to_version: int) -> Report:
    """Publish an earlier version's triples again, as the newest version."""
    settings, publisher = kstore.settings, auth.publisher
    report = Report(publisher.code, "rollback")
    detail = f"rollback to version {to_version}"
    with publisher_lock(settings, publisher.code):
        triples = version_triples(settings, publisher.code, to_version)
        if triples is None:
            report.issues.append(
                error(
                    msg("upload.error.no_version", code=publisher.code, version=to_version),
                    rule="version",
                )
            )
            audit(settings, auth, report)
            return report
        old, read_from = current_state(kstore, publisher.data_graph(settings))
        version = next_version(settings, publisher.code)
        try:
            publish_version(
                kstore,
                auth,
                triples,
                version,
                action="rollback",
                files=[],
                records=record_count(settings, triples),
                old=old,
                based_on=to_version,
                report=report,
                detail=detail,
                read_from=read_from,
            )
        except LoadError as exc:
            report.issues += [issue_from_problem(p, Build()) for p in exc.problems]
            audit(settings, auth, report, detail=f"{detail} refused")
            return report
        new = set(triples)
        report.published, report.version = True, version
        report.triples, report.added, report.removed = len(new), len(new - old), len(old - new)
        report.diff = diff(old, triples, settings, publisher.id_ns(settings))
    return report


def link(
    kstore: KiemenStore, auth: Auth, suggestion_id: int, decision: str, prop: str | None = None
) -> dict[str, Any]:
    """Confirm or reject a link suggestion (or undo a confirmation) and republish the
    publisher's links graph; a links graph the shapes refuse leaves the suggestion as it was."""
    settings, publisher = kstore.settings, auth.publisher
    linking.check_decision(decision, prop)
    with publisher_lock(settings, publisher.code):
        linking.settle(kstore, publisher.code)
        before = len(linking.links_triples(settings, publisher))
        row = linking.suggestion(kstore, publisher, suggestion_id, decision)
        status = "confirmed" if decision == "confirm" else "rejected"
        pending = linking.Decision(suggestion_id, status, prop, auth.token.id, now())
        triples = linking.links_triples(settings, publisher, pending)
        counts = (max(0, len(triples) - before), max(0, before - len(triples)))

        def record(generation: str | None) -> None:
            """The decision and its audit row, written as the links graph is published."""
            linking.record_decision(settings, auth, row, pending, counts, generation)

        try:
            linking.republish(kstore, auth, triples, record)
        except LoadError as exc:  # nothing recorded: the suggestion stays as it was
            raise linking.refused(exc) from exc
    return {"id": suggestion_id, "status": status, "links": len(triples)}


def _report(auth: Auth, upload: Upload, options: Options, action: str) -> Report:
    report = Report(auth.publisher.code, action, valid_only=options.valid_only)
    report.mode = REPLACE if isinstance(upload, Body) and upload.merge else options.mode
    return report


def _read(
    kstore: KiemenStore, auth: Auth, upload: Upload, report: Report
) -> uploads.Prepared | None:
    if isinstance(upload, Files):
        return uploads.read_files(kstore, auth, upload.files, report)
    return uploads.read_rdf(
        kstore, auth, upload.data, upload.media_type, report, merge=upload.merge
    )
