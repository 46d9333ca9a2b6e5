"""The public SPARQL endpoint (``/sparql``, SPARQL 1.1 Protocol) and its query page (``/query``).

Queries are read-only and open to all; the dataset's default graph is the union of all named
graphs. Updates need a bearer token whose graphs cover everything the update writes. Every query
runs in a worker process under the time limit (see :mod:`core.sparql.engine`).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from flask import (
    Blueprint,
    Flask,
    Response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import CombinedMultiDict, MIMEAccept, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from core import formats
from core.sparql.engine import Job, Outcome
from core.sparql.text import SparqlTextError, has_from, scan, valid_iri
from core.store import StoreError
from core.vocab import SD
from portal import conneg, external_sparql
from portal.db import get_store
from portal.i18n import current_lang, text_in
from portal.sparql_service import (
    Service,
    add_cors,
    bearer,
    body_too_large,
    client_id,
    error_response,
    get_service,
    init_service,
    media_key,
    outcome_response,
    preflight,
    run_limited,
    text_too_long,
    too_large,
)
from queries import catalogue

bp = Blueprint("sparql", __name__)
log = logging.getLogger(__name__)

METHODS = "GET, POST, OPTIONS"
#: The example the query page opens on (any stored query with ``# example: true``).
OPENING_EXAMPLE = "stats-by-form"
JSON_RESULTS = formats.by_key("json", formats.RESULTS_FORMATS)
TURTLE = formats.by_key("ttl", formats.RDF_FORMATS)

FORMATS_NS = "http://www.w3.org/ns/formats/"
RESULT_FORMAT_IRIS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
    "TriG",
    "N-Quads",
)


def init_app(app: Flask) -> None:
    init_service(app)


@bp.after_request
def _cors(response: Response) -> Response:
    return add_cors(response)


# -- the endpoint ---------------------------------------------------------------------------------


@bp.route("/sparql/", methods=["GET", "POST", "OPTIONS"], endpoint="endpoint_slash")
@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def endpoint() -> ResponseReturnValue:
    if request.method == "OPTIONS":
        return preflight(METHODS)
    if request.method == "GET":
        return _get()
    too_big = body_too_large()
    if too_big is not None:
        return too_big
    mimetype = media_key(request.content_type)
    try:
        if mimetype == "application/x-www-form-urlencoded":
            return _post_form()
        if mimetype in ("application/sparql-query", "application/sparql-update"):
            return _post_body(mimetype)
    except RequestEntityTooLarge:
        return too_large()
    return error_response(
        415,
        "POST a query as application/x-www-form-urlencoded (query=…) or as "
        "application/sparql-query; an update as update=… or application/sparql-update",
    )


def _get() -> ResponseReturnValue:
    args = request.args
    if "update" in args:
        return error_response(400, "send updates with POST, never with GET")
    queries = args.getlist("query")
    if not queries:
        return service_description()
    if len(queries) > 1:
        return error_response(400, "give exactly one query parameter")
    if _negotiated().wants_html and "format" not in args:
        # a person following a link: the query page, with this query in the editor
        return redirect(url_for("sparql.query_page", query=queries[0]), code=303)
    return _query(queries[0], args)


def _post_form() -> ResponseReturnValue:
    form = request.form
    queries, updates = form.getlist("query"), form.getlist("update")
    if len(queries) + len(updates) != 1:
        return error_response(400, "give exactly one query or one update parameter")
    params = CombinedMultiDict([request.args, form])
    if queries:
        return _query(queries[0], params)
    return _update(updates[0], params)


def _post_body(mimetype: str) -> ResponseReturnValue:
    charset = (request.mimetype_params.get("charset") or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return error_response(415, "SPARQL bodies must be UTF-8 (charset=utf-8)")
    if "query" in request.args or "update" in request.args:
        return error_response(400, "the query is in the body; do not repeat it in the URL")
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        return error_response(400, "the body is not valid UTF-8")
    if mimetype == "application/sparql-query":
        return _query(text, request.args)
    return _update(text, request.args)


def _dataset_error(params: MultiDict[str, str], *names: str) -> Response | None:
    """400 for a dataset parameter that is not an absolute IRI (they reach the engine as data)."""
    for name in names:
        for value in params.getlist(name):
            if not valid_iri(value):
                return error_response(400, f"{name} must be an absolute IRI, got {value[:200]!r}")
    return None


def _query(text: str, params: MultiDict[str, str]) -> Response:
    too_long = text_too_long(text)
    if too_long is not None:
        return too_long
    bad = _dataset_error(params, "default-graph-uri", "named-graph-uri")
    if bad is not None:
        return bad
    return query_response(
        get_service(),
        text,
        Plain(_negotiated(), _urls(), request.accept_mimetypes, client_id()),
        params.getlist("default-graph-uri"),
        params.getlist("named-graph-uri"),
    )


@dataclass(frozen=True)
class Negotiated:
    """What the Accept header (and ``?format=``) chose: remembered per pair of them."""

    wants_html: bool
    results: formats.Format | None
    rdf: formats.Format | None


@dataclass(frozen=True)
class Plain:
    """What a query's answer needs of its request (the fast path has no request context)."""

    negotiated: Negotiated
    urls: tuple[str, str]
    accept: MIMEAccept
    client: str


def query_response(
    service: Service,
    text: str,
    plain: Plain,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Response:
    """A query's answer, under every limit: the Flask view's path (see :func:`query_result`)."""
    found = query_result(service, text, plain, default_graphs, named_graphs)
    return found if isinstance(found, Response) else outcome_response(found, plain.accept)


def query_result(
    service: Service,
    text: str,
    plain: Plain,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Outcome | Response:
    """A query's outcome under every limit, or the refusal made before it ran: the one path of
    both the Flask view and the WSGI fast path (:mod:`portal.sparql_fast`)."""
    job = query_job(service, text, plain, default_graphs, named_graphs)
    if isinstance(job, Response):
        return job
    # -- deploy hook (issue 16): an external SPARQL endpoint answers instead of the embedded
    # store, within the same limits and formats; see portal/external_sparql.py.
    if service.settings.sparql_endpoint:
        return external_sparql.run_limited(job)
    return run_limited(job, service, plain.client)


def query_job(
    service: Service,
    text: str,
    plain: Plain,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Job | Response:
    """The job a query text makes, or the refusal made before anything runs (length cap before
    parsing, an empty text, a bad dataset clause, no acceptable format)."""
    accept = plain.accept
    too_long = text_too_long(text, service, accept)
    if too_long is not None:
        return too_long
    if not text.strip():
        return error_response(400, "the query is empty", accept=accept)
    try:
        has_from = _has_from(text)
    except SparqlTextError as exc:
        return error_response(400, str(exc), accept=accept)
    results_fmt, rdf_fmt = plain.negotiated.results, plain.negotiated.rdf
    if results_fmt is None and rdf_fmt is None:
        return error_response(
            406,
            conneg.not_acceptable_body([*formats.RESULTS_FORMATS, *formats.RDF_FORMATS]),
            accept=accept,
        )
    dataset = bool(default_graphs or named_graphs)
    return Job(
        kind="query",
        text=text,
        default_graphs=default_graphs if dataset else None,
        named_graphs=named_graphs if dataset else None,
        query_has_dataset=has_from,
        results_format=results_fmt.key if results_fmt else None,
        rdf_format=rdf_fmt.key if rdf_fmt else None,
        max_rows=service.settings.max_rows,
        base_iri=plain.urls[0],
        link=plain.urls[1],
    )


def _update(text: str, params: MultiDict[str, str]) -> Response:
    too_long = text_too_long(text)
    if too_long is not None:
        return too_long
    token, refusal = bearer()
    if refusal is not None:
        return refusal
    assert token is not None
    if not text.strip():
        return error_response(400, "the update is empty")
    bad = _dataset_error(params, "using-graph-uri", "using-named-graph-uri")
    if bad is not None:
        return bad
    using = params.getlist("using-graph-uri")
    using_named = params.getlist("using-named-graph-uri")
    try:
        plan = scan(text)
        if (using or using_named) and plan.has_dataset_clause:
            return error_response(
                400, "give the dataset either with using-graph-uri parameters or with USING/WITH"
            )
        text = plan.with_using(text, using, using_named)
    except SparqlTextError as exc:
        return error_response(400, str(exc))
    # What the update may change is decided by the worker from what it did change.
    job = Job(
        kind="update",
        text=text,
        base_iri=_endpoint_iri(),
        grants=token.graphs,
        token_id=token.id,
        token_name=token.note,
    )
    return outcome_response(run_limited(job))


def _endpoint_iri() -> str:
    return _urls()[0]


def _limits_link() -> str:
    return _urls()[1]


def _urls() -> tuple[str, str]:
    """The endpoint's IRI and its limits link, built once per URL root (host, scheme, prefix).

    ``url_for`` costs more than a cheap query's other Python; the answer depends only on the
    request's root, so it is kept per root (a bounded map: the Host header is the client's).
    """
    cache = get_service().url_cache
    root = request.url_root
    urls = cache.get(root)
    if urls is None:
        urls = (
            url_for("sparql.endpoint", _external=True),
            url_for("sparql.query_page", _external=True) + "#limits",
        )
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[root] = urls
    return urls


#: Entries of each per-request memo below; a full memo is emptied, never grown.
_CACHE_SIZE = 256
#: Longest query text whose scan is remembered (longer ones are rare and scanned each time).
_SCAN_MEMO_CHARS = 4096
_NEGOTIATED: dict[tuple[str | None, str | None], Negotiated] = {}
_SCANNED: dict[str, bool] = {}


def _negotiated() -> Negotiated:
    """This request's formats, negotiated once per (format, Accept)."""
    key = (request.args.get("format"), request.headers.get("Accept"))
    found = _NEGOTIATED.get(key)
    if found is None:
        found = Negotiated(
            _wants_html(),
            conneg.negotiate(request, formats.RESULTS_FORMATS, default=JSON_RESULTS),
            conneg.negotiate(request, formats.RDF_FORMATS, default=TURTLE),
        )
        if len(_NEGOTIATED) >= _CACHE_SIZE:
            _NEGOTIATED.clear()
        _NEGOTIATED[key] = found
    return found


def negotiated_before(accept: str | None) -> Negotiated | None:
    """What a request without ``?format=`` and with this Accept header negotiated before, if one
    did (the fast path answers only what the Flask view has negotiated once)."""
    return _NEGOTIATED.get((None, accept))


def _has_from(text: str) -> bool:
    """Whether the query names its own dataset; the scan (which also refuses too deep nesting,
    raising SparqlTextError, never memoised) is remembered for short texts: public endpoints
    see the same queries again and again."""
    found = _SCANNED.get(text)
    if found is None:
        found = has_from(text)
        if len(text) <= _SCAN_MEMO_CHARS:
            if len(_SCANNED) >= _CACHE_SIZE * 4:
                _SCANNED.clear()
            _SCANNED[text] = found
    return found


def _wants_html() -> bool:
    accept = request.accept_mimetypes
    if not any(value in ("text/html", "application/xhtml+xml") for value, _q in accept):
        return False
    data = [f.media_type for f in (*formats.RDF_FORMATS, *formats.RESULTS_FORMATS)]
    best = accept.best_match(["text/html", *data])
    return best == "text/html"


def service_description() -> ResponseReturnValue:
    """SPARQL 1.1 Service Description of this endpoint (HTML clients go to the query page)."""
    if _wants_html() and "format" not in request.args:
        return redirect(url_for("sparql.query_page"), code=303)
    fmt = conneg.negotiate(request, formats.RDF_FORMATS, default=TURTLE)
    if fmt is None or fmt.rdf is None:
        return error_response(406, conneg.not_acceptable_body(formats.RDF_FORMATS))
    service = get_service()
    node = ox.NamedNode(_endpoint_iri())

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    triples = [
        ox.Triple(node, rdf_type, sd("Service")),
        ox.Triple(node, sd("endpoint"), node),
        ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Update")),
        ox.Triple(node, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(node, sd("feature"), sd("EmptyGraphs")),
    ]
    triples += [
        ox.Triple(node, sd("resultFormat"), ox.NamedNode(FORMATS_NS + name))
        for name in RESULT_FORMAT_IRIS
    ]
    title = ox.NamedNode("http://purl.org/dc/terms/title")
    comment = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
    limits = {
        "timeout": f"{service.settings.query_timeout:g}",
        "rows": str(service.settings.max_rows),
        "concurrent": str(service.settings.max_concurrent_per_client),
        "body": str(service.settings.max_body_bytes),
    }
    for lang in ("en", "nl"):
        triples.append(
            ox.Triple(
                node,
                title,
                ox.Literal(text_in(lang, "sparql.service.title"), language=lang),
            )
        )
        triples.append(
            ox.Triple(
                node,
                comment,
                ox.Literal(text_in(lang, "sparql.limits.text", **limits), language=lang),
            )
        )
    triples.append(
        ox.Triple(
            node,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
            ox.NamedNode(url_for("sparql.query_page", _external=True)),
        )
    )
    dataset = ox.BlankNode()
    default_graph = ox.BlankNode()
    triples += [
        ox.Triple(node, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, rdf_type, sd("Graph")),
    ]
    for graph in sorted(get_store().reader().named_graphs(), key=str):
        if not isinstance(graph, ox.NamedNode):
            continue
        entry = ox.BlankNode()
        triples += [
            ox.Triple(dataset, sd("namedGraph"), entry),
            ox.Triple(entry, rdf_type, sd("NamedGraph")),
            ox.Triple(entry, sd("name"), graph),
        ]
    prefixes = {"sd": SD, "formats": FORMATS_NS, "dcterms": "http://purl.org/dc/terms/"}
    try:
        body = ox.serialize(triples, format=fmt.rdf, prefixes=prefixes) or b""
    except (TypeError, ValueError):
        body = ox.serialize(triples, format=fmt.rdf) or b""
    response = Response(body, mimetype=fmt.media_type)
    response.headers["Vary"] = "Accept"
    return response


# -- the query page -------------------------------------------------------------------------------


def _example_text(text: str) -> str:
    """A stored query as shown in the editor: its header replaced by the title as a comment."""
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"


_LANG_MARKER = re.compile(r"^[ \t]*#[ \t]*@values[ \t]+\?lang[ \t]*$", re.M)


def examples(lang: str) -> list[dict[str, str]]:
    store = get_store()
    out = []
    for q in catalogue().values():
        if not q.example:
            continue
        body = store.rebase_text(_example_text(q.text))
        if any(p.name == "lang" and p.type == "lang" for p in q.parameters):
            # Labels in the page's language: the example binds ?lang (issue #17 item 8).
            body = _LANG_MARKER.sub(f'  VALUES ?lang {{ "{lang}" }}', body)
        out.append(
            {
                "name": q.name,
                "title": q.label(lang),
                "description": q.about(lang),
                "query": f"# {q.label(lang)}\n{body}",
            }
        )
    return out


def _vocabulary() -> tuple[list[str], list[str]]:
    """Class and property IRIs of the ontology, for the editor's autocompletion."""
    classes: list[str] = []
    properties: list[str] = []
    store = get_store()
    for name, target in (("codebook-classes", classes), ("codebook-properties", properties)):
        try:
            target += sorted({str(r["term"]) for r in store.rows(name) if r.get("term")})
        except (OSError, RuntimeError, StoreError):  # no ontology yet: only no suggestions
            log.warning("no %s for the query editor", name, exc_info=True)
    return classes, properties


@bp.route("/query")
def query_page() -> str:
    service = get_service()
    lang = current_lang()
    items = examples(lang)
    chosen = request.args.get("example") or OPENING_EXAMPLE
    initial = next((e for e in items if e["name"] == chosen), items[0] if items else None)
    classes, properties = _vocabulary()
    prefix_lines = "".join(
        f"PREFIX {p}: <{iri}>\n"
        for p, iri in service.prefixes.items()
        if p in ("km", "skos", "rdfs", "dcterms", "prov")
    )
    config: dict[str, Any] = {
        "endpoint": _endpoint_iri(),
        "examples": items,
        "initial": initial["name"] if initial else None,
        "defaultQuery": initial["query"]
        if initial
        else prefix_lines + "SELECT * WHERE {\n  ?s ?p ?o\n} LIMIT 10\n",
        "prefixes": service.prefixes,
        "classes": classes,
        "properties": properties,
        "lang": lang,
        "texts": {
            "editor": text_in(lang, "sparql.editor"),
            "endpoint": text_in(lang, "sparql.endpoint"),
        },
    }
    limits = {
        "timeout": f"{service.settings.query_timeout:g}",
        "rows": service.settings.max_rows,
        "concurrent": service.settings.max_concurrent_per_client,
        "body": service.settings.max_body_bytes,
    }
    safe = re.sub(r"</", r"<\\/", json.dumps(config, ensure_ascii=False))
    return render_template(
        "sparql.html", config_json=safe, examples=items, initial=initial, limits=limits
    )
