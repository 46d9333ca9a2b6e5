"""Checking a publisher's records: the loader that writes them (so the shapes apply as to any
source), SHACL problems in the template's terms, and the report of an upload."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote

import pyoxigraph as ox

from core.config import Settings
from core.messages import ByLang, Messages, Text, msg
from core.problems import LoadStats, Problem
from core.store import KiemenStore
from core.validation.shacl import shapes_path
from core.vocab import (
    CSVW,
    DCT,
    RDF,
    RDFS,
    SH,
)
from loaders import graph_delta
from loaders.base import LoadError, Location, Source
from loaders.graph_delta import Checked
from publishing.diff import ADD, Diff
from publishing.publishers import (
    Publisher,
)
from publishing.records import Build, Record, lit, n
from publishing.template import (
    TABLES,
    Issue,
)

RDF_TYPE = ox.NamedNode(RDF + "type")

#: Most problems a report lists; the counts always cover all.
MAX_ISSUES = 500


# -------------------------------------------------------------------------------------------------
# the loader that writes a publisher's graph (so loaders.load validates, records and publishes)


class PublisherLoader:
    """Writes triples prepared by the publishing pipeline into a publisher's graph."""

    name: ClassVar[str] = "publisher"
    title: ClassVar[str] = "Publisher upload"

    @classmethod
    def accepts(cls, source: Source) -> bool:
        return source.location.startswith("publisher:")

    def default_graph_name(self, source: Source) -> str:
        return source.graph or "publishers/unknown/data"

    def write(
        self,
        source: Source,
        store: ox.Store,
        graph: ox.NamedNode,
        settings: Settings,
        check: Any = None,
    ) -> LoadStats:
        triples: list[ox.Triple] = sorted(
            source.options.get("triples", []), key=lambda tr: str(tr.subject)
        )
        quads = [ox.Quad(tr.subject, tr.predicate, tr.object, graph) for tr in triples]
        if check is not None:
            check.feed(quads)
        store.extend(quads)
        return LoadStats(files=list(source.options.get("files", [])))

    def locate(self, source: Source, iris: set[str], settings: Settings) -> dict[str, Location]:
        where: dict[str, Location] = source.options.get("where", {})
        return {i: where[i] for i in iris if i in where}


def publisher_source(
    publisher: Publisher,
    settings: Settings,
    triples: Collection[ox.Triple],
    label: str,
    graph: str = "data",
    where: dict[str, Location] | None = None,
    files: list[tuple[str, str]] | None = None,
) -> Source:
    return Source(
        f"publisher:{publisher.code}/{label}",
        graph=f"publishers/{publisher.code}/{graph}",
        options={"triples": triples, "where": where or {}, "files": files or []},
        loader=PublisherLoader(),
    )


# -------------------------------------------------------------------------------------------------
# SHACL problems in the template's terms

_PATH_COLUMNS = {
    "prefLabel": "name",
    "description": "description",
    "statedForm | inferredForm": "form",
    "subject": "theme",
    "spatial": "municipality_code",
    "homepage": "homepage",
    "startDate": "start_date",
    "endDate": "end_date",
    "actorType": "actor_type",
    "role": "role",
    "initiative": "initiative_id",
    "actor": "actor_id",
    "comment": "comment",
    "identifier": "id",
}


@functools.cache
def _shape_texts() -> dict[str, dict[str, str]]:
    """From the shapes: English message → Dutch comment; rule name → path and component."""

    store = ox.Store()
    store.load(path=str(shapes_path()), format=ox.RdfFormat.TURTLE)
    dutch: dict[str, str] = {}
    paths: dict[str, str] = {}
    components: dict[str, str] = {}
    names = {}
    for q in store.quads_for_pattern(None, n(SH + "name"), None):
        if isinstance(q.object, ox.Literal) and q.object.language == "en":
            names[q.subject] = q.object.value
    constraint = {
        "minCount": "MinCount",
        "maxCount": "MaxCount",
        "qualifiedMinCount": "QualifiedMinCount",
        "datatype": "Datatype",
        "class": "Class",
        "node": "Node",
        "nodeKind": "NodeKind",
        "pattern": "Pattern",
        "uniqueLang": "UniqueLang",
        "languageIn": "LanguageIn",
        "minInclusive": "MinInclusive",
        "maxInclusive": "MaxInclusive",
        "or": "Or",
        "hasValue": "HasValue",
        "lessThanOrEquals": "LessThanOrEquals",
        "not": "Not",
    }
    for shape, name in names.items():
        messages = [
            q.object.value
            for q in store.quads_for_pattern(shape, n(SH + "message"), None)
            if isinstance(q.object, ox.Literal)
        ]
        comments = [
            q.object.value
            for q in store.quads_for_pattern(shape, n(RDFS + "comment"), None)
            if isinstance(q.object, ox.Literal) and q.object.language == "nl"
        ]
        if messages and comments:
            dutch[messages[0]] = comments[0]
        path = next(iter(store.quads_for_pattern(shape, n(SH + "path"), None)), None)
        if path is not None and isinstance(path.object, ox.NamedNode):
            paths[name] = path.object.value
        for local, comp in constraint.items():
            if next(iter(store.quads_for_pattern(shape, n(SH + local), None)), None) is not None:
                components[name] = f"{SH}{comp}ConstraintComponent"
                break
    return {"dutch": dutch, "paths": paths, "components": components}


def issue_from_problem(p: Problem, build: Build) -> Issue:
    records = build.by_key()
    rec = records.get(p.focus or "")
    message = p.message
    suffix = ""
    if " (value: " in message and message.endswith(")"):
        message, _, rest = message.partition(" (value: ")
        suffix = rest[:-1]
    texts = _shape_texts()
    # The shapes word their messages in both languages (sh:message, rdfs:comment@nl): data.
    said = ByLang(nl=texts["dutch"].get(message, message), en=message)
    rule_name, _, short_path = p.rule.partition(" / ")
    column = ""
    if rec is not None and rec.table in TABLES:
        column = _PATH_COLUMNS.get(short_path, "")
        if column in ("name", "description", "comment"):
            column += "_en" if "English" in message else "_nl"
    text = (
        msg("upload.shape.value", said=said, value=suffix)
        if suffix
        else msg("upload.shape", said=said)
    )
    return Issue(
        severity="error" if p.severity == "error" else "warning",
        text=text,
        file=rec.file if rec else "",
        table=rec.table if rec else "",
        row=rec.row if rec else None,
        column=column,
        value=suffix,
        rule=f"shape: {p.rule}",
        focus=p.focus or "",
        path=texts["paths"].get(rule_name, ""),
        component=texts["components"].get(rule_name, ""),
    )


def _internal(issue: Issue, build: Build, publisher: Publisher, settings: Settings) -> bool:
    """Advice about nodes the pipeline makes (register, sections, places): not the publisher's."""
    if issue.severity == "error" or not issue.focus:
        return False
    return issue.focus not in build.by_key()


def locations(records: Iterable[Record]) -> dict[str, Location]:
    return {r.key: (r.file, None, r.row, None) for r in records}


def shacl_check(
    kstore: KiemenStore,
    publisher: Publisher,
    build: Build,
    records: list[Record],
    triples: list[ox.Triple] | None = None,
) -> list[Issue]:
    """Validate what would be published (``triples``, by default the records alone) with the
    project's shapes: a dry run, which writes nothing and builds no indexes."""
    return shacl_checked(kstore, publisher, build, records, triples)[0]


def shacl_checked(
    kstore: KiemenStore,
    publisher: Publisher,
    build: Build,
    records: list[Record],
    triples: Collection[ox.Triple] | None = None,
    state: tuple[set[ox.Triple], str | None] | None = None,
) -> tuple[list[Issue], Checked | None]:
    """:func:`shacl_check`, and the dry run's verdict for the publish to reuse (None when it
    found errors). ``state``: the data graph as it is and the generation it was read from
    (:func:`publishing.records.current_state`), so that only the difference is written and
    checked."""
    if triples is None:
        triples = build.triples(records)
    if not triples:
        return [], None
    source = publisher_source(
        publisher, kstore.settings, triples, "check", where=locations(records)
    )
    old, based_on = state if state is not None else (None, None)
    checked = None
    try:
        outcome = graph_delta.replace_graph(
            kstore,
            source,
            old=old,
            based_on=based_on,
            also=[r.key for r in records],
            dry_run=True,
        )
        problems, checked = outcome.problems, outcome.checked
    except LoadError as exc:
        problems = exc.problems
    issues = [issue_from_problem(p, build) for p in problems]
    return [i for i in issues if not _internal(i, build, publisher, kstore.settings)], checked


# -------------------------------------------------------------------------------------------------
# the report


@dataclass
class Report:
    publisher: str
    action: str
    issues: list[Issue] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    records: int = 0
    triples: int = 0
    added: int = 0
    removed: int = 0
    valid_only: bool = False
    published: bool = False
    version: int | None = None
    left_out: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    structural: bool = False  # a file could not be read as the template: nothing can be published
    #: The client's Idempotency-Key; a retry with the same key answers with the first publish.
    idempotency_key: str | None = None
    replayed: bool = False
    #: ``add`` (records not mentioned stay) or ``replace`` (they go, once confirmed).
    mode: str = ADD
    #: What publishing does (or did) to the records: the check step's preview.
    diff: Diff | None = None
    #: A replace that would remove records was not (or not for this preview) confirmed.
    needs_confirmation: bool = False

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity != "error"]

    @property
    def conforms(self) -> bool:
        return not self.errors

    def summary(self) -> Text:
        """What the check or publish came to, in one or two sentences."""
        e, w = len(self.errors), len(self.warnings)
        if self.needs_confirmation and self.diff is not None:
            return msg("report.needs_confirmation", removed=len(self.diff.removed))
        if self.published:
            left: Text | str = ""
            if self.left_out:
                left = msg("report.left_out", n=len(self.left_out))
            return msg(
                "report.published",
                version=self.version,
                records=self.records,
                added=self.added,
                removed=self.removed,
                left_out=left,
            )
        if e:
            return msg("report.errors", errors=e, warnings=w)
        return msg("report.valid", records=self.records, warnings=w, would=self._would())

    def _would(self) -> Text | str:
        if self.diff is None:
            return ""
        a, c, r = len(self.diff.added), len(self.diff.changed), len(self.diff.removed)
        return msg("report.would", added=a, changed=c, removed=r)

    def as_json(self, messages: Messages) -> dict[str, Any]:
        """The report for the JSON API; its texts worded in English and in Dutch."""
        ordered = sorted(
            self.issues,
            key=lambda i: (i.severity != "error", i.file, i.table, i.row or 0, i.column),
        )
        body: dict[str, Any] = {
            "ok": self.conforms or self.published,
            "publisher": self.publisher,
            "action": self.action,
            "published": self.published,
            "version": self.version,
            "replayed": self.replayed,
            "valid_only": self.valid_only,
            "mode": self.mode,
            "needs_confirmation": self.needs_confirmation,
            "preview": self.diff.as_json() if self.diff is not None else None,
            "summary": messages.render(self.summary(), "en"),
            "summary_nl": messages.render(self.summary(), "nl"),
            "counts": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "records": self.records,
                "triples": self.triples,
                "added": self.added,
                "removed": self.removed,
                "tables": self.tables,
            },
            "rows": [i.as_json(messages) for i in ordered[:MAX_ISSUES]],
            "truncated": len(ordered) > MAX_ISSUES,
            "next": None,
            "next_url": None,
            "files": self.files,
            "left_out": self.left_out,
            "suggestions": self.suggestions,
        }
        if not body["ok"]:
            body["error"] = body["summary"]
            body["status"] = 422
        return body


def shacl_report(report: Report, settings: Settings, messages: Messages) -> list[ox.Triple]:
    """The report as a SHACL validation report (``sh:ValidationReport``), one result per issue,
    its messages worded in every language of ``messages``.

    Rows and columns of the template are given with CSVW's ``csvw:rownum`` and ``csvw:name``;
    problems of a whole file are reported with the file as focus node.
    """
    root = ox.BlankNode()
    out = [
        ox.Triple(root, RDF_TYPE, n(SH + "ValidationReport")),
        ox.Triple(root, n(SH + "conforms"), lit("true" if report.conforms else "false", "boolean")),
    ]
    for issue in report.issues[:MAX_ISSUES]:
        node = ox.BlankNode()
        focus = issue.focus or _upload_iri(settings, report.publisher, issue)
        out += [
            ox.Triple(root, n(SH + "result"), node),
            ox.Triple(node, RDF_TYPE, n(SH + "ValidationResult")),
            ox.Triple(node, n(SH + "focusNode"), n(focus)),
            ox.Triple(
                node,
                n(SH + "resultSeverity"),
                n(SH + ("Violation" if issue.severity == "error" else "Warning")),
            ),
            *(
                ox.Triple(node, n(SH + "resultMessage"), lit(said, lang=lang))
                for lang, said in messages.both(issue.text).items()
            ),
            ox.Triple(
                node,
                n(SH + "sourceConstraintComponent"),
                n(issue.component or _template_component(issue.rule)),
            ),
        ]
        if issue.path:
            out.append(ox.Triple(node, n(SH + "resultPath"), n(issue.path)))
        if issue.value:
            out.append(ox.Triple(node, n(SH + "value"), lit(issue.value)))
        if issue.row is not None:
            out.append(ox.Triple(node, n(CSVW + "rownum"), lit(issue.row, "integer")))
        if issue.column:
            out.append(ox.Triple(node, n(CSVW + "name"), lit(issue.column)))
        if issue.file:
            out.append(ox.Triple(node, n(DCT + "source"), lit(issue.file)))
        if issue.rule:
            out.append(ox.Triple(node, n(RDFS + "comment"), lit(issue.rule)))
    return out


def _upload_iri(settings: Settings, code: str, issue: Issue) -> str:

    where = quote(issue.file or issue.table or "upload", safe="")
    row = f"/row/{issue.row}" if issue.row is not None else ""
    return f"{settings.base_uri}publish/{code}/upload/{where}{row}"


def _template_component(rule: str) -> str:
    return SH + {
        "required": "MinCountConstraintComponent",
        "missing column": "MinCountConstraintComponent",
        "date": "DatatypeConstraintComponent",
        "url": "NodeKindConstraintComponent",
        "value list": "InConstraintComponent",
        "municipality code": "InConstraintComponent",
        "reference": "ClassConstraintComponent",
        "period": "LessThanOrEqualsConstraintComponent",
        "id": "PatternConstraintComponent",
        "ref": "PatternConstraintComponent",
        "name": "MaxLengthConstraintComponent",
        "text": "MaxLengthConstraintComponent",
        "namespace": "ClosedConstraintComponent",
        "extra column": "ClosedConstraintComponent",
        "columns": "ClosedConstraintComponent",
    }.get(rule, "SPARQLConstraintComponent")
