"""The cells of a Participedia export, read the way participedia/api writes them.

Participedia's exporter (``api/helpers/create-csv-data-dump.js`` in participedia/api) joins a
list with ", " and then splits it again on "," into numbered columns ``field_1`` … ``field_5``
(so a value keeps a leading space, and a label with commas in it is cut into several columns).
Lists that the database hands over as text keep PostgreSQL's array syntax: ``{a,b}`` or, for
links to other entries, ``{"(4328,method,\\"Information and Communications Technologies
(ICT)\\")"}``. A controlled value is sometimes its key (``non_profit_non_gov``) and sometimes
its label in one of Participedia's eight languages (``Non-Profit or Non Governmental``); the
keys and labels are in ``data/mappings/participedia-options.json``, built from Participedia's
own files by ``loaders/participedia_options.py``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from core.paths import package_dir
from loaders.countries import normalise

_NUMBERED = re.compile(r"^(.+)_(\d+)$")
_TUPLE = re.compile(r"^\(\s*(\d+)\s*,\s*(case|method|organization)\s*,(.*)\)$", re.S)
#: Some fields share another field's list of values.
SAME_VALUES = {"purpose_method": "purposes"}
#: The exporter's ``simpleArrayFields``: lists, written as numbered columns.
LIST_FIELDS = {
    "general_issues",
    "specific_topics",
    "implementers_of_change",
    "change_types",
    "funder_types",
    "organizer_types",
    "insights_outcomes",
    "if_voting",
    "decision_methods",
    "learning_resources",
    "participants_interactions",
    "tools_techniques_types",
    "method_types",
    "targeted_participants",
    "approaches",
    "purposes",
    "number_of_participants",
    "scope_of_influence",
    "purpose_method",
    "type_method",
    "type_tool",
    "collections",
}
#: How the exporter writes "yes" in a yes/no field.
TRUE = {"1", "yes", "true"}
#: Yes/no fields that the exporter writes as 1/0 (``booleanFields``, ``yesOrNoFields``).
YES_NO = {
    "featured",
    "ongoing",
    "staff",
    "volunteers",
    "legality",
    "facilitators",
    "impact_evidence",
    "formal_evaluation",
}


def options_path() -> Path:
    """``participedia-options.json`` beside the mappings (in a checkout or an install)."""

    return package_dir("kiemen_data") / "mappings" / "participedia-options.json"


@dataclass(frozen=True)
class Link:
    """A reference to another entry, as the export's ``(id,type,title)`` tuples give it."""

    id: str
    type: str
    title: str


@dataclass(frozen=True)
class Value:
    """One value of a controlled field: its key when Participedia knows it, else the raw text."""

    text: str
    key: str | None


class Options:
    """Participedia's keys and labels (8 languages) per field, and its own country list."""

    def __init__(self, data: dict[str, object]) -> None:
        fields = data.get("fields", {})
        assert isinstance(fields, dict)
        self.labels: dict[str, dict[str, dict[str, str]]] = {}
        self._seen: dict[tuple[str, str], str | None] = {}  # (field, text) -> key, looked up
        self._index: dict[str, dict[str, str]] = {}
        for field, keys in fields.items():
            labels: dict[str, dict[str, str]] = {}
            index: dict[str, str] = {}
            for key, by_lang in keys.items():
                base = key.removesuffix("-longValue")
                if base == key:
                    labels[key] = dict(by_lang)
                index[normalise(base)] = base
                for label in by_lang.values():
                    index.setdefault(normalise(label), base)
            self.labels[field] = labels
            self._index[field] = index
        self.countries: dict[str, str] = {
            normalise(k): str(v)
            for k, v in dict(data.get("countries", {})).items()  # type: ignore[call-overload]
        }
        self.source: dict[str, object] = dict(data.get("source", {}))  # type: ignore[call-overload]
        #: Column -> language -> the label Participedia's entry pages give it.
        self.columns: dict[str, dict[str, str]] = dict(data.get("columns", {}))  # type: ignore[call-overload]

    @classmethod
    @functools.cache
    def bundled(cls) -> Options:
        return cls(json.loads(options_path().read_text(encoding="utf-8")))

    def knows(self, field: str) -> bool:
        return SAME_VALUES.get(field, field) in self._index

    def key(self, field: str, text: str) -> str | None:
        """The key of ``text`` (a key or a label in any of Participedia's languages)."""
        found = self._seen.get((field, text), "")
        if found == "":
            index = self._index.get(SAME_VALUES.get(field, field), {})
            found = self._seen[(field, text)] = index.get(normalise(text))
        return found

    def label(self, field: str, key: str, lang: str) -> str | None:
        return self.labels.get(SAME_VALUES.get(field, field), {}).get(key, {}).get(lang)

    def values(self, field: str, parts: list[str]) -> list[Value]:
        """The values in a list's parts, rejoining labels the export cut at their commas."""
        out: list[Value] = []
        i, n = 0, len(parts)
        while i < n:
            for j in range(min(n, i + 8), i, -1):
                text = ", ".join(p.strip() for p in parts[i:j])
                key = self.key(field, text)
                if key is not None:
                    out.append(Value(text, key))
                    i = j
                    break
            else:
                if parts[i].strip():
                    out.append(Value(parts[i].strip(), None))
                i += 1
        return out


def pg_array(text: str) -> list[str] | None:
    """The elements of a PostgreSQL array literal (``{a,"b c",NULL}``), or None if it is not one."""
    s = text.strip()
    if len(s) < 2 or s[0] != "{" or s[-1] != "}":
        return None
    out: list[str] = []
    i, body = 0, s[1:-1]
    while i < len(body):
        if body[i] == '"':
            i += 1
            buf = []
            while i < len(body) and body[i] != '"':
                if body[i] == "\\" and i + 1 < len(body):
                    i += 1
                buf.append(body[i])
                i += 1
            out.append("".join(buf))
            i += 1  # the closing quote
            while i < len(body) and body[i] != ",":
                i += 1
        else:
            j = body.find(",", i)
            j = len(body) if j < 0 else j
            item = body[i:j].strip()
            if item and item.upper() != "NULL":
                out.append(item)
            i = j
        i += 1  # the comma
    return out


def link(text: str) -> Link | None:
    """``(4328,method,"Title")`` as a link to another entry."""
    m = _TUPLE.match(text.strip())
    if not m:
        return None
    title = m.group(3).strip()
    if len(title) >= 2 and title[0] == '"' and title[-1] == '"':
        title = title[1:-1].replace('""', '"').replace('\\"', '"')
    return Link(m.group(1), m.group(2), title)


def column_parts(cells: dict[str, str], header: list[str], field: str) -> list[str]:
    """Every part of a multi-valued field: ``field`` itself and ``field_1`` … in order.

    Brace lists (whole, or cut across numbered columns) are opened; empty parts dropped.
    """
    raw = [cells.get(field, "")] + [
        cells.get(c, "") for c in numbered_columns(header).get(field, [])
    ]
    joined = ",".join(r for r in raw if r.strip())
    if not joined.strip():
        return []
    items = pg_array(joined)
    if items is not None:
        return [i for i in items if i.strip()]
    return [p for p in joined.split(",") if p.strip()]


@functools.lru_cache(maxsize=16)
def _numbered(header: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for col in header:
        m = _NUMBERED.match(col)
        if m and not col.endswith(("_id", "_count")):
            out.setdefault(m.group(1), []).append(col)
    for cols in out.values():
        cols.sort(key=lambda c: int(c.rsplit("_", 1)[1]))
    return out


def numbered_columns(header: list[str]) -> dict[str, list[str]]:
    """``{"general_issues": ["general_issues_1", "general_issues_2"], …}`` for a header."""
    return _numbered(tuple(header))


def base_columns(header: list[str]) -> list[str]:
    """The header with numbered columns folded into their field, in first-seen order."""
    numbered = numbered_columns(header)
    seen: list[str] = []
    for col in header:
        m = _NUMBERED.match(col)
        name = m.group(1) if m and m.group(1) in numbered and col in numbered[m.group(1)] else col
        if name not in seen:
            seen.append(name)
    return seen
