"""Publishing by governments: a web form for people, a small JSON API for machines.

People upload the template (CSV or Excel) with their token in a form and get an HTML report in
their language; machines POST the same files (or RDF) with ``Authorization: Bearer`` and get
JSON in datasette's shape, or a SHACL ``sh:ValidationReport`` in Turtle or JSON-LD. Writes to a
publisher's graph through the endpoint's Graph Store (``/store?graph=…``) are routed through the
same validated pipeline, and SPARQL Update with a publisher's token is refused, so nothing
reaches a publisher's data unvalidated. Everything else of the Graph Store stays the endpoint's.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pyoxigraph as ox
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from core import formats
from core.messages import Text, msg
from core.prefixes import ontology_prefixes
from core.store import StoreError
from core.tokens import TokenStore
from portal.db import get_settings, get_store
from portal.i18n import current_lang, messages
from publishing import usecases
from publishing.checks import Report, shacl_report
from publishing.diff import ModeError, parse_mode
from publishing.linking import all_suggestions, open_suggestions
from publishing.pending import drop, stash, take
from publishing.publishers import (
    LICENCES,
    Auth,
    AuthError,
    PublisherError,
    Registry,
    publisher_for_graph,
    reference,
)
from publishing.records import vocabulary
from publishing.template import TABLES, Issue, UploadFile, error, table_for_name
from publishing.template_files import templates_dir
from publishing.usecases import Body, Files, Options
from publishing.versions import audit, audit_log, version_triples, versions

bp = Blueprint("publish", __name__)

JSON_MEDIA = "application/json"
SHACL_FORMATS = tuple(f for f in formats.RDF_FORMATS if f.key in ("ttl", "jsonld", "nt", "rdf"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_FILES = {
    "kiemen-template.xlsx": XLSX,
    "initiatives.csv": "text/csv",
    "actors.csv": "text/csv",
    "roles.csv": "text/csv",
    "example/kiemen-example.xlsx": XLSX,
    "example/initiatives.csv": "text/csv",
    "example/actors.csv": "text/csv",
    "example/roles.csv": "text/csv",
    "README.md": "text/markdown",
}


def init_app(app: Flask) -> None:
    app.before_request(_guard_writes)


# -- helpers ------------------------------------------------------------------------------------


def _registry() -> Registry:
    return Registry(get_settings())


def _bearer() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return secret.strip()
    return None


def _json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    response = Response(
        json.dumps(body, ensure_ascii=False, indent=1), status=status, mimetype=JSON_MEDIA
    )
    for k, v in (headers or {}).items():
        response.headers[k] = v
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_error(status: int, text: Text | str, **extra: Any) -> Response:
    """A refusal: ``error`` in English and (for a text of the catalogues) ``error_nl``."""
    body: dict[str, Any] = {"ok": False, "error": messages().render(text, "en"), "status": status}
    if isinstance(text, Text):
        body["error_nl"] = messages().render(text, "nl")
    body.update(extra)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="Kiemen", scope="publish"'
    return _json(body, status, headers)


def _auth_json(code: str | None) -> tuple[Auth | None, Response | None]:
    try:
        return _registry().authenticate(_bearer(), code), None
    except AuthError as exc:
        return None, _json_error(exc.status, exc.text)


def _too_large_issue() -> Issue:
    limit = get_settings().max_body_bytes
    return error(msg("upload.error.request_too_large", limit=limit), rule="size")


def _too_large() -> bool:
    length = request.content_length
    return length is not None and length > get_settings().max_body_bytes


def _uploads_from_request() -> list[UploadFile]:
    """Files of a multipart form (by field or file name) or the raw body (by Content-Type)."""
    mimetype = request.mimetype
    files: list[UploadFile] = []
    if mimetype == "multipart/form-data":
        for field, storage in request.files.items(multi=True):
            if not storage.filename and not field:
                continue
            data = storage.read()
            if not data and not storage.filename:
                continue
            table = field if field in TABLES else table_for_name(field)
            files.append(UploadFile(storage.filename or f"{field}.csv", data, table))
        return files
    data = request.get_data(cache=False)
    if not data:
        return []
    if mimetype in (XLSX, "application/octet-stream") and data[:4] == b"PK\x03\x04":
        return [UploadFile("upload.xlsx", data)]
    table = request.args.get("table", "initiatives")
    return [UploadFile(f"{table}.csv", data, table if table in TABLES else None)]


def _is_rdf(mimetype: str) -> bool:
    fmt = formats.by_key(mimetype, formats.RDF_FORMATS)
    return fmt is not None and mimetype not in ("text/plain",)


def _report_response(report: Any, ok_status: int = 200, fail_status: int = 422) -> Response:
    """A report as JSON (default) or, when asked for, as a SHACL validation report."""

    settings = get_settings()
    status = ok_status if (report.conforms or report.published) else fail_status
    wants = request.args.get("format") or ""
    fmt = None
    if wants and wants not in ("json",):
        fmt = formats.by_key(wants, SHACL_FORMATS)
    elif not wants:
        accept = request.accept_mimetypes
        best = accept.best_match([JSON_MEDIA, *(f.media_type for f in SHACL_FORMATS)])
        if best and best != JSON_MEDIA and accept.quality(best) > accept.quality(JSON_MEDIA):
            fmt = formats.by_key(best, SHACL_FORMATS)
    if fmt is not None and fmt.rdf is not None:
        body = ox_serialize(shacl_report(report, settings, messages()), fmt.rdf)
        response = Response(body, status=status, mimetype=fmt.media_type)
        response.headers["Cache-Control"] = "no-store"
        return response
    body = report.as_json(messages())
    return _json(body | ({"status": status} if status >= 400 else {}), status)


def ox_serialize(triples: list[Any], fmt: Any) -> bytes:

    prefixes = {
        "sh": "http://www.w3.org/ns/shacl#",
        "csvw": "http://www.w3.org/ns/csvw#",
        "dcterms": "http://purl.org/dc/terms/",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    }
    try:
        return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
    except TypeError:
        return ox.serialize(triples, format=fmt) or b""


def _audit_refusal(auth: Auth, action: str, issue: Issue) -> None:

    report = Report(auth.publisher.code, action)
    report.issues.append(issue)
    report.structural = True
    audit(get_settings(), auth, report)


# -- pages for people ---------------------------------------------------------------------------


@bp.route("/publish")
def index() -> str:

    settings = get_settings()
    publishers = []
    for pub in _registry().all():
        latest = versions(settings, pub.code)
        publishers.append({"pub": pub, "latest": latest[0] if latest else None})
    return render_template("publish/index.html", publishers=publishers, licences=LICENCES)


@bp.route("/publish/template")
def template_docs() -> str:

    vocab = vocabulary(get_store())
    lang = current_lang()
    values = []
    seen: set[tuple[str, ...]] = set()
    for spec in TABLES.values():
        for col in spec.columns:
            if col.kind != "concepts" or col.scheme in seen:
                continue
            seen.add(col.scheme)
            concepts: dict[str, Any] = {}
            for scheme in col.scheme:
                for c in vocab.by_scheme.get(scheme, {}).values():
                    concepts[c.iri] = c
            rows = sorted(concepts.values(), key=lambda c: (c.scheme, c.slug))
            values.append({"column": col.name, "concepts": rows})
    codes = [b for b in reference().values()]
    return render_template(
        "publish/template.html", tables=TABLES, values=values, codes=codes, lang=lang
    )


@bp.route("/publish/template/<path:filename>")
def template_file(filename: str) -> ResponseReturnValue:
    media = TEMPLATE_FILES.get(filename)
    if media is None:
        abort(404)
    path = templates_dir() / filename
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype=media,
        as_attachment=not filename.endswith(".md"),
        download_name=filename.rsplit("/", 1)[-1],
    )


def _mode_issue(raw: str) -> Issue:
    return error(msg("upload.error.mode", mode=repr(raw[:40])), rule="mode")


def _truthy(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "on", "true", "yes")


@bp.route("/publish/upload", methods=["POST"])
def upload_form() -> ResponseReturnValue:
    """Check or publish; a replace that removes records stops at a preview to confirm.

    The confirmation is the second step: the preview's form sends back the kept upload's
    identifier, the preview's digest and the token again (never echoed into the page).
    """

    if _too_large():
        return _page_refusal(413, _too_large_issue())
    try:
        token = request.form.get("token", "")
        files = [
            UploadFile(s.filename or "upload", s.read())
            for s in request.files.getlist("files")
            if s.filename
        ]
    except RequestEntityTooLarge:
        return _page_refusal(413, _too_large_issue())
    try:
        auth = _registry().authenticate(token)
    except AuthError as exc:
        return _page_refusal(exc.status, error(exc.text, rule="token"))
    try:
        mode = parse_mode(request.form.get("mode"))
    except ModeError:
        return _page_refusal(400, _mode_issue(request.form.get("mode", "")))
    settings = get_settings()
    code = auth.publisher.code
    pending = request.form.get("pending", "")
    if pending and not files:
        kept = take(settings, code, pending)
        if kept is None:
            return _page_refusal(
                410,
                error(msg("upload.error.pending_gone"), rule="confirm"),
            )
        files = kept
    publish = request.form.get("action") == "publish"
    valid_only = _truthy(request.form.get("valid_only"))
    try:
        run = usecases.publish if publish else usecases.check
        report = run(
            get_store(),
            auth,
            Files(files),
            Options(
                mode=mode,
                valid_only=valid_only,
                confirm=_truthy(request.form.get("confirm")),
                expect=request.form.get("expect") or None,
            ),
        )
    except StoreError as exc:
        return _page_refusal(503, error(msg("upload.error.store", problem=str(exc)), rule="store"))
    if pending:
        drop(settings, code, pending)
    status = 200 if (report.conforms or report.published) else 422
    if report.needs_confirmation:
        pending, status = stash(settings, code, files), 409
    html = render_template(
        "publish/report.html",
        report=report,
        publisher=auth.publisher,
        pending=pending if report.needs_confirmation else "",
    )
    return Response(
        html, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"}
    )


def _page_refusal(status: int, issue: Issue) -> Response:

    report = Report("", "check")
    report.issues.append(issue)
    report.structural = True
    html = render_template("publish/report.html", report=report, publisher=None)
    return Response(
        html, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"}
    )


@bp.route("/publish/<code>")
def publisher_page(code: str) -> ResponseReturnValue:

    settings = get_settings()
    pub = _registry().get(code)
    if pub is None:
        return render_template("publish/missing.html", code=code), 404
    lang = current_lang()
    records: dict[str, dict[str, Any]] = {}
    for row in get_store().rows("publisher-records", {"g": pub.data_graph(settings)}):
        entry = records.setdefault(str(row["thing"]), dict(row))
        if row["lang"] == lang:
            entry["label"] = row["label"]
    return render_template(
        "publish/publisher.html",
        pub=pub,
        versions=versions(settings, pub.code),
        suggestions=open_suggestions(settings, pub.code),
        records=list(records.values()),
        data_graph=pub.data_graph(settings),
        licence_name=pub.licence.label,  # the footer states the publisher's licence
    )


@bp.route("/publish/<code>/rollback", methods=["POST"])
def rollback_form(code: str) -> ResponseReturnValue:

    try:
        auth = _registry().authenticate(request.form.get("token", ""), code)
        version = int(request.form.get("version", ""))
    except AuthError as exc:
        return _page_refusal(exc.status, error(exc.text, rule="token"))
    except ValueError:
        return _page_refusal(400, error(msg("upload.error.choose_version"), rule="version"))
    report = usecases.rollback(get_store(), auth, version)
    status = 200 if report.published else 422
    html = render_template("publish/report.html", report=report, publisher=auth.publisher)
    return Response(
        html, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"}
    )


@bp.route("/publish/<code>/links/<int:sid>", methods=["POST"])
def link_form(code: str, sid: int) -> ResponseReturnValue:

    try:
        auth = _registry().authenticate(request.form.get("token", ""), code)
        usecases.link(
            get_store(),
            auth,
            sid,
            request.form.get("decision", ""),
            request.form.get("property") or None,
        )
    except AuthError as exc:
        return _page_refusal(exc.status, error(exc.text, rule="token"))
    except PublisherError as exc:
        return _page_refusal(400, error(exc.text, rule="link"))
    return redirect(url_for("publish.publisher_page", code=code.upper()) + "#links", 303)


@bp.route("/publish/<code>/versions/<version>.<ext>")
def version_download(code: str, version: str, ext: str) -> ResponseReturnValue:

    settings = get_settings()
    pub = _registry().get(code)
    fmt = formats.by_key(ext, formats.RDF_FORMATS)
    if pub is None or fmt is None or fmt.rdf is None or fmt.key in ("trig", "nq"):
        abort(404)
    if version == "latest":
        known = versions(settings, pub.code)
        if not known:
            abort(404)
        number = int(known[0]["number"])
    elif version.isdigit():
        number = int(version)
    else:
        abort(404)
    triples = version_triples(settings, pub.code, number)
    if triples is None:
        abort(404)

    body = ox_serialize_prefixed(triples, fmt.rdf, ontology_prefixes(settings))
    response = Response(body, mimetype=fmt.media_type)
    response.headers["Content-Disposition"] = f'inline; filename="{pub.code}-v{number}.{fmt.key}"'
    response.headers["Link"] = f'<{pub.licence.url}>; rel="license"'
    return response


def ox_serialize_prefixed(triples: list[Any], fmt: Any, prefixes: dict[str, str]) -> bytes:
    """Turtle and RDF/XML with the ontology's prefixes; the other formats have none."""
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
    return ox.serialize(triples, format=fmt) or b""


# -- the API for machines -----------------------------------------------------------------------


@bp.route("/publish/api/publishers")
def api_publishers() -> Response:

    settings = get_settings()
    rows = []
    for pub in _registry().all():
        entry: dict[str, Any] = dict(pub.as_json(settings))
        for private in ("contact_name", "contact_email"):  # registration data stays private
            entry.pop(private, None)
        known = versions(settings, pub.code)
        entry["latest_version"] = known[0]["number"] if known else None
        entry["page"] = url_for("publish.publisher_page", code=pub.code, _external=True)
        rows.append(entry)
    return _json({"ok": True, "rows": rows, "truncated": False, "next": None, "next_url": None})


def _api_upload(code: str, publish: bool) -> Response:

    auth, refusal = _auth_json(code)
    if refusal is not None:
        return refusal
    assert auth is not None
    action = "api-upload" if publish else "check"
    if _too_large():
        issue = _too_large_issue()
        _audit_refusal(auth, action, issue)
        return _json_error(
            413,
            issue.text,
            rows=[issue.as_json(messages())],
            truncated=False,
            next=None,
            next_url=None,
        )
    valid_only = request.args.get("valid_only", "").lower() in ("1", "true", "yes")
    try:
        mode = parse_mode(request.args.get("mode"))
    except ModeError:
        issue = _mode_issue(request.args.get("mode", ""))
        return _json_error(400, issue.text, rows=[issue.as_json(messages())])
    confirm = _truthy(request.args.get("confirm"))
    expect = request.args.get("expect") or None
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and (len(key) > 200 or not key.isprintable()):
        return _json_error(400, msg("upload.error.idempotency_key"))
    kstore = get_store()
    options = Options(
        mode=mode, valid_only=valid_only, confirm=confirm, expect=expect, idempotency_key=key
    )
    try:
        if _is_rdf(request.mimetype):
            data = request.get_data(cache=False)
            upload: usecases.Upload = Body(data, request.mimetype)
            options = replace(options, action="api-rdf")
        else:
            upload = Files(_uploads_from_request())
        report = (usecases.publish if publish else usecases.check)(kstore, auth, upload, options)
        if isinstance(upload, Files):
            report.action = action if publish else "check"
    except RequestEntityTooLarge:
        issue = _too_large_issue()
        _audit_refusal(auth, action, issue)
        return _json_error(413, issue.text, rows=[issue.as_json(messages())])
    except StoreError as exc:
        return _json_error(503, str(exc))
    if report.needs_confirmation:
        body = report.as_json(messages())
        return _json_error(
            409,
            msg("report.confirm_api", summary=report.summary()),
            **{
                k: body[k]
                for k in ("publisher", "action", "mode", "needs_confirmation", "preview", "counts")
            },
            rows=body["rows"],
            truncated=body["truncated"],
            next=None,
            next_url=None,
        )
    if publish and report.published:
        response = _report_response(report, ok_status=201)
        response.headers["Location"] = url_for(
            "publish.version_download",
            code=auth.publisher.code,
            version=str(report.version),
            ext="ttl",
            _external=True,
        )
        return response
    return _report_response(report)


@bp.route("/publish/api/<code>/validate", methods=["POST"])
def api_validate(code: str) -> Response:
    return _api_upload(code, publish=False)


@bp.route("/publish/api/<code>/versions", methods=["GET", "POST"])
def api_versions(code: str) -> Response:

    if request.method == "POST":
        return _api_upload(code, publish=True)
    settings = get_settings()
    pub = _registry().get(code)
    if pub is None:
        return _json_error(404, msg("publisher.error.unknown", code=code))
    rows = versions(settings, pub.code)
    for r in rows:
        r["download"] = url_for(
            "publish.version_download",
            code=pub.code,
            version=str(r["number"]),
            ext="ttl",
            _external=True,
        )
        r.pop("token_id", None)
    return _json({"ok": True, "rows": rows, "truncated": False, "next": None, "next_url": None})


@bp.route("/publish/api/<code>/rollback", methods=["POST"])
def api_rollback(code: str) -> Response:

    auth, refusal = _auth_json(code)
    if refusal is not None:
        return refusal
    assert auth is not None
    raw = request.args.get("version")
    if raw is None and request.is_json:
        raw = str((request.get_json(silent=True) or {}).get("version", ""))
    try:
        version = int(raw or "")
    except ValueError:
        return _json_error(400, msg("upload.error.rollback_version"))
    report = usecases.rollback(get_store(), auth, version)
    return _report_response(
        report,
        ok_status=201,
        fail_status=404 if not report.issues or report.issues[0].rule == "version" else 422,
    )


@bp.route("/publish/api/<code>/suggestions")
def api_suggestions(code: str) -> Response:

    pub = _registry().get(code)
    if pub is None:
        return _json_error(404, msg("publisher.error.unknown", code=code))
    rows = all_suggestions(get_settings(), pub.code, request.args.get("status") or None)
    for r in rows:
        r.pop("decided_by", None)
    return _json({"ok": True, "rows": rows, "truncated": False, "next": None, "next_url": None})


@bp.route("/publish/api/<code>/suggestions/<int:sid>", methods=["POST"])
def api_decide(code: str, sid: int) -> Response:

    auth, refusal = _auth_json(code)
    if refusal is not None:
        return refusal
    assert auth is not None
    body = request.get_json(silent=True) or {}
    decision = str(body.get("decision") or request.args.get("decision") or "")
    prop = body.get("property") or request.args.get("property") or None
    try:
        result = usecases.link(get_store(), auth, sid, decision, prop)
    except PublisherError as exc:
        return _json_error(400, exc.text)
    return _json({"ok": True, "rows": [result], "truncated": False, "next": None, "next_url": None})


@bp.route("/publish/api/<code>/audit")
def api_audit(code: str) -> Response:

    auth, refusal = _auth_json(code)
    if refusal is not None:
        return refusal
    assert auth is not None
    rows = audit_log(get_settings(), auth.publisher.code)
    return _json({"ok": True, "rows": rows, "truncated": False, "next": None, "next_url": None})


# -- the Graph Store and SPARQL Update, for publishers' graphs --------------------------------


def _guard_writes() -> ResponseReturnValue | None:
    """Route Graph Store writes to a publisher's graph through the pipeline; refuse SPARQL
    Update with a publisher's token (it would bypass validation, versions and the audit log)."""
    endpoint = request.endpoint or ""
    if endpoint in ("graphstore.indirect", "graphstore.direct") and request.method in (
        "PUT",
        "POST",
        "DELETE",
        "PATCH",
    ):
        graph = request.args.get("graph") if endpoint == "graphstore.indirect" else request.base_url
        if graph and publisher_for_graph(get_settings(), graph):
            return _graph_store_write(graph)
        return None
    if endpoint.startswith("sparql.endpoint") and request.method == "POST":
        secret = _bearer()
        if not secret:
            return None

        info = TokenStore(get_settings()).verify(secret)
        if info is None or _registry().publisher_of(info) is None:
            return None
        is_update = request.mimetype == "application/sparql-update" or (
            request.mimetype == "application/x-www-form-urlencoded" and "update" in request.form
        )
        if is_update:
            return _json_error(403, msg("publisher.error.no_sparql_update"))
    return None


def _graph_store_write(graph: str) -> Response:

    settings = get_settings()
    code = publisher_for_graph(settings, graph) or ""
    try:
        auth = _registry().authenticate(_bearer(), code)
    except AuthError as exc:
        return _json_error(exc.status, exc.text)
    data_graph = auth.publisher.data_graph(settings)
    if graph != data_graph:
        return _json_error(403, msg("publisher.error.links_graph", graph=data_graph))
    if request.method in ("DELETE", "PATCH"):
        response = _json_error(405, msg("publisher.error.no_delete"))
        response.headers["Allow"] = "GET, HEAD, PUT, POST, OPTIONS"
        return response
    if _too_large():
        issue = _too_large_issue()
        _audit_refusal(auth, "graph-store", issue)
        return _json_error(413, issue.text)
    existed = bool(_versions_count(auth))
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _json_error(413, _too_large_issue().text)
    valid_only = request.args.get("valid_only", "").lower() in ("1", "true", "yes")
    report = usecases.publish(
        get_store(),
        auth,
        Body(data, request.content_type or "", merge=request.method == "POST"),
        Options(
            # the Graph Store's PUT is replace by definition (SPARQL 1.1 Graph Store Protocol)
            mode="replace",
            confirm=True,
            valid_only=valid_only,
            action=f"graph-store-{request.method.lower()}",
        ),
    )
    response = _report_response(report, ok_status=200 if existed else 201, fail_status=400)
    if report.published and not existed:
        response.headers["Location"] = graph
    return response


def _versions_count(auth: Auth) -> int:

    return len(versions(get_settings(), auth.publisher.code))
