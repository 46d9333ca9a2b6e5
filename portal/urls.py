"""Canonical IRIs and the URLs this portal is served at: one mapping, both ways.

The store holds one canonical base (``KIEMEN_BASE_URI``, ``https://w3id.org/kiemen/`` by default).
Whatever host, port and path prefix a request arrives at (behind a trusted proxy, see
:mod:`portal.proxy`), ``/id/..``, ``/def/..``, ``/graph/..``, ``/page/..`` and ``/data/..`` map to
the canonical IRI, and links go back to the host being served. Two kinds of IRI live under the
base:

* *identifiers* (``id/``, ``def/``, ``graph/``): names of things. Data, displayed identifiers
  and citations keep them canonical; links to them point at their page here.
* *web locations* (everything else: ``sparql``, ``catalog``, ``downloads/..``,
  ``.well-known/void``, the home page): where a service or a file lives. Every description the
  portal sends (VoID, DCAT, data documents) gives them at the address being served, so they
  work behind any prefix without a reload.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from flask import Flask, Response, request

from core.config import Settings

#: Path segments under the base that name things rather than locate services or files.
IDENTIFIER_SPACES = ("id/", "def/", "graph/")


def served_root() -> str:
    """The absolute URL of the portal's root for this request (scheme, host, port, prefix)."""
    return request.url_root


def is_location(settings: Settings, iri: str) -> bool:
    """Whether ``iri`` is a web location under the canonical base (see the module text)."""
    if not iri.startswith(settings.base_uri):
        return False
    return not iri[len(settings.base_uri) :].startswith(IDENTIFIER_SPACES)


def served(settings: Settings, iri: str) -> str:
    """The URL at which this request reaches an IRI under the canonical base (else the IRI)."""
    if not iri.startswith(settings.base_uri):
        return iri
    return served_root() + iri[len(settings.base_uri) :]


def localise(settings: Settings, term: Any) -> Any:
    """A term with a web location under the base moved to the address being served."""
    if isinstance(term, ox.NamedNode) and is_location(settings, term.value):
        return ox.NamedNode(served(settings, term.value))
    return term


def localise_triples(settings: Settings, triples: Iterable[Any]) -> list[Any]:
    """Triples or quads with their web locations at the served address; identifiers kept."""
    out: list[Any] = []
    for t in triples:
        s, p, o = localise(settings, t.subject), t.predicate, localise(settings, t.object)
        if isinstance(t, ox.Quad):
            out.append(ox.Quad(s, p, o, t.graph_name))
        else:
            out.append(ox.Triple(s, p, o))
    return out


# -- every URL the portal emits carries the path prefix -----------------------------------

#: Attributes whose root-relative value is a URL on this site.
_ATTR = r"""(\s(?:href|src|action|formaction|poster|data-[a-z-]+)\s*=\s*["'])"""
#: CSS ``url(/...)`` in inline styles and style sheets served by the app.
_CSS = r"""(url\(\s*["']?)"""


@functools.lru_cache(maxsize=64)
def _root_relative(prefix: str) -> re.Pattern[str]:
    """``/path`` in a URL attribute or ``url()``, unless protocol-relative or already under
    ``prefix`` (``url_for`` output)."""
    already = re.escape(prefix.lstrip("/"))
    return re.compile(rf"""(?:{_ATTR}|{_CSS})/(?![/\\]|{already}(?:[/"'?#)]))""")


def _prefix_html(text: str, prefix: str) -> str:
    return _root_relative(prefix).sub(lambda m: f"{m.group(1) or m.group(2)}{prefix}/", text)


def _prefix_json(value: Any, prefix: str, host: str) -> Any:
    """URL fields (``url``, ``*_url``, ``href``, ``page``) of a JSON answer under the prefix."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(v, str) and (k in ("url", "href", "page") or k.endswith("_url")):
                out[k] = _prefixed(v, prefix, host)
            else:
                out[k] = _prefix_json(v, prefix, host)
        return out
    if isinstance(value, list):
        return [_prefix_json(v, prefix, host) for v in value]
    return value


def _prefixed(url: str, prefix: str, host: str) -> str:
    if url.startswith("/") and not url.startswith(("//", "/\\", prefix + "/")):
        return prefix + url
    if url.startswith(host) and not url.startswith(host + prefix.lstrip("/") + "/"):
        return host + prefix.lstrip("/") + "/" + url[len(host) :]
    return url


# Blueprints whose JSON bodies are data (SPARQL results, RDF documents): returned as the engine
# wrote them, never parsed or rewritten; their links are absolute already.
_DATA_BLUEPRINTS = frozenset({"sparql", "graphstore", "linkeddata"})


def carry_prefix(response: Response) -> Response:
    """Give root-relative URLs the path prefix a trusted proxy serves the portal under.

    Views and templates may write ``/browse`` or ``/api/map``; behind ``/kiemen/`` this hook
    turns them into ``/kiemen/browse`` in HTML attributes, CSS ``url()``, JSON URL fields and
    ``Location``, so no link, asset, data URL or redirect escapes the prefix. ``url_for``
    output already carries it and is left alone. Costs nothing without a prefix.
    """
    prefix = request.script_root
    if not prefix or response.direct_passthrough or response.is_streamed:
        return response
    location = response.headers.get("Location")
    if location:
        response.headers["Location"] = _prefixed(location, prefix, request.host_url)
    mimetype = response.mimetype or ""
    if mimetype in ("text/html", "text/css", "application/xhtml+xml"):
        text = response.get_data(as_text=True)
        response.set_data(_prefix_html(text, prefix))
    elif request.blueprint in _DATA_BLUEPRINTS:
        return response
    elif mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            data = json.loads(response.get_data(as_text=True))
        except ValueError:
            return response
        fixed = _prefix_json(data, prefix, request.host_url)
        if fixed != data:
            response.set_data(json.dumps(fixed, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    app.after_request(carry_prefix)
