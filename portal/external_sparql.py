"""``/sparql`` queries answered by an external SPARQL 1.1 endpoint (``KIEMEN_SPARQL_ENDPOINT``).

For deployments that keep the data in a big triple store (filled with ``kiemen push``): the
portal stays the public face, with the same checks, limits and result formats as the embedded
store, and the external endpoint does the work.

* Same limits: the per-client concurrency limit (429), the time limit
  (``KIEMEN_QUERY_TIMEOUT``, 503 with the same text; the connection is closed, so the answer is
  never read past it), the row limit (``KIEMEN_MAX_ROWS``, the answer is read only up to it and
  marked truncated exactly as the embedded store marks it) and a byte cap on what is read.
* Same formats: the external answer is asked for in a standard format (SPARQL JSON results,
  N-Triples), parsed as a stream and written again by the writers the embedded store uses, in
  whatever format the client negotiated.
* Updates are not sent out: they go through the embedded store's write path (authorisation,
  validation, versions); ``kiemen push`` then brings the external store up to date.

The external store should answer queries without a dataset over the union of its named graphs
(``oxigraph serve --union-default-graph``; Virtuoso does so by default), as the embedded one does.
It should not be able to open outbound connections either (SERVICE): give it no egress.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pyoxigraph as ox
import requests

from core.config import Settings
from core.formats import RDF_FORMATS, RESULTS_FORMATS, by_key
from core.sparql import results as sparql_results
from core.sparql.engine import TRUNCATED_HEADER, Job, Outcome, media, not_acceptable
from core.sparql.text import SparqlTextError, scan
from portal.sparql_service import client_id, get_service

#: What we ask for, by query form: standard formats every server writes the same way
#: (Virtuoso's TSV, for one, quotes IRIs as strings) and that pyoxigraph parses as a stream.
ACCEPT_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.5"
ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5"
#: Most bytes read from one external answer (the row limit usually stops far earlier).
MAX_ANSWER_BYTES = 256 * 1024 * 1024
_TIMEOUT_TEXT = (
    "the query ran longer than the time limit of {t:g} s and was stopped; make it more "
    "selective or add a LIMIT"
)
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword after the prologue.

    Only chooses what to ask the external endpoint for; a wrong guess yields a 502, never
    more access (the external endpoint parses the query itself).
    """
    try:
        return scan(text).form
    except SparqlTextError:
        return None


#: Virtuoso labels blank nodes ``nodeID://b1``, which is no blank node label in SPARQL JSON or
#: XML results; only a bnode's value is rewritten (to ``b1``), never a literal.
_VIRTUOSO_BNODE = re.compile(rb'((?:"type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*"|<bnode>))nodeID://')
_CARRY = 96


class _Capped(io.RawIOBase):
    """The answer's body as a file for pyoxigraph's streaming parsers, stopped at the
    deadline and at the byte cap."""

    def __init__(self, response: requests.Response, deadline: float, timeout: float) -> None:
        self._raw = response.raw
        self._raw.decode_content = True
        self._deadline = deadline
        self._timeout = timeout
        self._read = 0
        #: Why reading stopped early (the parser sees only an OSError).
        self.stopped: Outcome | None = None
        self._ready = bytearray()
        self._carry = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._ready and not self._eof:
            self._fill()
        n = min(len(buffer), len(self._ready))
        buffer[:n] = self._ready[:n]
        del self._ready[:n]
        return n

    def _fill(self) -> None:
        if time.monotonic() > self._deadline:
            self.stopped = Outcome.fail(503, _TIMEOUT_TEXT.format(t=self._timeout))
            raise OSError(self.stopped.error)
        data = self._raw.read(65536)
        self._read += len(data)
        if self._read > MAX_ANSWER_BYTES:
            too_big = f"the external endpoint's answer is over {MAX_ANSWER_BYTES} bytes"
            self.stopped = Outcome.fail(502, too_big)
            raise OSError(too_big)
        self._eof = not data
        text = _VIRTUOSO_BNODE.sub(rb"\1", self._carry + data)
        # Keep a tail back so a pattern cut between two reads is still found.
        keep = 0 if self._eof else min(len(text), _CARRY)
        self._carry = text[len(text) - keep :]
        self._ready += text[: len(text) - keep]


def _boolean(job: Job, value: bool) -> Outcome:
    if job.results_format is None:
        return not_acceptable(True)
    return Outcome(
        200, sparql_results.boolean(job.results_format, value), media(job.results_format, True)
    )


def _solutions(job: Job, variables: list[str], rows: list[str], truncated: bool) -> Outcome:
    if job.results_format is None:
        return not_acceptable(True)
    headers = {TRUNCATED_HEADER: f"true; rows={job.max_rows}"} if truncated else {}
    body = sparql_results.from_tsv(job.results_format, variables, rows, truncated, job.link)
    return Outcome(200, body, media(job.results_format, True), headers)


def _from_results(job: Job, body: Any, fmt: ox.QueryResultsFormat, form: str | None) -> Outcome:
    parsed = ox.parse_query_results(body, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return _boolean(job, bool(parsed))
    variables = [v.value for v in parsed.variables]
    if form == "ASK" and len(variables) == 1:
        # Virtuoso may answer ASK as one row of one variable (__ASK_RETVAL, 1 or 0).
        first = next(iter(parsed), None)
        value = None if first is None else first[variables[0]]
        return _boolean(job, value is not None and value.value in ("1", "true"))
    rows: list[str] = []
    truncated = False
    for solution in parsed:
        if len(rows) >= job.max_rows:
            truncated = True
            break
        rows.append(sparql_results.tsv_row(solution))
    return _solutions(job, variables, rows, truncated)


def _from_rdf(job: Job, body: Any, fmt: ox.RdfFormat) -> Outcome:
    if job.rdf_format is None:
        return not_acceptable(False)
    triples: list[Any] = []
    truncated = False
    for quad in ox.parse(body, format=fmt):
        if len(triples) >= job.max_rows:
            truncated = True
            break
        triples.append(ox.Triple(quad.subject, quad.predicate, quad.object))
    out = by_key(job.rdf_format, RDF_FORMATS)
    assert out is not None and out.rdf is not None
    data = ox.serialize(triples, format=out.rdf) or b""
    headers: dict[str, str] = {}
    if truncated:
        headers[TRUNCATED_HEADER] = f"true; triples={job.max_rows}"
        if job.rdf_format == "rdf":
            data = sparql_results.with_xml_comment(data, job.max_rows)
        else:
            data = sparql_results.truncation_note(job.rdf_format, job.max_rows) + data
    return Outcome(200, data, media(job.rdf_format, False), headers)


def _excerpt(response: requests.Response) -> str:
    text = " ".join(response.text[:2000].split())
    return text[:300]


def run(job: Job, settings: Settings) -> Outcome:
    """Answer a query job from the external endpoint, within the same limits."""
    assert settings.sparql_endpoint is not None
    form = query_form(job.text)
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    if graph_form and job.rdf_format is None:
        return not_acceptable(False)
    if not graph_form and job.results_format is None:
        return not_acceptable(True)
    timeout = settings.query_timeout
    deadline = time.monotonic() + timeout
    form_data: list[tuple[str, str]] = [("query", job.text)]
    form_data += [("default-graph-uri", g) for g in job.default_graphs or []]
    form_data += [("named-graph-uri", g) for g in job.named_graphs or []]
    try:
        response = requests.post(
            settings.sparql_endpoint,
            data=form_data,
            headers={"Accept": ACCEPT_GRAPH if graph_form else ACCEPT_RESULTS},
            timeout=(min(5.0, timeout), timeout),
            stream=True,
        )
    except requests.Timeout:
        return Outcome.fail(503, _TIMEOUT_TEXT.format(t=timeout))
    except requests.RequestException:
        return Outcome.fail(502, "the external SPARQL endpoint cannot be reached")
    capped: _Capped | None = None
    with response:
        try:
            if response.status_code == 400:
                return Outcome.fail(400, f"SPARQL syntax error: {_excerpt(response)}")
            if response.status_code != 200:
                return Outcome.fail(
                    502, f"the external SPARQL endpoint answered {response.status_code}"
                )
            media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            capped = _Capped(response, deadline, timeout)
            body = io.BufferedReader(capped)
            results = by_key(media, RESULTS_FORMATS)
            if results is not None and results.results is not None:
                return _from_results(job, body, results.results, form)
            rdf = by_key(media, RDF_FORMATS)
            if rdf is not None and rdf.rdf is not None:
                return _from_rdf(job, body, rdf.rdf)
            return Outcome.fail(
                502, f"the external SPARQL endpoint answered in an unknown format ({media})"
            )
        except requests.Timeout:
            return Outcome.fail(503, _TIMEOUT_TEXT.format(t=timeout))
        except (requests.RequestException, SyntaxError, UnicodeDecodeError, ValueError, OSError):
            if capped is not None and capped.stopped is not None:
                return capped.stopped
            if time.monotonic() > deadline:
                return Outcome.fail(503, _TIMEOUT_TEXT.format(t=timeout))
            return Outcome.fail(502, "the external SPARQL endpoint sent an answer we cannot read")


def run_limited(job: Job) -> Outcome:
    """:func:`run` within the per-client concurrency limit of the embedded endpoint."""

    service = get_service()
    with service.limiter.slot(client_id()) as granted:
        if not granted:
            limit = service.settings.max_concurrent_per_client
            out = Outcome.fail(
                429,
                f"too many queries at once from your address (the limit is {limit}); "
                "wait for one to finish",
            )
            out.headers["Retry-After"] = "1"
            return out
        return run(job, service.settings)
