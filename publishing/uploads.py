"""The upload pipeline: parse → validate → report → publish as a new version of the dataset.

An upload (the template as CSV or Excel, or RDF through the Graph Store Protocol) becomes the
publisher's *data graph* ``{base}graph/publishers/{code}/data``:

1. the files are read and every cell meets the template's own rules
   (:mod:`publishing.template`): encoding, columns, identifiers, dates, codes, formulas;
2. the rows become RDF in the project's model (initiatives, organisations, involvements) through
   the tabular engine and the template's bundled mapping (:mod:`publishing.mapped`), each
   record derived from a section of the publisher's register, so the project's SHACL shapes
   (``ontology/shapes.ttl``) apply unchanged; those are checked by the loaders
   (:func:`loaders.load` with :class:`PublisherLoader`), exactly as for any other source;
3. the report names file, row, column and problem in Dutch and English, as HTML, JSON or a
   SHACL ``sh:ValidationReport``;
4. only when everything is valid — or the publisher asked for the valid rows only — the graph
   is replaced in one atomic store generation, which is a new *version*: its triples are kept
   under ``{store}/publishers/{code}/versions/{n}/`` and stay downloadable; a rollback
   publishes an earlier version's triples again as the newest;
5. every attempt, accepted or not, goes to the audit log (who, when, what, triples added and
   removed).

The publisher's DCAT record in the ``meta`` graph (publisher, licence, contact point,
modification date) is completed by :func:`publishing.catalogue.annotate_meta`, an index hook
that runs inside the same generation, so the catalogue (:mod:`portal.catalogue`) lists it
without special cases. The steps here are put together, one function per use case, in
:mod:`publishing.usecases`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field

import pyoxigraph as ox

from core.config import Settings
from core.formats import RDF_FORMATS, by_key
from core.messages import msg
from core.store import KiemenStore
from loaders.base import LoadError
from loaders.graph_delta import Checked
from loaders.rdf import rebase_term
from publishing import linking
from publishing.checks import Report, issue_from_problem, locations, shacl_checked
from publishing.diff import (
    REPLACE,
    Diff,
    Records,
    diff,
    merged,
    merged_known,
    records_of,
)
from publishing.mapped import build_records, register_triples
from publishing.publishers import (
    Auth,
    Publisher,
)
from publishing.records import (
    Build,
    Record,
    build_from_rdf,
    current_records,
    current_state,
    register_iri,
    value,
    vocabulary,
    without_our_own,
)
from publishing.template import (
    TABLES,
    Issue,
    Parsed,
    UploadFile,
    check_rows,
    error,
    read_uploads,
)
from publishing.versions import (
    audit,
    next_version,
    publish_version,
    published_with_key,
)

#: Rounds of "drop the rows the shapes reject and check again" when publishing valid rows only.
MAX_ROUNDS = 4


# -------------------------------------------------------------------------------------------------
# the steps of checking and publishing an upload (put together in :mod:`publishing.usecases`)


@dataclass
class Prepared:
    """An upload read, turned into records and checked: what its preview and publish need."""

    report: Report
    build: Build
    #: The publisher's data graph as it is.
    old: set[ox.Triple]
    #: Records the dataset keeps whatever the upload holds (``add`` mode).
    present: frozenset[str]
    #: The records that would be published (filled in by :func:`preview`).
    keep: list[Record] = field(default_factory=list)
    #: The link candidates, fetched once per upload by :func:`preview` (the publish leaves
    #: them as they are), so that the publish does not fetch and normalise them again.
    candidates: tuple[linking.Candidate, ...] | None = None
    #: The link suggestions of ``keep`` (by :func:`preview`): the publish keeps those of the
    #: records it published instead of scoring every name against every label again.
    suggested: list[linking.Suggestion] | None = None
    #: The generation the candidates are of (and its meta graph's part they read).
    seen: linking.Seen | None = None
    #: The generation ``old`` was read from: a publish built on it writes only the difference.
    read_from: str | None = None
    #: The check's dry run of every record, reused by a publish of them all on that generation.
    checked: Checked | None = None
    #: The data graph publishing ``keep`` would leave, and its diff (by :func:`preview`).
    target: Collection[ox.Triple] | None = None
    planned: Diff | None = None
    #: The data graph publishing every record would leave (what the shapes were checked on).
    whole: Collection[ox.Triple] | None = None
    _old_records: Records | None = field(default=None, repr=False)

    def old_records(self, settings: Settings, ns: str) -> Records:
        """The records of ``old`` (read once: every diff of the upload compares with them)."""
        if self._old_records is None:
            self._old_records = records_of(self.old, settings, ns)
        return self._old_records


def replayed(settings: Settings, report: Report) -> bool:
    """A retry of a publish that already happened: answer with that version, publish nothing."""
    if not report.idempotency_key:
        return False
    earlier = published_with_key(settings, report.publisher, report.idempotency_key)
    if earlier is None:
        return False
    report.published, report.replayed, report.version = True, True, int(earlier["number"])
    report.triples, report.added, report.removed = (
        int(earlier["triples"]),
        int(earlier["added"]),
        int(earlier["removed"]),
    )
    return True


def _errors_by_record(issues: list[Issue], build: Build) -> set[str]:
    keys = build.by_key()
    bad = {i.focus for i in issues if i.severity == "error" and i.focus in keys}
    # support nodes (places) with errors take the records that use them along
    for i in issues:
        if i.severity == "error" and i.focus and i.focus not in keys:
            bad |= {r.key for r in build.records if i.focus in r.refs}
    return bad


def _closure(
    records: list[Record], bad: set[str], build: Build, present: frozenset[str] = frozenset()
) -> list[Record]:
    """Records left when ``bad`` ones go, with everything that refers to them.

    ``present``: records the dataset keeps whatever the upload holds (``add`` mode), which
    the upload's records may refer to.
    """
    keys = {r.key for r in records} | (present - bad)
    dropped = set(bad)
    changed = True
    while changed:
        changed = False
        for r in records:
            if r.key in dropped:
                continue
            own = {ref for ref in r.refs if ref not in build.support}
            if any(ref in dropped or ref not in keys for ref in own):
                dropped.add(r.key)
                changed = True
    return [r for r in records if r.key not in dropped]


def _present(known: Records, mode: str) -> frozenset[str]:
    """The records an ``add`` upload keeps whatever it holds (none for ``replace``);
    ``known``: the records of the data graph as it is."""
    if mode == REPLACE:
        return frozenset()
    return frozenset(known)


def _target(
    build: Build,
    keep: list[Record],
    old: set[ox.Triple],
    mode: str,
    publisher: Publisher,
    settings: Settings,
    known: Records | None = None,
) -> Collection[ox.Triple]:
    """The data graph publishing ``keep`` would leave: the records alone (``replace``), or
    the old graph with them in place of their earlier state (``add``). ``known``: the records
    of ``old``, with which the graph is a set made in proportion to the upload (a set: every
    later step takes it as one without hashing each statement again)."""
    triples = build.triples(keep)
    if mode == REPLACE:
        return frozenset(triples)
    register = register_iri(publisher, settings)
    mentioned = {r.key for r in keep}
    if known is not None:
        found = merged_known(old, triples, mentioned, register, known, publisher.id_ns(settings))
        if found is not None:
            return found
    return merged(old, triples, mentioned, register)


def read_files(
    kstore: KiemenStore, auth: Auth, files: list[UploadFile], report: Report
) -> Prepared:
    """The template's tables from CSV or Excel files: read, cell rules, records, shapes."""
    publisher, settings = auth.publisher, kstore.settings
    old, read_from = current_state(kstore, publisher.data_graph(settings))
    old_records = _records(kstore, publisher, old, read_from)
    present = _present(old_records, report.mode)
    parsed: Parsed = read_uploads(files, settings.max_body_bytes)
    report.files = parsed.files
    report.structural = bool(parsed.broken)
    known = {
        table: {k.rsplit("/", 1)[-1] for k in present if f"/{kind}/" in k}
        for table, kind in (("initiatives", "initiative"), ("actors", "actor"))
    }
    checked = check_rows(parsed, vocabulary(kstore), publisher.code, known)
    report.issues += parsed.issues
    build, problems = build_records(checked, publisher, kstore)
    report.issues += problems
    for name, rows in checked.items():
        if rows or name in parsed.rows:
            report.tables[name] = {"rows": len(rows), "valid": sum(1 for c in rows if c.ok)}
    return _shapes_checked(kstore, auth, build, (old, read_from), old_records, present, report)


def _records(
    kstore: KiemenStore, publisher: Publisher, old: set[ox.Triple], read_from: str | None
) -> Records:
    """The records of the data graph ``old`` as generation ``read_from`` holds it: those this
    process's publish of that generation made, else read from every statement."""
    settings = kstore.settings
    known = current_records(kstore, publisher.data_graph(settings), read_from)
    return known if known is not None else records_of(old, settings, publisher.id_ns(settings))


def _shapes_checked(
    kstore: KiemenStore,
    auth: Auth,
    build: Build,
    state: tuple[set[ox.Triple], str | None],
    old_records: Records,
    present: frozenset[str],
    report: Report,
) -> Prepared:
    """The records checked against the shapes in the graph publishing them would leave, with
    what the publish needs of that check (the upload's and the RDF body's last step)."""
    publisher, settings = auth.publisher, kstore.settings
    old, read_from = state
    target = _target(build, build.records, old, report.mode, publisher, settings, old_records)
    issues, verdict = shacl_checked(kstore, publisher, build, build.records, target, state)
    report.issues += issues
    return Prepared(
        report,
        build,
        old,
        present,
        read_from=read_from,
        checked=verdict,
        whole=target,
        _old_records=old_records,
    )


def read_rdf(
    kstore: KiemenStore, auth: Auth, data: bytes, media_type: str, report: Report, *, merge: bool
) -> Prepared | None:
    """RDF for the publisher's data graph: parsed, made records, checked; None when the body
    cannot be read at all (the report says why).

    ``merge`` (Graph Store POST) adds the triples to the graph as they are; otherwise each
    subject is a record.
    """
    publisher, settings = auth.publisher, kstore.settings
    name = "request body"
    report.files = [{"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}]
    triples = _parse_body(data, media_type, report, publisher, settings)
    if triples is None:
        report.structural = True
        return None
    old, read_from = current_state(kstore, publisher.data_graph(settings))
    if merge:
        register = register_iri(publisher, settings)
        kept = [
            tr
            for tr in old
            # the register and the links to its sections are made again for every record
            if not value(tr.subject).startswith(register)
            and not value(tr.object).startswith(register)
        ]
        triples = kept + triples
    triples = without_our_own(kstore, publisher, triples)
    build, issues = build_from_rdf(
        triples, publisher, settings, name, register_triples(publisher, settings)
    )
    report.issues += issues
    report.structural = bool(issues)
    old_records = _records(kstore, publisher, old, read_from)
    report.tables["rdf"] = {"rows": len(build.records), "valid": len(build.records)}
    present = _present(old_records, report.mode)
    return _shapes_checked(kstore, auth, build, (old, read_from), old_records, present, report)


def _parse_body(
    data: bytes, media_type: str, report: Report, publisher: Publisher, settings: Settings
) -> list[ox.Triple] | None:
    """The body's triples (rebased onto this portal), or None with the reason in ``report``."""
    name = "request body"
    fmt = by_key(media_type.split(";")[0].strip(), RDF_FORMATS)
    if len(data) > settings.max_body_bytes:
        report.issues.append(
            error(
                msg("upload.error.body_too_large", limit=settings.max_body_bytes),
                file=name,
                rule="size",
            )
        )
        return None
    if fmt is None or fmt.rdf is None or fmt.rdf in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        report.issues.append(
            error(
                msg(
                    "upload.error.body_format",
                    media_type=media_type or msg("upload.hint.no_content_type"),
                ),
                file=name,
                rule="format",
            )
        )
        return None
    try:
        return [
            ox.Triple(
                rebase_term(tr.subject, settings),
                rebase_term(tr.predicate, settings),
                rebase_term(tr.object, settings),
            )
            for tr in ox.parse(
                data,
                format=fmt.rdf,
                base_iri=publisher.data_graph(settings),
                rename_blank_nodes=True,
            )
        ]
    except SyntaxError as exc:
        report.issues.append(
            error(
                msg("upload.error.body_syntax", format=fmt.label, problem=str(exc)),
                file=name,
                rule="syntax",
            )
        )
        return None


def preview(kstore: KiemenStore, auth: Auth, prepared: Prepared, *, valid_only: bool) -> None:
    """What publishing would change (the check step's preview) and the link suggestions.

    The records to publish are those without errors, less everything that refers to a record
    with errors.
    """
    settings, publisher = kstore.settings, auth.publisher
    report, build = prepared.report, prepared.build
    keep = build.records
    if report.errors:
        bad = _errors_by_record(report.issues, build)
        keep = _closure(build.records, bad, build, prepared.present)
    report.records = len(keep)
    if keep and not report.structural and (valid_only or not report.errors):
        if keep is build.records and prepared.whole is not None:
            target = prepared.whole  # every record: the graph the shapes were checked on
        else:
            known = prepared.old_records(settings, publisher.id_ns(settings))
            target = _target(build, keep, prepared.old, report.mode, publisher, settings, known)
        new = set(target)
        report.triples = len(new)
        report.added, report.removed = len(new - prepared.old), len(prepared.old - new)
        ns = publisher.id_ns(settings)
        report.diff = diff(prepared.old, new, settings, ns, prepared.old_records(settings, ns))
        prepared.target, prepared.planned = target, report.diff
    with kstore.one_generation():
        prepared.candidates = linking.candidates(kstore, publisher)
        prepared.seen = linking.seen(kstore)
    suggested = linking.suggest(kstore, publisher, keep, prepared.candidates)
    report.suggestions = [s.as_json() for s in suggested]
    prepared.keep, prepared.suggested = keep, suggested


def publishable(prepared: Prepared, *, valid_only: bool) -> bool:
    """Whether the checked upload may be published: readable, records left, no errors unless
    the publisher asked for the valid rows only."""
    report = prepared.report
    if not prepared.keep and not report.errors:
        report.issues.append(error(msg("upload.error.no_records"), rule="empty"))
    return bool(prepared.keep) and not report.structural and (valid_only or not report.errors)


def publish_checked(
    kstore: KiemenStore, auth: Auth, prepared: Prepared, *, confirmed: bool, expect: str | None
) -> None:
    """Publish a checked upload as the next version, or say why not (in the report and the
    audit log).

    A ``replace`` that removes records publishes only when confirmed for exactly the removals
    the preview showed (``expect``: the digest of that preview); anything else stops with the
    preview. Records the shapes still reject when written go too, round by round.
    """
    settings, publisher = kstore.settings, auth.publisher
    report, build, old = prepared.report, prepared.build, prepared.old
    ns = publisher.id_ns(settings)
    keep = prepared.keep
    rows_with_errors = {
        (i.table, i.row) for i in report.errors if i.row is not None and i.table in TABLES
    }
    assert report.diff is not None
    accepted = {r["iri"] for r in report.diff.removed} if confirmed else set()
    if expect is not None and expect != report.diff.digest:
        accepted = set()  # the dataset (or the upload) changed since the preview was shown
    for _round in range(MAX_ROUNDS):
        version = next_version(settings, publisher.code)
        if keep is prepared.keep and prepared.target is not None and prepared.planned is not None:
            triples, planned = prepared.target, prepared.planned  # the preview's, as it is
        else:
            records = prepared.old_records(settings, ns)
            triples = _target(build, keep, old, report.mode, publisher, settings, records)
            planned = diff(old, triples, settings, ns, prepared.old_records(settings, ns))
        if {r["iri"] for r in planned.removed} - accepted:
            report.diff, report.needs_confirmation = planned, True
            audit(
                settings,
                auth,
                report,
                detail=f"replace not confirmed: {len(planned.removed)} record(s) would be removed",
            )
            return
        try:
            generation = publish_version(
                kstore,
                auth,
                triples,
                version,
                action=report.action,
                files=report.files,
                records=len(keep),
                where=locations(keep),
                old=old,
                report=report,
                read_from=prepared.read_from,
                checked=prepared.checked,
                known=prepared.old_records(settings, ns),
            )
        except LoadError as exc:
            more = [issue_from_problem(p, build) for p in exc.problems if p.severity == "error"]
            known = {(i.focus, i.text) for i in report.issues}
            report.issues += [i for i in more if (i.focus, i.text) not in known]
            keep = _closure(keep, _errors_by_record(more, build), build, prepared.present)
            if not keep:
                break
            continue
        _published(kstore, auth, prepared, keep, rows_with_errors, version, planned, triples)
        if prepared.candidates is not None and prepared.seen is not None:
            # the next upload's candidates, unless this publish changed them
            changed = set(triples) ^ old
            linking.carry(
                kstore, publisher, prepared.candidates, prepared.seen, generation, changed
            )
        return  # its audit entry was written with the version, atomically with the publish
    audit(settings, auth, report)


def _published(
    kstore: KiemenStore,
    auth: Auth,
    prepared: Prepared,
    keep: list[Record],
    rows_with_errors: set[tuple[str, int]],
    version: int,
    planned: Diff,
    triples: Collection[ox.Triple],
) -> None:
    """The report of a publish: what went in, what was left out, and the link suggestions."""
    settings, publisher = kstore.settings, auth.publisher
    report, build, old = prepared.report, prepared.build, prepared.old
    kept = {r.key for r in keep}
    report.left_out = sorted(
        (
            {"table": r.table, "row": r.row, "id": r.ident, "file": r.file}
            for r in build.records
            if r.key not in kept
        ),
        key=lambda d: (d["table"], d["row"] or 0),
    )
    for table, row in sorted(rows_with_errors, key=lambda x: (x[0], x[1] or 0)):
        if not any(d["table"] == table and d["row"] == row for d in report.left_out):
            report.left_out.append({"table": table, "row": row})
    report.published, report.version = True, version
    report.records = len(keep)
    report.diff = planned
    new = set(triples)
    report.triples = len(new)
    report.added, report.removed = len(new - old), len(old - new)
    if prepared.suggested is None:
        suggested = linking.suggest(kstore, publisher, keep, prepared.candidates)
    else:  # keep is part of what the preview scored, against the same candidates
        suggested = linking.of_records(prepared.suggested, keep)
    linking.store_suggestions(settings, publisher.code, suggested)
    report.suggestions = linking.open_suggestions(settings, publisher.code)
