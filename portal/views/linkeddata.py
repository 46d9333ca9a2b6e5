"""Linked data: dereferenceable URIs, resource pages, data documents, dumps, VoID, catalogue.

URI scheme (under ``KIEMEN_BASE_URI``; cool URIs, no extensions or query strings for things):

* ``/id/{kind}/{slug}``, ``/def/{scheme}[/{concept}]`` and ``/graph/{name}`` answer
  ``303 See Other`` to ``/page/{path}`` (HTML) or ``/data/{path}.{ext}`` (ttl, jsonld, nt, rdf,
  trig, nq), chosen by content negotiation (:mod:`portal.conneg`); ``?format=`` overrides the
  Accept header; ``Vary: Accept``; 406 lists what is available; 404 for IRIs the graph does not
  describe. ``/def/`` itself, the ontology, belongs to the codebook.
* ``/downloads/`` explains the dumps that ``kiemen export`` writes and serves them;
  ``/.well-known/void`` and ``/catalog`` (DCAT-AP-NL) describe the dataset; ``/sitemap.xml``
  and ``/robots.txt`` guide crawlers.

IRIs stay canonical (``KIEMEN_BASE_URI``); a request at any host, port or prefix maps to them
and links lead back to the address being served (:mod:`portal.urls`). Absolute URLs are built
from the request, which :mod:`portal.proxy` corrects behind a declared trusted proxy.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

import pyoxigraph as ox
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue

from core import formats
from core.licence import LICENCE, LICENCE_NAME, link_header
from core.write import dumps
from core.write.dumps import (
    KIND_BY_KEY,
    KINDS,
    MANIFEST,
    being_prepared,
    dumps_dir,
    latest_release,
    read_manifest,
    ready,
)
from portal import conneg
from portal.catalogue import descriptions
from portal.db import get_settings, get_store
from portal.i18n import current_lang
from portal.moved import moved_to
from portal.rdfdocs import rdf_response, serialize
from portal.resource import Term, describe, exists, iri_for_path, page_path, schema_org
from portal.urls import is_location, localise_triples, served
from portal.wiring import wiring
from publishing.licensing import licence_for

bp = Blueprint("linkeddata", __name__)

#: What a thing's URI can be negotiated to: a page or one of the data formats.
NEGOTIABLE: tuple[formats.Format, ...] = (formats.HTML, *formats.DOCUMENT_FORMATS)
TURTLE = formats.RDF_FORMATS[0]
#: URLs per sitemap file (the sitemaps.org limit).
SITEMAP_LIMIT = 50_000
_KIND = re.compile(r"[a-z0-9][a-z0-9-]*")
#: Media types of the files under /downloads/ by suffix (gzip stays gzip: checksums hold).
DOWNLOAD_TYPES = {
    ".gz": "application/gzip",
    ".csv": "text/csv",
    ".sha256": "text/plain",
    ".json": "application/json",
}


def init_app(app: Flask) -> None:

    app.jinja_env.globals.update(ld_href=ld_href, human_size=human_size)
    dumps.init_app(app)


# -- helpers ------------------------------------------------------------------------------


def ld_href(term: Term | str) -> str:
    """Where a link to an IRI goes: its page here when this portal serves it, else the IRI."""

    iri = term if isinstance(term, str) else term.value
    path = page_path(get_settings(), iri)
    if path:
        return url_for("linkeddata.page", path=path)
    settings = get_settings()
    if iri == settings.def_ns and "codebook.codebook" in current_app.view_functions:
        return url_for("codebook.codebook")
    if is_location(settings, iri):
        return served(settings, iri)
    return iri


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def _source(iri: str) -> tuple[bool, ox.Store | None]:
    """Whether the IRI is described, and where: the data (None) or the dataset descriptions."""
    kstore = get_store()
    if exists(kstore, iri):
        return True, None
    described = descriptions(kstore, dumps_dir(get_settings()))
    if exists(kstore, iri, store=described.store):
        return True, described.store
    return False, None


def _moved(iri: str, endpoint: str, **values: str) -> Response | None:
    """``301`` to ``endpoint`` for the IRI's new home, when ``iri`` was renamed."""
    new = moved_to(get_store(), iri)
    if new is None:
        return None
    if endpoint == "linkeddata.thing":
        values["kind"], _, values["slug"] = new.partition("/")
    else:
        values["path"] = new + values.pop("suffix", "")
    if request.args.get("lang"):
        values["lang"] = request.args["lang"]
    target = url_for(endpoint, _external=True, **values)
    response = Response(f"301 Moved Permanently: {target}\n", status=301, mimetype="text/plain")
    response.headers["Location"] = target
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _valid_path(path: str) -> bool:
    return bool(path) and not any(c in path for c in '?#\\ <>"') and ".." not in path.split("/")


def _not_found(iri: str) -> Response:
    body = f"Not Found: the graph says nothing about <{iri}>\n"
    if (
        conneg.negotiate(
            request,
            (formats.HTML, formats.by_key("nt", formats.RDF_FORMATS) or TURTLE),
            default=formats.HTML,
        )
        is formats.HTML
    ):
        html = render_template("resource.html", resource=None, iri=iri)
        return Response(html, status=404, mimetype="text/html")
    return Response(body, status=404, mimetype="text/plain")


def _not_acceptable(offered: Sequence[formats.Format]) -> Response:
    response = Response(
        conneg.not_acceptable_body(offered) + "\n", status=406, mimetype="text/plain"
    )
    response.headers["Vary"] = "Accept"
    return response


def _int_arg(name: str, default: int = 1) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 1 else None


# -- dereferencing ------------------------------------------------------------------------


@bp.route("/id/<kind>/<path:slug>")
def thing(kind: str, slug: str) -> ResponseReturnValue:
    if kind in ("def", "graph"):
        return _not_found(get_settings().id_ns + f"{kind}/{slug}")
    return _see_other(f"{kind}/{slug}")


@bp.route("/def/<path:rest>")
def definition(rest: str) -> ResponseReturnValue:
    return _see_other(f"def/{rest}")


@bp.route("/graph/<path:name>")
def named_graph(name: str) -> ResponseReturnValue:
    return _see_other(f"graph/{name}")


def _see_other(path: str) -> ResponseReturnValue:
    settings = get_settings()
    iri = iri_for_path(settings, path)
    if not _valid_path(path):
        return _not_found(iri)
    if path.startswith("place/") and (moved := _moved(iri, "linkeddata.thing")):
        return moved
    fmt = conneg.negotiate(request, NEGOTIABLE, default=formats.HTML)
    if fmt is None:
        return _not_acceptable(NEGOTIABLE)
    found, _store = _source(iri)
    if not found:
        response = _not_found(iri)
        response.headers["Vary"] = "Accept"
        return response
    if fmt is formats.HTML:
        args = {"lang": request.args["lang"]} if request.args.get("lang") else {}
        target = url_for("linkeddata.page", path=path, _external=True, **args)
    else:
        target = url_for("linkeddata.data", path=f"{path}.{fmt.key}", _external=True)
    response = Response(f"303 See Other: {target}\n", status=303, mimetype="text/plain")
    response.headers["Location"] = target
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/page/<path:path>")
def page(path: str) -> ResponseReturnValue:
    settings = get_settings()
    iri = iri_for_path(settings, path)
    if not _valid_path(path):
        return _not_found(iri)
    if path.startswith("place/") and (moved := _moved(iri, "linkeddata.page")):
        return moved
    found, store = _source(iri)
    if not found:
        return _not_found(iri)
    incoming_page = _int_arg("incoming")
    if incoming_page is None:
        return Response(
            "incoming must be a whole number from 1\n", status=400, mimetype="text/plain"
        )
    rel = request.args.get("rel") or None
    lang = current_lang()
    kstore = get_store()
    resource = describe(
        kstore, iri, lang, incoming_page=incoming_page, incoming_property=rel, store=store
    )
    kind = resource.kind
    names = [f"kinds/{kind}.html", "resource.html"] if _KIND.fullmatch(kind) else ["resource.html"]
    template = current_app.jinja_env.select_template(names)
    provider = wiring().kind_context.get(kind)
    extra = provider(kstore, iri, lang) if provider is not None else None
    canonical = url_for("linkeddata.page", path=path, _external=True)
    licence = licence_for(settings, iri)
    alternates = [
        (fmt, url_for("linkeddata.data", path=f"{path}.{fmt.key}", _external=True))
        for fmt in formats.DOCUMENT_FORMATS
    ]
    html = render_template(
        template,
        resource=resource,
        iri=iri,
        extra=extra,
        canonical=canonical,
        alternates=alternates,
        jsonld=schema_org(settings, resource, canonical),
        graph_contents=url_for("graphstore.indirect", graph=iri)
        if resource.kind == "graph" and "graphstore.indirect" in current_app.view_functions
        else None,
        licence_url=licence.url,
        licence_name=licence.name,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Link"] = ", ".join(
        [f'<{canonical}>; rel="canonical"', licence.link_header()]
        + [f'<{url}>; rel="alternate"; type="{fmt.media_type}"' for fmt, url in alternates]
    )
    return response


@bp.route("/data/<path:path>")
def data(path: str) -> ResponseReturnValue:
    settings = get_settings()
    stem, dot, ext = path.rpartition(".")
    fmt = formats.by_key(ext, formats.DOCUMENT_FORMATS) if dot and stem else None
    if fmt is None or not _valid_path(stem):
        return Response(
            "Not Found. Data documents end in one of: "
            + ", ".join(f".{f.key} ({f.media_type})" for f in formats.DOCUMENT_FORMATS)
            + "\n",
            status=404,
            mimetype="text/plain",
        )
    iri = iri_for_path(settings, stem)
    if stem.startswith("place/") and (moved := _moved(iri, "linkeddata.data", suffix=f".{ext}")):
        return moved
    found, store = _source(iri)
    if not found:
        return Response(
            f"Not Found: the graph says nothing about <{iri}>\n", status=404, mimetype="text/plain"
        )
    incoming_page = _int_arg("page")
    if incoming_page is None:
        return Response("page must be a whole number from 1\n", status=400, mimetype="text/plain")
    resource = describe(
        get_store(),
        iri,
        "en",
        incoming_page=incoming_page,
        page_size=settings.max_page_size,
        store=store,
    )
    links = [
        f'<{url_for("linkeddata.page", path=stem, _external=True)}>; rel="alternate"; '
        'type="text/html"',
        f'<{iri}>; rel="describes"',
    ]
    if resource.has_next_incoming:
        nxt = url_for("linkeddata.data", path=path, page=incoming_page + 1, _external=True)
        links.append(f'<{nxt}>; rel="next"')
    if incoming_page > 1:
        prev = url_for("linkeddata.data", path=path, page=incoming_page - 1, _external=True)
        links.append(f'<{prev}>; rel="prev"')
    quads = localise_triples(settings, resource.quads)
    licence = licence_for(settings, iri).link_header()
    return rdf_response(serialize(quads, fmt), fmt, links, licence=licence)


# -- VoID and the catalogue ---------------------------------------------------------------


@bp.route("/.well-known/void")
def void() -> ResponseReturnValue:
    described = descriptions(get_store(), dumps_dir(get_settings()))
    return _document(described.void, "ld.void.title", "linkeddata.void")


@bp.route("/catalog")
def catalog() -> ResponseReturnValue:
    described = descriptions(get_store(), dumps_dir(get_settings()))
    return _document(described.catalogue, "ld.catalog.title", "linkeddata.catalog")


def _document(triples: list[ox.Triple], title_key: str, endpoint: str) -> ResponseReturnValue:
    """A description served in every RDF format, or as a readable page to browsers.

    Its web locations (endpoint, dumps, catalogue) are given at the address being served.
    """
    triples = localise_triples(get_settings(), triples)
    offered = (*formats.RDF_FORMATS, formats.HTML)
    fmt = conneg.negotiate(request, offered, default=TURTLE)
    if fmt is None:
        return _not_acceptable(offered)
    if fmt is formats.HTML:
        html = render_template(
            "rdfdoc.html",
            title_key=title_key,
            turtle=serialize(triples, TURTLE).decode("utf-8"),
            formats=[
                (f, url_for(endpoint, format=f.key, _external=True)) for f in formats.RDF_FORMATS
            ],
        )
        response = Response(html, mimetype="text/html")
    else:
        response = rdf_response(serialize(triples, fmt), fmt)
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Accept" if vary else "Accept"
    return response


# -- downloads ----------------------------------------------------------------------------


@bp.route("/downloads/")
def downloads() -> ResponseReturnValue:
    settings = get_settings()
    folder = dumps_dir(settings)
    latest = latest_release(folder)
    older = [
        r
        for r in read_manifest(folder).get("releases", [])
        if latest is None or r.get("release") != latest.get("release")
        if all((folder / f["file"]).is_file() for f in r.get("files", []))
    ]
    files = []
    if latest:
        for f in latest.get("files", []):
            kind = KIND_BY_KEY.get(f.get("key", ""))
            if kind is not None:
                files.append(
                    {**f, "kind": kind, "url": url_for("linkeddata.download", filename=f["file"])}
                )
    generation = get_store().generation_id()
    preparing = generation is not None and not ready(folder, generation)
    if preparing and current_app.config.get("KIEMEN_AUTO_DUMPS"):
        current_app.extensions["kiemen_dumps_start"]()
    html = render_template(
        "downloads.html",
        preparing=preparing
        and (being_prepared(folder) or current_app.config.get("KIEMEN_AUTO_DUMPS")),
        latest=latest,
        files=files,
        older=older,
        kinds=KINDS,
        void_url=url_for("linkeddata.void"),
        catalog_url=url_for("linkeddata.catalog"),
        sparql_url=url_for("sparql.endpoint")
        if "sparql.endpoint" in current_app.view_functions
        else None,
        query_url=url_for("sparql.query_page")
        if "sparql.query_page" in current_app.view_functions
        else None,
        licence_url=LICENCE,
        licence_name=LICENCE_NAME,
        dataset_page=url_for("linkeddata.page", path="dataset/kiemen"),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Link"] = link_header()
    if preparing:  # passing state, not in the manifest: never kept by the page cache
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/downloads/<path:filename>")
def download(filename: str) -> ResponseReturnValue:
    folder = dumps_dir(get_settings())
    known = {MANIFEST}
    for release in read_manifest(folder).get("releases", []):
        known.add(f"kiemen-{release.get('release')}.sha256")
        known.update(f["file"] for f in release.get("files", []))
    if filename not in known or not (folder / filename).is_file():
        return Response(
            f"Not Found: no download named {filename}\n", status=404, mimetype="text/plain"
        )
    suffix = "." + filename.rsplit(".", 1)[-1]
    response = send_from_directory(
        folder,
        filename,
        mimetype=DOWNLOAD_TYPES.get(suffix),
        as_attachment=suffix in (".gz", ".csv"),
        max_age=3600,
    )
    response.headers["Link"] = link_header()
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# -- crawlers -----------------------------------------------------------------------------


@bp.route("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask for /favicon.ico whatever the page says; pages also name the SVG."""
    response = send_from_directory(
        current_app.static_folder or "static", "favicon.ico", mimetype="image/x-icon", max_age=86400
    )
    return response


@bp.route("/robots.txt")
def robots() -> ResponseReturnValue:
    lines = [
        "User-agent: *",
        "Disallow: /sparql",
        "Disallow: /query",
        "Disallow: /store",
        "Allow: /",
        "",
        f"Sitemap: {url_for('linkeddata.sitemap', _external=True)}",
        "",
    ]
    return Response("\n".join(lines), mimetype="text/plain")


def _sitemap_paths() -> Iterable[str]:

    settings = get_settings()
    for row in get_store().run("sitemap-resources"):
        path = page_path(settings, row["s"].value)
        if path:
            yield path


@bp.route("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    fixed = [url_for("home.index", _external=True), url_for("linkeddata.downloads", _external=True)]
    if "codebook.codebook" in current_app.view_functions:
        fixed.append(url_for("codebook.codebook", _external=True))
    fixed.append(url_for("linkeddata.page", path="dataset/kiemen", _external=True))
    paths = list(itertools.islice(_sitemap_paths(), SITEMAP_LIMIT + 1))
    if len(fixed) + len(paths) <= SITEMAP_LIMIT:
        urls = fixed + [url_for("linkeddata.page", path=p, _external=True) for p in paths]
        return _urlset(urls)
    total = sum(1 for _ in _sitemap_paths())
    parts = -(-total // SITEMAP_LIMIT)
    body = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for n in range(parts + 1):
        loc = url_for("linkeddata.sitemap_part", n=n, _external=True)
        body.append(f"  <sitemap><loc>{escape(loc)}</loc></sitemap>")
    body.append("</sitemapindex>")
    return Response("\n".join(body) + "\n", mimetype="application/xml")


@bp.route("/sitemap-<int:n>.xml")
def sitemap_part(n: int) -> ResponseReturnValue:
    """Part ``n`` of a large sitemap: part 0 holds the fixed pages, the others the things."""
    if n == 0:
        return _urlset(
            [url_for("home.index", _external=True), url_for("linkeddata.downloads", _external=True)]
        )
    start = (n - 1) * SITEMAP_LIMIT
    paths = list(itertools.islice(_sitemap_paths(), start, start + SITEMAP_LIMIT))
    if not paths:
        return Response("Not Found\n", status=404, mimetype="text/plain")
    return _urlset([url_for("linkeddata.page", path=p, _external=True) for p in paths])


def _urlset(urls: list[str]) -> Response:
    body = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    body += [f"  <url><loc>{escape(u)}</loc></url>" for u in urls]
    body.append("</urlset>")
    return Response("\n".join(body) + "\n", mimetype="application/xml")
