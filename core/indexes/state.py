"""What a generation's indexes were built from, kept beside them for the next write.

Why: an incremental index update (:mod:`core.indexes.incremental`) changes only the rows of the
subjects a write touched; it needs the previous generation's complete index input (the rows of
the ``index-*`` queries), its search documents of things and the stable search keys of its
initiatives. Kept as JSON (never pickle: a generation may come from a restored backup, and
reading it must not run code), with a format number: another format means a full rebuild. The
facet rows, involvements and places' contents are read back from the facet index itself (the
bulk of the input).
Each table is its own file (the big ones split by key), so a write writes the parts it changed
and hard-links the rest from the parent; the process that saved a state keeps it for its next
write, found by the token in the head.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.indexes import facets, files, search

#: 5: tables by key may have a recent part (:data:`core.indexes.files.RECENT`), which the code
#: that wrote 4 would not read (it rebuilds on 5); 4 reads as 5 (no recent part).
FORMAT = 5
READ_FORMATS = (4, 5)
STATE_FILE = "kiemen-index-state.json"


@dataclass
class IndexState:
    """The input of one generation's facet index and text index."""

    data: facets.IndexInput
    #: Search documents of everything but initiatives, by IRI.
    things: dict[str, search.SearchDoc]
    #: The text index's ``item`` key of each initiative (stable across incremental updates).
    keys: dict[str, int] = field(default_factory=dict)
    next_key: int = 0
    #: Digest of the meta graph as the indexes saw it: index hooks that run after them write
    #: catalogue records there, which the next write's delta would not show (then: rebuild).
    meta: tuple[int, str] | None = None


def from_build(
    data: facets.IndexInput, docs: list[search.SearchDoc], meta: tuple[int, str] | None
) -> IndexState:
    """The state of a full build, whose text index keys initiatives by their item."""
    things = {d.iri: d for d in docs if d.kind != "initiative"}
    keys = {d.iri: d.item for d in docs if d.kind == "initiative" and d.item is not None}
    return IndexState(data, things, keys, len(keys), meta)


def _doc_json(d: search.SearchDoc) -> list[Any]:
    return [d.kind, d.names, d.texts, d.related]


#: The parts of the state, each its own file in :data:`STATE_DIR`, and the tables (names as in
#: :func:`core.indexes.facets.build`'s ``changed``) whose change means it is written anew.
PARTS: dict[str, tuple[str, ...]] = {
    "places": ("places",),
    "form_scores": ("form_scores",),
    "kinds": ("kinds",),
    "supports": ("supports",),
    "keys": ("items",),
}
#: The big tables, split by key into :data:`core.indexes.files.SHARDS` parts (``NAME.N``) and
#: the rows changed since (``NAME.recent``; the keys as ``NAME#KEY`` in ``changed``).
SHARDED = ("initiatives", "labels", "things")
STATE_DIR = "state"

#: The state each process saved last, by the token of its head: the next write in the same
#: process (the server's) takes it from here instead of reading and parsing every part.
_KEPT: dict[str, IndexState] = {}


def _table(state: IndexState, name: str) -> dict[str, Any]:
    if name == "things":
        return state.things
    table: dict[str, Any] = getattr(state.data, name)
    return table


def _part(state: IndexState, name: str) -> Any:
    if name == "keys":
        return {"keys": state.keys, "next_key": state.next_key}
    return _table(state, name)


def save(
    state: IndexState,
    directory: Path,
    parent: Path | None = None,
    changed: frozenset[str] | None = None,
) -> None:
    """Write ``state`` into ``directory`` (beside its facet index). With ``parent`` and
    ``changed`` (an incremental update), the parts made only of unchanged tables are
    hard-linked from the parent's state instead of written; the head is always new."""
    out = files.Writer(directory, parent if changed is not None else None, parts=STATE_DIR)
    for name, tables in PARTS.items():
        unchanged = changed is not None and not any(t in changed for t in tables)
        if not (unchanged and out.link_part(name)):
            out.save_part(name, _part(state, name))
    for name in SHARDED:
        value = _doc_json if name == "things" else (lambda v: v)
        out.save_sharded(name, _table(state, name), files.changed_keys(changed, name), value)
    token = uuid.uuid4().hex
    head = {
        "format": FORMAT,
        "base": state.data.base,
        "meta": list(state.meta) if state.meta is not None else None,
        "token": token,
    }
    tmp = directory / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(head), encoding="utf-8")
    os.replace(tmp, directory / STATE_FILE)
    _KEPT.clear()
    _KEPT[token] = state


def amend(
    directory: Path,
    labels: dict[str, dict[str, str]],
    kinds: dict[str, int],
    meta: tuple[int, str] | None,
) -> bool:
    """Add ``labels`` and ``kinds`` (counts added) to the state in ``directory`` and set its
    meta digest: the labels go to the table's recent part, the counts' part and a new head are
    written, nothing else; the state kept in memory is dropped. False when there is no
    readable state there (then none is left: the next write rebuilds the indexes in full).

    Why: a load's index build ahead saves the whole state, then learns the names of its
    provenance; saving it all again was 2.3 CPU-s of the 2.5 the index hook took at 4 M
    triples.
    """
    try:
        head = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
        if not isinstance(head, dict) or head.get("format") not in READ_FORMATS:
            return False
        out = files.Writer(directory, None, parts=STATE_DIR)
        if kinds:
            counts = files.load_part(directory, "kinds", STATE_DIR)
            for k, n in kinds.items():
                counts[k] = int(counts.get(k, 0)) + n
            out.save_part("kinds", counts)
        recent = f"labels.{files.RECENT}"  # its rows stand over the parts'
        if labels:
            body: dict[str, Any] = {"rows": {}, "gone": []}
            if files.part_path(directory, recent, STATE_DIR).exists():
                body = files.load_part(directory, recent, STATE_DIR)
            body["rows"].update(labels)
            body["gone"] = [k for k in body["gone"] if k not in labels]
            out.save_part(recent, body)
    except (OSError, ValueError, files.Damaged, KeyError, TypeError, AttributeError):
        (directory / STATE_FILE).unlink(missing_ok=True)
        _KEPT.clear()
        return False
    head["meta"] = list(meta) if meta is not None else None
    head["token"] = uuid.uuid4().hex
    tmp = directory / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(head), encoding="utf-8")
    os.replace(tmp, directory / STATE_FILE)
    _KEPT.clear()
    return True


def _token(directory: Path) -> str | None:
    try:
        head = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(head.get("token")) if isinstance(head, dict) else None


#: The token of a state :func:`warm` could not read (damaged, or of another format).
_UNREADABLE: list[str | None] = [None]


def warm(directory: Path) -> bool:
    """Read the state in ``directory`` ahead of the next write and keep it in memory (as if
    this process had saved it), unless it is kept already; whether one is kept now.

    Why: the write worker (:mod:`core.sparql.engine`) does this while it waits, so that the
    write that comes next finds its parent's state in memory instead of reading it back.
    """
    token = _token(directory)
    if token is None or token == _UNREADABLE[0]:
        return False
    if token in _KEPT:
        return True
    state = load(directory)
    if state is None:
        _UNREADABLE[0] = token  # not read again every time the worker looks
        return False
    if _token(directory) != token:  # another writer published meanwhile
        return False
    _KEPT.clear()
    _KEPT[token] = state
    return True


def forget() -> None:
    """Drop the state kept in memory (the next write reads it from disk)."""
    _KEPT.clear()


def _from_arrays(index: facets.BrowseIndex) -> tuple[dict[str, set[tuple[str, str]]], list[Any]]:
    """Facet rows and involvements as the facet index holds them (only initiatives' rows count,
    and an involvement row counts only for an initiative: the same as the index's input)."""
    items = index.items
    pairs = {}
    for key, facet in index.facets.items():
        values = facet.values
        rows = zip(facet.entry_items.tolist(), facet.fwd_values.tolist(), strict=True)
        if found := {(items[i], values[v]) for i, v in rows}:
            pairs[key] = found
    actors, roles = index.facets["actor"].values, index.facets["role"].values
    involvements = [
        (items[i], actors[a], roles[r], bool(st))
        for i, a, r, st in zip(
            index.inv_item.tolist(),
            index.inv_actor.tolist(),
            index.inv_role.tolist(),
            index.inv_stated.tolist(),
            strict=True,
        )
    ]
    return pairs, involvements


def load(directory: Path) -> IndexState | None:
    """The state kept in ``directory`` (with the facet index there), or None when there is
    none or of another format. The caller may change what it gets (it is not shared)."""
    try:
        head = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(head, dict) or head.get("format") not in READ_FORMATS:
        return None
    kept = _KEPT.pop(str(head.get("token")), None)
    if kept is not None:
        return kept
    try:
        raw = {name: files.load_part(directory, name, STATE_DIR) for name in PARTS}
        for name in SHARDED:
            raw[name] = files.load_sharded(directory, name, STATE_DIR)
        index = facets.open_index(directory)
    except (files.Damaged, facets.IndexMissing):
        return None
    if index.contents is None:
        return None  # an index of an older release: the next write rebuilds it
    pairs, involvements = _from_arrays(index)
    try:
        data = facets.IndexInput(
            base=head["base"],
            initiatives=raw["initiatives"],
            facet_pairs=pairs,
            labels=raw["labels"],
            places=raw["places"],
            form_scores={k: (v[0], v[1]) for k, v in raw["form_scores"].items()},
            involvements=involvements,
            kinds={k: int(n) for k, n in raw["kinds"].items()},
            supports={d: [(k, int(n)) for k, n in v] for d, v in raw["supports"].items()},
            contents=index.contents.rows(),
        )
        things = {
            iri: search.SearchDoc(iri=iri, kind=k, names=nm, texts=tx, related=rel)
            for iri, (k, nm, tx, rel) in raw["things"].items()
        }
        keys = {str(iri): int(n) for iri, n in raw["keys"]["keys"].items()}
        meta = head["meta"]
        seen = (int(meta[0]), str(meta[1])) if meta is not None else None
        return IndexState(data, things, keys, int(raw["keys"]["next_key"]), seen)
    except (KeyError, TypeError, ValueError, IndexError):
        return None
