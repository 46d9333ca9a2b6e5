"""Just enough SPARQL lexing to police requests before they reach the store.

pyoxigraph parses and runs queries and updates, but exposes no syntax tree. The endpoint still has
to know a few things *before* it runs them: whether a query calls out with ``SERVICE`` (the store
would fetch any URL: not on a public endpoint), whether it names its own dataset (``FROM``), which
graphs an update writes (a token may write only its own graphs), and where to put the protocol's
``using-graph-uri`` (pyoxigraph's ``update`` takes no dataset). A linear-time lexer answers all of
that without a second SPARQL parser in the request path; the store's parser stays the one that
decides what is valid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

#: Marker for the store's own default graph in sets of graph IRIs.
DEFAULT_GRAPH = ""

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<bnode>_:[A-Za-z0-9_\-.\u00B7-\uFFFF]*)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][A-Za-z0-9_\-.\u00B7-\uFFFF]*)?
              :(?:[A-Za-z0-9_\-.:%\\\u00B7-\uFFFF]*))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokens(text: str) -> Iterator[Token]:
    """Significant tokens (no white space, no comments)."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind in ("ws", "comment"):
            continue
        yield Token(kind, m.group(), m.start())


class SparqlTextError(ValueError):
    """The text is not SPARQL we can analyse (the store would reject it too)."""


@dataclass
class QueryInfo:
    uses_service: bool = False
    has_dataset: bool = False  # FROM / FROM NAMED in the query itself


def inspect_query(text: str) -> QueryInfo:
    info = QueryInfo()
    depth = 0
    for tok in tokens(text):
        if tok.text == "{":
            depth += 1
        elif tok.text == "}":
            depth -= 1
        elif tok.upper == "SERVICE":
            info.uses_service = True
        elif tok.upper == "FROM" and depth == 0:
            info.has_dataset = True
    return info


@dataclass
class UpdatePlan:
    """What an update would write, found without running it."""

    graphs: set[str] = field(default_factory=set)  # IRIs; DEFAULT_GRAPH for the default graph
    all_named: bool = False  # CLEAR/DROP NAMED or ALL: every named graph of the store
    variable_graph: bool = False  # a template writes GRAPH ?g: not checkable beforehand
    uses_load: bool = False
    uses_service: bool = False
    has_dataset_clause: bool = False  # WITH or USING in the text
    where_offsets: list[int] = field(default_factory=list)  # where USING clauses may go

    def with_using(self, text: str, using: list[str], using_named: list[str]) -> str:
        """The update with the protocol's using-graph-uri / using-named-graph-uri applied."""
        if not using and not using_named:
            return text
        clause = "".join(f" USING <{g}>" for g in using)
        clause += "".join(f" USING NAMED <{g}>" for g in using_named)
        out, last = [], 0
        for offset in self.where_offsets:
            out += [text[last:offset], clause.strip(), " "]
            last = offset
        out.append(text[last:])
        return "".join(out)


class _Cursor:
    def __init__(self, text: str) -> None:
        self.items = list(tokens(text))
        self.i = 0

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.items[j] if j < len(self.items) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise SparqlTextError("unexpected end of the update")
        self.i += 1
        return tok

    def accept(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.upper == word:
            self.i += 1
            return True
        return False


def inspect_update(
    text: str, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None
) -> UpdatePlan:
    """Find the graphs an update writes (``SparqlTextError`` when it cannot be read)."""
    plan = UpdatePlan()
    known = dict(prefixes or {})
    base = base_iri
    cur = _Cursor(text)

    def iri(tok: Token) -> str:
        if tok.kind == "iri":
            value = tok.text[1:-1]
            return (
                urljoin(base, value)
                if base and not re.match(r"[A-Za-z][\w+.-]*:", value)
                else value
            )
        if tok.kind == "pname":
            prefix, _, local = tok.text.partition(":")
            if prefix not in known:
                raise SparqlTextError(f"prefix {prefix}: is not declared")
            return known[prefix] + re.sub(r"\\(.)", r"\1", local)
        raise SparqlTextError(f"expected an IRI, found {tok.text!r}")

    def graph_ref() -> str:
        if cur.accept("DEFAULT"):
            return DEFAULT_GRAPH
        cur.accept("GRAPH")
        return iri(cur.next())

    def skip_group() -> None:
        """Skip a balanced { ... } starting at the cursor."""
        tok = cur.next()
        if tok.text != "{":
            raise SparqlTextError(f"expected '{{', found {tok.text!r}")
        depth = 1
        while depth:
            tok = cur.next()
            if tok.text == "{":
                depth += 1
            elif tok.text == "}":
                depth -= 1
            elif tok.upper == "SERVICE":
                plan.uses_service = True

    def quads(default: str) -> None:
        """Read a quad template and record the graphs it writes."""
        tok = cur.next()
        if tok.text != "{":
            raise SparqlTextError(f"expected '{{', found {tok.text!r}")
        while True:
            tok = cur.next()
            if tok.text == "}":
                return
            if tok.upper == "GRAPH":
                target = cur.next()
                if target.kind == "var":
                    plan.variable_graph = True
                else:
                    plan.graphs.add(iri(target))
                skip_group()
            elif tok.text == "{":
                raise SparqlTextError("unexpected '{' in a quad template")
            elif tok.text != ".":
                plan.graphs.add(default)
                depth = 0
                # the rest of this triple block, up to GRAPH or the closing brace
                while True:
                    nxt = cur.peek()
                    if nxt is None:
                        raise SparqlTextError("unexpected end of the update")
                    if depth == 0 and (nxt.text == "}" or nxt.upper == "GRAPH"):
                        break
                    if nxt.text in ("[", "("):
                        depth += 1
                    elif nxt.text in ("]", ")"):
                        depth -= 1
                    cur.i += 1

    while cur.peek() is not None:
        with_graph: str | None = None
        tok = cur.next()
        word = tok.upper
        if tok.text == ";":
            continue
        if word == "PREFIX":
            name = cur.next()
            if name.kind != "pname" or not name.text.endswith(":"):
                raise SparqlTextError(f"bad PREFIX declaration near {name.text!r}")
            known[name.text[:-1]] = iri(cur.next())
            continue
        if word == "BASE":
            base = iri(cur.next())
            continue
        if word == "LOAD":
            plan.uses_load = True
            cur.accept("SILENT")
            cur.next()
            if cur.accept("INTO"):
                plan.graphs.add(graph_ref())
            continue
        if word in ("CLEAR", "DROP"):
            cur.accept("SILENT")
            if cur.accept("ALL"):
                plan.all_named = True
                plan.graphs.add(DEFAULT_GRAPH)
            elif cur.accept("NAMED"):
                plan.all_named = True
            else:
                plan.graphs.add(graph_ref())
            continue
        if word == "CREATE":
            cur.accept("SILENT")
            plan.graphs.add(graph_ref())
            continue
        if word in ("ADD", "MOVE", "COPY"):
            cur.accept("SILENT")
            source = graph_ref()
            if not cur.accept("TO"):
                raise SparqlTextError(f"{word} needs TO")
            plan.graphs.add(graph_ref())
            if word == "MOVE":
                plan.graphs.add(source)
            continue
        if word == "WITH":
            plan.has_dataset_clause = True
            with_graph = iri(cur.next())
            tok = cur.next()
            word = tok.upper
        if word == "INSERT" and cur.accept("DATA"):
            quads(DEFAULT_GRAPH)
            continue
        if word == "DELETE" and cur.accept("DATA"):
            quads(DEFAULT_GRAPH)
            continue
        if word == "DELETE" and cur.accept("WHERE"):
            quads(with_graph if with_graph is not None else DEFAULT_GRAPH)
            continue
        if word in ("DELETE", "INSERT"):
            target = with_graph if with_graph is not None else DEFAULT_GRAPH
            quads(target)
            if word == "DELETE" and cur.accept("INSERT"):
                quads(target)
            while cur.accept("USING"):
                plan.has_dataset_clause = True
                cur.accept("NAMED")
                iri(cur.next())
            where = cur.peek()
            if where is None:
                raise SparqlTextError("DELETE/INSERT needs WHERE")
            if where.upper == "WHERE":
                cur.i += 1
            plan.where_offsets.append(where.start)
            skip_group()
            continue
        raise SparqlTextError(f"unexpected {tok.text!r} in the update")
    return plan
