"""Writers for SPARQL results that may stop early, with the truncation said out loud.

A SELECT's rows are written by the engine as TSV into :class:`RowCap`, which stops the writer
past the row cap; the wanted format is then written from those lines by pyoxigraph too. When rows
were cut the document says so where the format has room for it (JSON: ``"truncated": true`` plus
a ``head.link``; XML: a ``<link>``; Turtle, TriG, N-Triples, N-Quads: a comment; RDF/XML: an XML
comment) and always in the ``Kiemen-Truncated`` response header.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    return {"type": "literal", "value": str(term)}


def solutions_json(
    variables: Sequence[str], rows: Sequence[Sequence[Any]], truncated: bool, link: str
) -> bytes:
    bindings = []
    for row in rows:
        bindings.append(
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
        )
    head: dict[str, Any] = {"vars": list(variables)}
    doc: dict[str, Any] = {"head": head, "results": {"bindings": bindings}}
    if truncated:
        head["link"] = [link]
        doc["truncated"] = True
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    return f"<literal>{escape(str(term))}</literal>"


_XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>'


def solutions_xml(
    variables: Sequence[str], rows: Sequence[Sequence[Any]], truncated: bool, link: str
) -> bytes:
    out = [_XML_HEAD]
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    if truncated:
        out.append(f"<link href={quoteattr(link)}/>")
    out.append("</head>\n<results>\n")
    for row in rows:
        out.append("<result>")
        for v, t in zip(variables, row, strict=True):
            if t is not None:
                out.append(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
        out.append("</result>\n")
    out.append("</results>\n</sparql>\n")
    return "".join(out).encode()


def _csv_value(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def solutions_csv(variables: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow([_csv_value(t) for t in row])
    return buf.getvalue().encode()


def _tsv_value(term: Any) -> str:
    if term is None:
        return ""
    return str(term).replace("\t", "\\t")


def solutions_tsv(variables: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    lines = ["\t".join("?" + v for v in variables)]
    lines += ["\t".join(_tsv_value(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def solutions(
    key: str, variables: Sequence[str], rows: Sequence[Sequence[Any]], truncated: bool, link: str
) -> bytes:
    if key == "json":
        return solutions_json(variables, rows, truncated, link)
    if key == "xml":
        return solutions_xml(variables, rows, truncated, link)
    if key == "csv":
        return solutions_csv(variables, rows)
    return solutions_tsv(variables, rows)


_RESULTS_FORMAT = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def tsv_row(row: Sequence[Any]) -> str:
    """One solution as a TSV line; ``str()`` of a pyoxigraph term is its escaped N-Triples form."""
    return "\t".join(_tsv_term(t) for t in row)


def _tsv_term(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        parts = (_tsv_term(term.subject), _tsv_term(term.predicate), _tsv_term(term.object))
        return "<<( " + " ".join(parts) + " )>>"
    return str(term)


class RowCapReached(Exception):
    """Raised by :class:`RowCap` inside the engine's writer to stop it past the row cap."""


class RowCap(io.BytesIO):
    """A sink for the engine's TSV writer that keeps the header and at most ``limit`` rows.

    Every row is one line (the TSV writer escapes newlines in values), so counting newlines
    counts rows; past the cap the write raises :class:`RowCapReached`, which stops the engine.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.lines = 0
        self.cut = False

    def write(self, data: ReadableBuffer, /) -> int:
        written = super().write(data)
        self.lines += bytes(data).count(b"\n")
        if self.lines > self.limit + 1:  # the header line and one row past the cap
            self.cut = True
            raise RowCapReached
        return written

    def rows(self) -> tuple[bytes, bool]:
        """The TSV document (header and at most ``limit`` rows) and whether rows were cut."""
        text = self.getvalue()
        if not self.cut:
            return text, False
        end = -1
        for _ in range(self.limit + 1):
            end = text.index(b"\n", end + 1)
        return text[: end + 1], True


def from_tsv(
    key: str, variables: Sequence[str], tsv_rows: Sequence[str], truncated: bool, link: str
) -> bytes:
    """Serialise solutions given as TSV lines with pyoxigraph's own writers."""
    if not variables:
        return solutions(key, variables, [[] for _ in tsv_rows], truncated, link)
    text = "\t".join("?" + v for v in variables) + "\n" + "".join(r + "\n" for r in tsv_rows)
    return _rewrite(key, text.encode(), truncated, link)


def from_tsv_bytes(key: str, tsv: bytes, truncated: bool, link: str) -> bytes:
    """A TSV results document written by the engine (header line first) in the format ``key``:
    TSV as it came, any other written again by pyoxigraph, with the truncation signal added."""
    if key == "tsv":
        return tsv
    return _rewrite(key, tsv, truncated, link)


def _rewrite(key: str, tsv: bytes, truncated: bool, link: str) -> bytes:
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    body = parsed.serialize(format=_RESULTS_FORMAT[key]) or b""
    if not truncated:
        return body
    if key == "json" and body.startswith(b'{"head":{'):
        note = json.dumps(link)
        return b'{"truncated":true,"head":{"link":[' + note.encode() + b"]," + body[9:]
    if key == "xml" and b"<head>" in body:
        return body.replace(b"<head>", f"<head><link href={quoteattr(link)}/>".encode(), 1)
    return body


def boolean(key: str, value: bool) -> bytes:
    text = "true" if value else "false"
    if key == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if key == "xml":
        return f"{_XML_HEAD}</head>\n<boolean>{text}</boolean>\n</sparql>\n".encode()
    return (text + "\n").encode()


def truncation_note(key: str, limit: int) -> bytes:
    """A comment for the top of an RDF document cut off at ``limit`` triples."""
    text = f"Kiemen: result truncated at {limit} triples (the endpoint's row limit)"
    if key in ("ttl", "nt", "trig", "nq"):
        return f"# {text}\n".encode()
    return b""


def with_xml_comment(body: bytes, limit: int) -> bytes:
    """RDF/XML with the truncation note as a comment after the XML declaration."""
    note = f"<!-- Kiemen: result truncated at {limit} triples (the endpoint's row limit) -->\n"
    if body.startswith(b"<?xml"):
        end = body.find(b"?>") + 2
        return body[:end] + b"\n" + note.encode() + body[end:].lstrip(b"\n")
    return note.encode() + body
