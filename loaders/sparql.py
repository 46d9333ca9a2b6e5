"""Harvest a remote SPARQL endpoint with CONSTRUCT queries into a named graph.

``kiemen load https://host/sparql [--mapping query.rq]`` sends the CONSTRUCT query (by default
``queries/harvest-triples.rq``) page by page — the query with ``LIMIT``/``OFFSET`` added — through
SPARQLWrapper, with a time limit per request and a few retries with back-off for timeouts,
refused connections and server errors. Each page is parsed by pyoxigraph and streamed into the
private generation, so a harvest that fails halfway leaves the store as it was. Give the query
an ``ORDER BY`` (the default has one): paging is only stable on an ordered result.

Blank nodes are scoped to one page; harvests that need them whole should use one page.
"""

from __future__ import annotations

import hashlib
import re
import socket
import time
import urllib.error
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyoxigraph as ox
from SPARQLWrapper import POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from core.config import Settings
from core.problems import LoadStats, Problem
from loaders.base import LoadError, Source, slugify
from queries import get_query

if TYPE_CHECKING:
    from core.validation.checker import Session

#: Defaults; a Source may override them in ``options`` (page_size, timeout, retries, max_pages).
PAGE_SIZE = 10_000
TIMEOUT = 30.0
RETRIES = 3
MAX_PAGES = 10_000
FILE_SUFFIXES = (".ttl", ".nt", ".nq", ".trig", ".rdf", ".xml", ".jsonld", ".json", ".csv", ".gz")


class HarvestError(Exception):
    pass


class SparqlLoader:
    name: ClassVar[str] = "sparql"
    title: ClassVar[str] = "SPARQL endpoint harvest"

    @classmethod
    def accepts(cls, source: Source) -> bool:
        loc = source.location
        if loc.startswith(("sparql+http://", "sparql+https://")):
            return True
        if (source.format or "").lower() == "sparql":
            return True
        return loc.startswith(("http://", "https://")) and not loc.split("?")[0].lower().endswith(
            FILE_SUFFIXES
        )

    @staticmethod
    def endpoint(source: Source) -> str:
        loc = source.location
        return loc[len("sparql+") :] if loc.startswith("sparql+") else loc

    def default_graph_name(self, source: Source) -> str:
        m = re.match(r"^[a-z+]+://([^/]+)(/.*)?$", self.endpoint(source))
        host = m.group(1) if m else self.endpoint(source)
        return "harvest/" + slugify(host)

    def query(self, source: Source) -> str:
        if source.mapping is None:
            return get_query("harvest-triples").text
        path = Path(source.mapping)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LoadError(
                [Problem(str(path), f"cannot read the query: {exc}", rule="query")]
            ) from exc
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        if not re.search(r"\bCONSTRUCT\b", body, re.I):
            raise LoadError(
                [Problem(str(path), "the harvest query must be a CONSTRUCT query", rule="query")]
            )
        if re.search(r"\b(LIMIT|OFFSET)\s+\d+\s*$", body.strip(), re.I):
            raise LoadError(
                [
                    Problem(
                        str(path),
                        "leave LIMIT and OFFSET out: the harvest pages the query itself",
                        rule="query",
                    )
                ]
            )
        return text

    def write(
        self,
        source: Source,
        store: ox.Store,
        graph: ox.NamedNode,
        settings: Settings,
        check: Session | None = None,
    ) -> LoadStats:
        endpoint = self.endpoint(source)
        # Comment lines go: SPARQLWrapper guesses the query form from keywords anywhere in the
        # text, and a comment that says "load" would turn the request into an update.
        query = "\n".join(
            line for line in self.query(source).splitlines() if not line.lstrip().startswith("#")
        )
        opts = source.options
        page_size = int(opts.get("page_size", PAGE_SIZE))
        timeout = float(opts.get("timeout", TIMEOUT))
        retries = int(opts.get("retries", RETRIES))
        max_pages = int(opts.get("max_pages", MAX_PAGES))
        digest = hashlib.sha256()
        pages = 0
        for page in range(max_pages):
            paged = f"{query.rstrip()}\nLIMIT {page_size}\nOFFSET {page * page_size}\n"
            try:
                body = fetch(endpoint, paged, timeout, retries)
            except HarvestError as exc:
                raise LoadError(
                    [Problem(endpoint, f"{exc} (page {page + 1})", rule="endpoint")]
                ) from exc
            digest.update(body)
            try:
                triples = list(ox.parse(body, format=ox.RdfFormat.TURTLE))
            except SyntaxError as exc:
                raise LoadError(
                    [
                        Problem(
                            endpoint,
                            f"page {page + 1} is not valid Turtle: {exc}",
                            rule="RDF syntax",
                        )
                    ]
                ) from exc
            if not triples:
                break
            pages += 1
            quads = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
            store.bulk_extend(check.through(quads) if check is not None else quads)
        else:
            raise LoadError(
                [
                    Problem(
                        endpoint,
                        f"stopped after {max_pages} pages; is the query ordered?",
                        rule="page limit",
                    )
                ]
            )
        return LoadStats(
            files=[(endpoint, digest.hexdigest())],
            notes=[f"{pages} page(s) of at most {page_size} solutions", query],
        )


def fetch(endpoint: str, query: str, timeout: float, retries: int) -> bytes:
    """One CONSTRUCT request as Turtle, with retries and back-off; raises HarvestError."""

    last = ""
    for attempt in range(retries + 1):
        sparql = SPARQLWrapper(endpoint, agent="Kiemen harvester")
        sparql.setMethod(POST)
        sparql.setQuery(query)
        sparql.setReturnFormat(TURTLE)
        sparql.setOnlyConneg(True)
        sparql.setTimeout(int(max(1, timeout)))
        try:
            result: Any = sparql.query()
            body: bytes = result.response.read()
            return body
        except urllib.error.HTTPError as exc:
            last = f"the endpoint answered HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                raise HarvestError(f"{last}: {exc.read()[:300]!r}") from exc
        except SPARQLWrapperException as exc:
            msg = str(exc).splitlines()[0]
            last = f"the endpoint refused the query: {msg}"
            if "EndPointInternalError" not in type(exc).__name__:
                raise HarvestError(last) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            last = (
                f"no answer from {endpoint} within {timeout:g} s"
                if isinstance(reason, TimeoutError | socket.timeout)
                else f"cannot reach {endpoint}: {reason}"
            )
        if attempt < retries:
            time.sleep(min(8.0, 0.25 * 2**attempt))
    raise HarvestError(f"{last}; gave up after {retries + 1} tries")
