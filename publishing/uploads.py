"""The upload pipeline: parse → validate → report → publish as a new version of the dataset.

An upload (the template as CSV or Excel, or RDF through the Graph Store Protocol) becomes the
publisher's *data graph* ``{base}graph/publishers/{code}/data``:

1. the files are read and every cell meets the template's own rules
   (:mod:`publishing.template`): encoding, columns, identifiers, dates, codes, formulas;
2. the rows become RDF in the project's model (initiatives, organisations, involvements), each
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
modification date) is completed by :func:`annotate_meta`, an index hook that runs inside the
same generation, so the catalogue (:mod:`portal.catalogue`) lists it without special cases.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pyoxigraph as ox

from core.config import Settings
from core.formats import RDF_FORMATS, by_key
from core.store import KiemenStore
from core.vocab import (
    RDF,
)
from loaders.base import LoadError
from loaders.rdf import rebase_term
from publishing import linking
from publishing.checks import Report, issue_from_problem, locations, shacl_check
from publishing.diff import ADD, REPLACE, diff, merged, records_of
from publishing.publishers import (
    Auth,
    Publisher,
)
from publishing.records import (
    Build,
    Record,
    build_from_rdf,
    build_records,
    current_triples,
    existing_places,
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
    publisher_lock,
)

KM = "https://w3id.org/kiemen/def/"
ADMS_TYPE = "http://purl.org/adms/publishertype/"
RDF_TYPE = ox.NamedNode(RDF + "type")

#: Most problems a report lists; the counts always cover all.
MAX_ISSUES = 500
#: Rounds of "drop the rows the shapes reject and check again" when publishing valid rows only.
MAX_ROUNDS = 4


# -------------------------------------------------------------------------------------------------
# the pipeline


def _replayed(settings: Settings, report: Report) -> bool:
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


def process_upload(
    kstore: KiemenStore,
    auth: Auth,
    files: list[UploadFile],
    *,
    publish: bool,
    valid_only: bool = False,
    idempotency_key: str | None = None,
    mode: str = ADD,
    confirm: bool = False,
    expect: str | None = None,
) -> Report:
    """Check (and with ``publish``, publish) the template's tables from CSV or Excel files.

    ``mode`` ``add`` keeps the records the upload does not mention; ``replace`` removes them,
    but only with ``confirm`` (and, when given, ``expect`` = the digest of the preview the
    publisher saw); otherwise the report asks for confirmation and nothing is published.
    """
    publisher = auth.publisher
    settings = kstore.settings
    report = Report(publisher.code, "upload" if publish else "check", valid_only=valid_only)
    report.idempotency_key = idempotency_key if publish else None
    report.mode = mode
    with publisher_lock(settings, publisher.code):
        if _replayed(settings, report):
            return report
        old = current_triples(kstore, publisher.data_graph(settings))
        present = _present(old, publisher, settings, mode)
        parsed: Parsed = read_uploads(files, settings.max_body_bytes)
        report.files = parsed.files
        report.structural = bool(parsed.broken)
        known = {
            table: {k.rsplit("/", 1)[-1] for k in present if f"/{kind}/" in k}
            for table, kind in (("initiatives", "initiative"), ("actors", "actor"))
        }
        checked = check_rows(parsed, vocabulary(kstore), publisher.code, known)
        report.issues += parsed.issues
        build = build_records(checked, publisher, settings, existing_places(kstore))
        target = _target(build, build.records, old, mode, publisher, settings)
        report.issues += shacl_check(kstore, publisher, build, build.records, target)
        for name, rows in checked.items():
            if rows or name in parsed.rows:
                report.tables[name] = {"rows": len(rows), "valid": sum(1 for c in rows if c.ok)}
        _finish(
            kstore,
            auth,
            report,
            build,
            old,
            publish=publish,
            valid_only=valid_only,
            present=present,
            confirmed=confirm,
            expect=expect,
        )
    return report


def _present(
    old: Iterable[ox.Triple], publisher: Publisher, settings: Settings, mode: str
) -> frozenset[str]:
    """The records an ``add`` upload keeps whatever it holds (none for ``replace``)."""
    if mode == REPLACE:
        return frozenset()
    return frozenset(records_of(old, settings, publisher.id_ns(settings)))


def _target(
    build: Build,
    keep: list[Record],
    old: set[ox.Triple],
    mode: str,
    publisher: Publisher,
    settings: Settings,
) -> list[ox.Triple]:
    """The data graph publishing ``keep`` would leave: the records alone (``replace``), or
    the old graph with them in place of their earlier state (``add``)."""
    triples = build.triples(keep)
    if mode == REPLACE:
        return triples
    register = register_iri(publisher, settings)
    return merged(old, triples, {r.key for r in keep}, register)


def process_rdf(
    kstore: KiemenStore,
    auth: Auth,
    data: bytes,
    media_type: str,
    *,
    merge: bool,
    publish: bool,
    valid_only: bool = False,
    action: str = "graph-store",
    idempotency_key: str | None = None,
    mode: str = ADD,
    confirm: bool = False,
    expect: str | None = None,
) -> Report:
    """Check (and publish) RDF for the publisher's data graph.

    ``merge`` (Graph Store POST) adds the triples to the graph as they are; otherwise each
    subject is a record, and ``mode``/``confirm`` act as for :func:`process_upload`.
    """

    publisher = auth.publisher
    settings = kstore.settings
    report = Report(publisher.code, action if publish else "check", valid_only=valid_only)
    report.idempotency_key = idempotency_key if publish else None
    report.mode = REPLACE if merge else mode
    name = "request body"
    report.files = [{"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}]
    fmt = by_key(media_type.split(";")[0].strip(), RDF_FORMATS)
    with publisher_lock(settings, publisher.code):
        if _replayed(settings, report):
            return report
        if len(data) > settings.max_body_bytes:
            report.issues.append(
                error(
                    f"the body is larger than the limit of {settings.max_body_bytes} bytes",
                    f"de inhoud is groter dan de grens van {settings.max_body_bytes} bytes",
                    file=name,
                    rule="size",
                )
            )
        elif fmt is None or fmt.rdf is None or fmt.rdf in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            report.issues.append(
                error(
                    f"cannot read {media_type or 'a body without Content-Type'} as the triples of "
                    "one graph; send Turtle, N-Triples, RDF/XML or JSON-LD",
                    f"{media_type or 'een inhoud zonder Content-Type'} is niet te lezen als de "
                    "tripels van één graaf; stuur Turtle, N-Triples, RDF/XML of JSON-LD",
                    file=name,
                    rule="format",
                )
            )
        if report.issues:
            report.structural = True
            audit(settings, auth, report)
            return report
        assert fmt is not None and fmt.rdf is not None
        try:
            triples = [
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
                    f"the body is not valid {fmt.label}: {exc}",
                    f"de inhoud is geen geldige {fmt.label}: {exc}",
                    file=name,
                    rule="syntax",
                )
            )
            report.structural = True
            audit(settings, auth, report)
            return report
        old = current_triples(kstore, publisher.data_graph(settings))
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
        build, issues = build_from_rdf(triples, publisher, settings, name)
        report.issues += issues
        report.structural = bool(issues)
        present = _present(old, publisher, settings, report.mode)
        target = _target(build, build.records, old, report.mode, publisher, settings)
        report.issues += shacl_check(kstore, publisher, build, build.records, target)
        report.tables["rdf"] = {"rows": len(build.records), "valid": len(build.records)}
        _finish(
            kstore,
            auth,
            report,
            build,
            old,
            publish=publish,
            valid_only=valid_only,
            present=present,
            # a Graph Store POST keeps every record: it removes nothing to confirm
            confirmed=confirm or merge,
            expect=expect,
        )
    return report


def _finish(
    kstore: KiemenStore,
    auth: Auth,
    report: Report,
    build: Build,
    old: set[ox.Triple],
    *,
    publish: bool,
    valid_only: bool,
    present: frozenset[str] = frozenset(),
    confirmed: bool = False,
    expect: str | None = None,
) -> None:
    """Decide what to publish, publish it as a version, suggest links, write the audit log.

    A ``replace`` that removes records publishes only when confirmed for exactly the removals
    the preview showed; anything else stops with the preview and publishes nothing.
    """

    settings = kstore.settings
    publisher = auth.publisher
    ns = publisher.id_ns(settings)
    keep = build.records
    bad = _errors_by_record(report.issues, build)
    rows_with_errors = {
        (i.table, i.row) for i in report.errors if i.row is not None and i.table in TABLES
    }
    if report.errors:
        keep = _closure(build.records, bad, build, present)
    report.records = len(keep)
    would = bool(keep) and not report.structural and (valid_only or not report.errors)
    if would:  # what publishing would change: the check step's preview
        target = _target(build, keep, old, report.mode, publisher, settings)
        new = set(target)
        report.triples = len(new)
        report.added, report.removed = len(new - old), len(old - new)
        report.diff = diff(old, target, settings, ns)
    report.suggestions = [s.as_json() for s in linking.suggest(kstore, publisher, keep)]
    may_publish = publish and not report.structural and (valid_only or not report.errors)
    if not may_publish or not keep:
        if publish and not keep and not report.errors:
            report.issues.append(
                error("the upload holds no records", "de upload bevat geen records", rule="empty")
            )
        audit(settings, auth, report)
        return
    assert report.diff is not None
    accepted = {r["iri"] for r in report.diff.removed} if confirmed else set()
    if expect is not None and expect != report.diff.digest:
        accepted = set()  # the dataset (or the upload) changed since the preview was shown
    # publish the valid rows only: what the shapes still reject goes too, round by round
    for _round in range(MAX_ROUNDS):
        version = next_version(settings, publisher.code)
        triples = _target(build, keep, old, report.mode, publisher, settings)
        planned = diff(old, triples, settings, ns)
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
            publish_version(
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
            )
        except LoadError as exc:
            more = [issue_from_problem(p, build) for p in exc.problems if p.severity == "error"]
            known = {(i.focus, i.en) for i in report.issues}
            report.issues += [i for i in more if (i.focus, i.en) not in known]
            keep = _closure(keep, _errors_by_record(more, build), build, present)
            if not keep:
                break
            continue
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
        linking.store_suggestions(
            settings, publisher.code, linking.suggest(kstore, publisher, keep)
        )
        report.suggestions = linking.open_suggestions(settings, publisher.code)
        return  # its audit entry was written with the version, atomically with the publish
    audit(settings, auth, report)
