"""What an upload does to a publisher's dataset: the records it adds, changes and removes.

An upload either *adds to / updates* the dataset (the safe default: records it does not mention
stay as they are) or *replaces* it (records it does not mention go, and only after the
publisher confirmed the preview). A *record* is an initiative, organisation, person or
involvement in the publisher's namespace; the diff compares each record's own statements in
the data graph before and after, so the check step can list exactly what publishing would do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from core.config import Settings
from core.vocab import RDF_TYPE

KM = "https://w3id.org/kiemen/def/"
PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"

#: ``add``: records not mentioned stay; ``replace``: they go (after confirmation).
ADD, REPLACE = "add", "replace"
MODES = (ADD, REPLACE)
#: Records the preview lists per kind of change; the counts always cover all.
MAX_LISTED = 500

_KINDS = {
    KM + "Initiative": "initiative",
    KM + "Organisation": "actor",
    KM + "Person": "actor",
    KM + "Actor": "actor",
    KM + "Involvement": "involvement",
}


class ModeError(ValueError):
    """An upload mode that is neither ``add`` nor ``replace``."""


def parse_mode(raw: str | None) -> str:
    """The mode a request asked for; none given is the safe ``add``."""
    mode = (raw or ADD).strip().lower()
    aliases = {"add": ADD, "update": ADD, "add-update": ADD, "merge": ADD, "replace": REPLACE}
    if mode not in aliases:
        raise ModeError(mode)
    return aliases[mode]


@dataclass(frozen=True)
class RecordState:
    iri: str
    kind: str
    labels: dict[str, str]
    triples: frozenset[ox.Triple]


class Records(dict[str, "RecordState"]):
    """Records by IRI, and the subjects in the namespace that are none (no record class) with
    their statements (the register and its passages): with both, the records after a change
    are those of the subjects it touched, read again (:func:`diff`), and the others as they
    were; and every statement of a subject in the namespace is known without a pass over the
    graph (:func:`merged_known`)."""

    untyped: frozenset[str] = frozenset()
    loose: dict[str, frozenset[ox.Triple]] = {}  # noqa: RUF012 - always set per instance

    def statements(self, iri: str) -> frozenset[ox.Triple]:
        """The statements of subject ``iri`` (in the namespace), none when it is no subject."""
        found = self.get(iri)
        return found.triples if found is not None else self.loose.get(iri, frozenset())


def records_of(triples: Iterable[ox.Triple], settings: Settings, ns: str) -> Records:
    """The records among ``triples``: subjects in ``ns`` typed as a record class."""
    by_subject: dict[str, list[ox.Triple]] = {}
    for tr in triples:
        if isinstance(tr.subject, ox.NamedNode) and tr.subject.value.startswith(ns):
            by_subject.setdefault(tr.subject.value, []).append(tr)
    out = Records()
    untyped = set()
    loose: dict[str, frozenset[ox.Triple]] = {}
    for iri, trs in by_subject.items():
        kind = next(
            (
                _KINDS[c]
                for tr in trs
                if tr.predicate.value == RDF_TYPE and isinstance(tr.object, ox.NamedNode)
                for c in [settings.canonical(tr.object.value)]
                if c in _KINDS
            ),
            None,
        )
        if kind is None:
            untyped.add(iri)
            loose[iri] = frozenset(trs)
            continue
        labels = {
            (tr.object.language or ""): tr.object.value
            for tr in trs
            if tr.predicate.value == PREF_LABEL and isinstance(tr.object, ox.Literal)
        }
        out[iri] = RecordState(iri, kind, labels, frozenset(trs))
    out.untyped = frozenset(untyped)
    out.loose = loose
    return out


def _touched(before: AbstractSet[ox.Triple], after: AbstractSet[ox.Triple], ns: str) -> set[str]:
    """The subjects in ``ns`` whose statements differ."""
    return {
        tr.subject.value
        for tr in before ^ after
        if isinstance(tr.subject, ox.NamedNode) and tr.subject.value.startswith(ns)
    }


def _records_after(
    before: AbstractSet[ox.Triple],
    after: AbstractSet[ox.Triple],
    known: Records,
    touched: set[str],
    settings: Settings,
    ns: str,
) -> Records:
    """The records of ``after``: ``known`` (those of ``before``) for the subjects the change
    did not touch, and the touched ones read from their statements in ``after`` (a touched
    subject that was a record or a subject without a record class has its old statements in
    ``known``; one that was no subject has only new ones)."""
    pieces: list[ox.Triple] = [
        tr
        for tr in after - before
        if isinstance(tr.subject, ox.NamedNode) and tr.subject.value in touched
    ]
    for iri in touched:
        pieces += [tr for tr in known.statements(iri) if tr in after]
    out = Records((k, v) for k, v in known.items() if k not in touched)
    fresh = records_of(pieces, settings, ns)
    out.update(fresh)
    out.untyped = (known.untyped - touched) | fresh.untyped
    out.loose = {k: v for k, v in known.loose.items() if k not in touched}
    out.loose.update(fresh.loose)
    return out


def records_after(
    before: AbstractSet[ox.Triple],
    after: AbstractSet[ox.Triple],
    known: Records,
    settings: Settings,
    ns: str,
) -> Records:
    """The records of ``after`` from ``known``, those of ``before``, in proportion to the
    change (the same as :func:`records_of` of ``after``)."""
    return _records_after(before, after, known, _touched(before, after, ns), settings, ns)


@dataclass
class Diff:
    """Records added, changed and removed (each a dict: iri, kind, label_nl, label_en)."""

    added: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def digest(self) -> str:
        """Names exactly this change: a confirmation holds only for the preview it answers."""
        text = "\n".join(
            f"{what} {r['iri']}"
            for what, rows in (("+", self.added), ("~", self.changed), ("-", self.removed))
            for r in rows
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {
            "counts": {
                "added": len(self.added),
                "changed": len(self.changed),
                "removed": len(self.removed),
                "unchanged": self.unchanged,
            },
            "added": self.added[:MAX_LISTED],
            "changed": self.changed[:MAX_LISTED],
            "removed": self.removed[:MAX_LISTED],
            "truncated": max(len(self.added), len(self.changed), len(self.removed)) > MAX_LISTED,
            "digest": self.digest,
        }


def _row(state: RecordState) -> dict[str, str]:
    nl = state.labels.get("nl") or state.labels.get("") or state.labels.get("en", "")
    return {
        "iri": state.iri,
        "kind": state.kind,
        "label_nl": nl,
        "label_en": state.labels.get("en") or nl,
    }


def diff(
    before: Iterable[ox.Triple],
    after: Iterable[ox.Triple],
    settings: Settings,
    ns: str,
    known: dict[str, RecordState] | None = None,
) -> Diff:
    """The records publishing ``after`` in place of ``before`` adds, changes and removes.

    A record's statements are compared without its link to the source passage (the row number
    in the register), so moving a row in the spreadsheet is not a change. ``known``: the
    records of ``before`` (:func:`records_of`), when the caller has them already.
    """
    old = records_of(before, settings, ns) if known is None else known
    new: dict[str, RecordState] | None = None
    touched: set[str] | None = None
    if isinstance(old, Records) and isinstance(before, AbstractSet):
        after_set = after if isinstance(after, AbstractSet) else set(after)
        touched = _touched(before, after_set, ns)
        if touched & old.untyped:
            touched = None  # a subject without a record class changed: read every record
        else:
            new = _records_after(before, after_set, old, touched, settings, ns)
    if new is None:
        new = records_of(after, settings, ns)

    def content(s: RecordState) -> frozenset[ox.Triple]:
        return frozenset(tr for tr in s.triples if tr.predicate.value != DERIVED)

    out = Diff()
    for iri in sorted(new):
        if iri not in old:
            out.added.append(_row(new[iri]))
        elif touched is not None and iri not in touched:
            out.unchanged += 1  # its statements are the same as before
        elif content(new[iri]) != content(old[iri]):
            out.changed.append(_row(new[iri]))
        else:
            out.unchanged += 1
    out.removed = [_row(old[iri]) for iri in sorted(old) if iri not in new]
    return out


def merged_known(
    old: AbstractSet[ox.Triple],
    new: Iterable[ox.Triple],
    mentioned: set[str],
    register: str,
    known: Records,
    ns: str,
) -> frozenset[ox.Triple] | None:
    """:func:`merged` as a set, from ``known``, the records of ``old``: the statements that
    go are those of the subjects that go, taken from their records instead of a pass over the
    whole graph (which at 4,000 initiatives was ~0.5 CPU-s an upload). None when a subject
    that goes lies outside ``ns`` (then only a pass finds its statements)."""
    if not register.startswith(ns) or any(not iri.startswith(ns) for iri in mentioned):
        return None
    own = [known.statements(iri) for iri in mentioned]
    passages = {
        tr.object.value
        for statements in own
        for tr in statements
        if tr.predicate.value == DERIVED
        and isinstance(tr.object, ox.NamedNode)
        and tr.object.value.startswith(register + "/")
    }
    gone: set[ox.Triple] = set().union(
        *own, *(known.statements(iri) for iri in passages), known.statements(register)
    )
    out = set(old)
    out.difference_update(gone)
    out.update(new)
    return frozenset(out)


def merged(
    old: Iterable[ox.Triple], new: list[ox.Triple], mentioned: set[str], register: str
) -> list[ox.Triple]:
    """``add`` mode: the upload's records in place of their old state, all others kept.

    Dropped from the old graph: the mentioned records' own statements, their source passages
    (``register/table/id``, made again) and the register node (made again with the upload).
    """
    old = list(old)
    passages = {
        tr.object.value
        for tr in old
        if isinstance(tr.subject, ox.NamedNode)
        and tr.subject.value in mentioned
        and tr.predicate.value == DERIVED
        and isinstance(tr.object, ox.NamedNode)
        and tr.object.value.startswith(register + "/")
    }
    gone = mentioned | passages | {register}
    out: dict[ox.Triple, None] = {
        tr: None
        for tr in old
        if not (isinstance(tr.subject, ox.NamedNode) and tr.subject.value in gone)
    }
    out.update(dict.fromkeys(new))
    return list(out)
