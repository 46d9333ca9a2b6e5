"""The catalogue of stored SPARQL queries (``queries/*.rq``).

Every query the project runs lives in a ``.rq`` file whose header says what it is::

    # title: Initiatives a government facilitated
    # title@nl: Initiatieven die een overheid faciliteerde
    # description: ...
    # description@nl: ...
    # param: form iri optional  The collaboration form to restrict to.
    # example: true

Parameters are bound, never pasted: a parameter that the query projects is passed to pyoxigraph
as a ``substitutions`` entry; one the query cannot project (aggregates) is marked in the query
body with a ``# @values ?name`` line, which is replaced by a ``VALUES`` clause built from a
validated RDF term. An integer parameter may set a ``LIMIT`` (a ``# @limit ?name`` line),
which cannot be a variable in SPARQL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pyoxigraph as ox

PARAM_TYPES = ("iri", "string", "integer", "decimal", "lang", "date")


class QueryParameterError(ValueError):
    """A parameter value does not fit its declared type."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class StoredQuery:
    name: str
    text: str
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    parameters: tuple[Parameter, ...] = ()
    example: bool = False

    def label(self, lang: str = "en") -> str:
        return self.title.get(lang) or self.title.get("en") or self.name

    def about(self, lang: str = "en") -> str:
        return self.description.get(lang) or self.description.get("en") or ""

    def term(self, param: Parameter, value: Any, rebase: Callable[[str], str]) -> Any:
        """Turn a raw value into a validated RDF term for ``param``."""
        if isinstance(value, ox.NamedNode | ox.Literal):
            return value
        text = str(value)
        try:
            if param.type == "iri":
                return ox.NamedNode(rebase(text))
            if param.type == "integer":
                return ox.Literal(str(int(text)), datatype=ox.NamedNode(XSD + "integer"))
            if param.type == "decimal":
                return ox.Literal(str(float(text)), datatype=ox.NamedNode(XSD + "decimal"))
            if param.type == "date":
                if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
                    raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD")
                return ox.Literal(text)
            if param.type == "lang":
                if not re.fullmatch(r"[a-z]{2}", text):
                    raise ValueError("expected a two-letter language code")
                return ox.Literal(text)
            return ox.Literal(text)
        except ValueError as exc:
            raise QueryParameterError(
                f"parameter {param.name!r} of query {self.name!r}: {value!r} is not a valid "
                f"{param.type} ({exc})"
            ) from exc

    def bind(
        self, params: Mapping[str, Any], rebase: Callable[[str], str] = lambda s: s
    ) -> tuple[str, dict[ox.Variable, Any]]:
        """Return the query text and substitutions for the given parameter values."""
        known = {p.name: p for p in self.parameters}
        unknown = set(params) - set(known)
        if unknown:
            raise QueryParameterError(
                f"query {self.name!r} has no parameter {', '.join(sorted(unknown))}"
            )
        text = self.text
        subs: dict[ox.Variable, Any] = {}
        for p in self.parameters:
            value = params.get(p.name)
            marker = re.compile(rf"^[ \t]*#[ \t]*@values[ \t]+\?{re.escape(p.name)}[ \t]*$", re.M)
            if value is None or value == "":
                if p.required:
                    raise QueryParameterError(f"query {self.name!r} needs parameter {p.name!r}")
                text = marker.sub("", text)
                continue
            term = self.term(p, value, rebase)
            limit = re.compile(rf"^[ \t]*#[ \t]*@limit[ \t]+\?{re.escape(p.name)}[ \t]*$", re.M)
            if p.type == "integer" and limit.search(text):
                text = limit.sub(f"  LIMIT {max(0, int(term.value))}", text)
            elif marker.search(text):
                text = marker.sub(f"  VALUES ?{p.name} {{ {term} }}", text)
            else:
                subs[ox.Variable(p.name)] = term
        return text, subs


XSD = "http://www.w3.org/2001/XMLSchema#"
_HEADER = re.compile(r"^#\s*([a-z]+)(?:@([a-z]{2}))?\s*:\s*(.*)$")


def parse(name: str, text: str) -> StoredQuery:
    """Read a query file's header comments into a :class:`StoredQuery`."""
    title: dict[str, str] = {}
    description: dict[str, str] = {}
    params: list[Parameter] = []
    example = False
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, lang, value = m.group(1), m.group(2) or "en", m.group(3).strip()
        if key == "title":
            title[lang] = value
        elif key == "description":
            description[lang] = (description.get(lang, "") + " " + value).strip()
        elif key == "param":
            parts = value.split(None, 3)
            if len(parts) < 3 or parts[1] not in PARAM_TYPES:
                raise ValueError(f"queries/{name}.rq: bad param line {line!r}")
            params.append(
                Parameter(
                    parts[0], parts[1], parts[2] == "required", parts[3] if len(parts) > 3 else ""
                )
            )
        elif key == "example":
            example = value.lower() in ("true", "yes", "1")
    if "en" not in title:
        raise ValueError(f"queries/{name}.rq: the header needs a '# title:' line")
    return StoredQuery(name, text, title, description, tuple(params), example)


@functools.cache
def catalogue() -> dict[str, StoredQuery]:
    """All stored queries by name."""
    out: dict[str, StoredQuery] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name[:-3]
            out[name] = parse(name, entry.read_text(encoding="utf-8"))
    return out


def get_query(name: str) -> StoredQuery:
    try:
        return catalogue()[name]
    except KeyError:
        raise KeyError(f"no stored query named {name!r} in queries/") from None
