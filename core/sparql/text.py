"""A linear-time look at SPARQL text, for what the engine cannot be asked: never for permissions.

pyoxigraph exposes no syntax tree, yet the endpoint needs two things before it runs a request:
whether a query names its own dataset (``FROM``: then the union default graph must not override
it) and where the protocol's ``using-graph-uri`` goes in an update (pyoxigraph's ``update`` takes
no dataset). Neither decides what a request may do: the query workers cannot reach the network,
and an update is authorised from the graphs it actually changed (:mod:`core.sparql.engine`).
If this scan and the engine's parser ever disagree, the worst outcome is a wrong default dataset
or a syntax error, never a write or a connection that was not allowed.

The scan is a hand-written loop whose every step consumes what it looked at, so its cost is
linear in the length of the text (the regex lexer it replaces backtracked quadratically on
``a.a.a.…``). Callers cap the length before calling (``Settings.max_query_bytes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Marker for the store's own default graph in sets of graph IRIs.
DEFAULT_GRAPH = ""
#: Deepest nesting of ``{ ( [`` accepted; the engine's recursive parser crashes far deeper.
MAX_NESTING = 200

# Each pattern is anchored at the cursor and consumes a run it never backtracks out of.
_SPACE = re.compile(r"\s+")
_COMMENT_BODY = re.compile(r"[^\n\r]*")  # the grammar ends a comment at LF or CR
_NAME = re.compile(r"[A-Za-z0-9_:%\\\-.\u00B7-\uFFFF]+")
_VAR = re.compile(r"[?$][A-Za-z0-9_\u00B7-\uFFFF]*")
_IRI_BODY = re.compile(r"[^<>\"{}|^`\\\x00-\x20]*")
_SHORT = {
    '"': re.compile(r'"(?:[^"\\\n\r]|\\.)*"'),
    "'": re.compile(r"'(?:[^'\\\n\r]|\\.)*'"),
}
_LONG = {
    '"': re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL),
    "'": re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''", re.DOTALL),
}
_IRI_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*")


_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class SparqlTextError(ValueError):
    """The text cannot be accepted before it reaches the engine (too deeply nested)."""


@dataclass
class Scan:
    """What a linear scan of a query or update found."""

    #: ``FROM`` / ``FROM NAMED`` outside any group: the query names its own dataset.
    has_from: bool = False
    #: ``WITH`` or ``USING`` in an update: it names its own dataset.
    has_dataset_clause: bool = False
    #: Offsets of the ``WHERE`` keywords of DELETE/INSERT operations (where USING may go).
    where_offsets: list[int] = field(default_factory=list)
    max_depth: int = 0
    #: SELECT, ASK, CONSTRUCT or DESCRIBE: the first query form keyword outside any group.
    form: str | None = None

    def with_using(self, text: str, using: list[str], using_named: list[str]) -> str:
        """The update with the protocol's ``using-graph-uri`` parameters as USING clauses.

        The IRIs must have passed :func:`valid_iri`: then ``<iri>`` cannot end early or carry
        anything but one IRI, whatever the rest of the text holds.
        """
        if not using and not using_named:
            return text
        for iri in (*using, *using_named):
            if not valid_iri(iri):
                raise SparqlTextError(f"{iri!r} is not an absolute IRI")
        clause = "".join(f"USING <{g}> " for g in using)
        clause += "".join(f"USING NAMED <{g}> " for g in using_named)
        out, last = [], 0
        for offset in self.where_offsets:
            out += [text[last:offset], clause]
            last = offset
        out.append(text[last:])
        return "".join(out)


def valid_iri(value: str) -> bool:
    """An absolute IRI that SPARQL can write as ``<value>`` (no characters IRIREF excludes)."""
    return bool(_IRI_VALUE.fullmatch(value))


def scan(text: str) -> Scan:
    """Scan ``text`` once, in time linear in its length."""
    found = Scan()
    depth = 0
    previous = ""  # the last keyword seen, upper-cased ("" after anything else)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            m = _SPACE.match(text, i)
            i = m.end() if m else i + 1
            continue
        if c == "#":
            m = _COMMENT_BODY.match(text, i + 1)
            i = m.end() if m else n
            continue
        after = _after_atom(c, text, i, n)
        if after is not None:
            i, previous = after, ""
            continue
        if c in "{([":
            depth += 1
            found.max_depth = max(found.max_depth, depth)
            if depth > MAX_NESTING:
                raise SparqlTextError(f"the text is nested more than {MAX_NESTING} levels deep")
            i, previous = i + 1, ""
            continue
        if c in "})]":
            depth = max(0, depth - 1)
            i, previous = i + 1, ""
            continue
        m = _NAME.match(text, i)
        if not m:
            i, previous = i + 1, ""
            continue
        word = m.group().rstrip(".").upper()
        i = m.end()
        if depth == 0:
            _note_keyword(found, word, previous, m.start())
        previous = word
    return found


def has_from(text: str) -> bool:
    """Whether a query names its own dataset (``FROM``); SparqlTextError past ``MAX_NESTING``.

    What :func:`scan` says, without scanning the texts that can do neither: an ASCII text in
    which "from" occurs in no letter case and ``{ ( [`` occur at most ``MAX_NESTING`` times in
    all (nesting cannot be deeper than that count). Most public lookups are such texts, and a
    text never seen before paid the scan on every request (22 µs for a small lookup; this: 1 µs).
    """
    if (
        text.isascii()
        and "from" not in text.lower()
        and text.count("{") + text.count("(") + text.count("[") <= MAX_NESTING
    ):
        return False
    return scan(text).has_from


def _after_atom(c: str, text: str, i: int, n: int) -> int | None:
    """Where a string, IRI or variable starting at ``i`` ends; None if none starts there."""
    if c in "\"'":
        triple = text.startswith(c * 3, i)
        m = (_LONG[c].match(text, i) if triple else None) or _SHORT[c].match(text, i)
        if m:
            return m.end()
        if triple:
            return n  # an unterminated long string runs to the end
        eol = _COMMENT_BODY.match(text, i + 1)  # an unterminated short one, to the line's end
        return eol.end() if eol else n
    if c == "<":
        m = _IRI_BODY.match(text, i + 1)
        end = m.end() if m else i + 1
        return end + 1 if end < n and text[end] == ">" else i + 1
    if c in "?$":
        m = _VAR.match(text, i)
        return m.end() if m else i + 1
    return None


def _note_keyword(found: Scan, word: str, previous: str, offset: int) -> None:
    """What a keyword outside any group tells: the form, FROM, a dataset clause, WHERE."""
    if found.form is None and word in _FORMS:
        found.form = word
    if word == "FROM":
        found.has_from = True
    elif word in ("WITH", "USING"):
        found.has_dataset_clause = True
    elif word == "WHERE" and previous != "DELETE":
        found.where_offsets.append(offset)
