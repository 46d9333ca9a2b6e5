"""The facet index on disk: a small head, JSON parts and one ``.npy`` file per array.

Why: a write changes a few rows, and the next generation's index must not cost a rewrite of
everything. Each part is its own file, written once and never changed in place, so a part a
write did not change is hard-linked from the parent generation's index (copied where a link
cannot be made); the arrays are memory-mapped read-only when a generation's index is opened.
The head (``facets.json``) names the generation and each array's dtype and shape, and it is
always written new: a missing or mismatched file is refused, never read as a wrong answer.

A big table split by key (:func:`shard`) has one more part, ``NAME.recent``: the rows changed
since its parts were last written whole, and the keys gone. A write of a hundred new rows
touches every one of the 16 parts (a key's part is its hash), so rewriting the parts it
touches meant rewriting the whole table; now it rewrites the recent part alone while that
stays small (:func:`recent_max`), and the parts it would have rewritten once it grows.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

HEAD_FILE = "facets.json"
ARRAYS_DIR = "arrays"
META_DIR = "meta"


#: Big tables of the index state are split by key into this many parts (see :func:`shard`).
SHARDS = 16


def shard(key: str) -> int:
    """The part of a sharded table that holds ``key`` (stable across processes)."""
    return zlib.crc32(key.encode()) % SHARDS


def split(
    table: Mapping[str, Any], shards: Iterable[int], value: Callable[[Any], Any] = lambda v: v
) -> dict[int, dict[str, Any]]:
    """The rows of ``table`` in each of ``shards`` (only those: one pass, none when empty)."""
    out: dict[int, dict[str, Any]] = {n: {} for n in shards}
    if out:
        for key, row in table.items():
            if (n := shard(key)) in out:
                out[n][key] = value(row)
    return out


#: The part of a sharded table that holds the rows changed since its parts were written whole.
RECENT = "recent"


def recent_max(rows: int) -> int:
    """Keys the recent part of a table of ``rows`` may name before the table's parts are
    written whole again: one part's worth, so that a write encodes about two parts' rows on
    average (the recent part, and now and then all 16) instead of every part's."""
    return max(256, rows // SHARDS)


def changed_keys(changed: Iterable[str] | None, name: str) -> list[str] | None:
    """The keys of table ``name`` an incremental update's ``changed`` names (as ``NAME#KEY``;
    see :func:`core.indexes.incremental.patch`); None when there is no ``changed`` (a full
    build: everything is written)."""
    if changed is None:
        return None
    prefix = name + "#"
    return [c[len(prefix) :] for c in changed if c.startswith(prefix)]


class Damaged(Exception):
    """A file of the index is missing or not what the head says."""


def array_path(target: Path, name: str) -> Path:
    """The file of one array of the index in ``target``."""
    return target / ARRAYS_DIR / f"{name}.npy"


#: Elements of a long list encoded at a time by :func:`write_json`.
CHUNK = 4096


def write_json(fh: TextIO, body: Any, chunk: int = CHUNK) -> None:
    """``json.dumps(body, ensure_ascii=False)`` written to ``fh``, the same text, but a long
    list in a dict at the top ``chunk`` elements at a time.

    Why: the list rows of every initiative (``items``) were one string of the whole part and
    its UTF-8 copy: at 4 M triples 124 MB above the rest of the index build, its peak.
    """
    # The index's tables are trees (no container in itself), so the encoder's cycle check, an
    # id() kept and dropped for every dict and list, is left out: about 10 % of the encoding.
    dumps = functools.partial(json.dumps, ensure_ascii=False, check_circular=False)
    if not isinstance(body, dict) or not all(type(k) is str for k in body):
        fh.write(dumps(body))
        return
    fh.write("{")
    for n, (key, value) in enumerate(body.items()):
        fh.write((", " if n else "") + dumps(key) + ": ")
        if type(value) is not list or len(value) <= chunk:
            fh.write(dumps(value))
            continue
        fh.write("[")
        for start in range(0, len(value), chunk):
            piece = dumps(value[start : start + chunk])
            fh.write((", " if start else "") + piece[1:-1])
        fh.write("]")
    fh.write("}")


def part_path(target: Path, name: str, parts: str = META_DIR) -> Path:
    """The file of one JSON part of the index in ``target`` (in its ``parts`` folder)."""
    return target / parts / f"{name}.json"


def shape_of(a: np.ndarray) -> list[Any]:
    return [a.dtype.str, list(a.shape)]


class Writer:
    """Writes one generation's index files into ``target``; reuses the ``parent``'s files of
    parts that did not change (hard links: neither side is ever written in place)."""

    def __init__(self, target: Path, parent: Path | None, parts: str = META_DIR) -> None:
        self.target = target
        self.parent = parent
        self.parts = parts
        self.shapes: dict[str, list[Any]] = {}
        self.parent_shapes: dict[str, Any] = {}
        if parent is not None and (parent / HEAD_FILE).exists():
            self.parent_shapes = dict(json.loads(read_text(parent / HEAD_FILE)).get("arrays", {}))
        (target / parts).mkdir(parents=True, exist_ok=True)

    def save_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        (self.target / ARRAYS_DIR).mkdir(exist_ok=True)
        for name, a in arrays.items():
            # A new file, never the linked one written through: the parent's stays as it was.
            path = array_path(self.target, name)
            tmp = path.with_name(path.name + ".tmp")
            with tmp.open("wb") as fh:
                np.save(fh, a, allow_pickle=False)
            os.replace(tmp, path)
            self.shapes[name] = shape_of(a)

    def save_part(self, name: str, body: Any) -> None:
        tmp = part_path(self.target, name + ".tmp", self.parts)
        with tmp.open("w", encoding="utf-8") as fh:
            write_json(fh, body)
        os.replace(tmp, part_path(self.target, name, self.parts))

    def save_rows(self, name: str, head: dict[str, Any], key: str, rows: Sequence[str]) -> None:
        """Write part ``name``: ``head``'s entries, then ``key``, a list whose elements are
        ``rows`` (each its JSON text), one a line. It reads as any part; the next write takes
        the rows it keeps as their text (:meth:`parent_rows`) instead of decoding the whole
        part and encoding it again (the list rows of 20,000 initiatives: 11 MB, ~0.3 CPU-s)."""
        if not head:
            raise ValueError("a part of rows needs a head")
        tmp = part_path(self.target, name + ".tmp", self.parts)
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps(head, ensure_ascii=False)[:-1] + _rows_mark(key) + "\n")
            for start in range(0, len(rows), CHUNK):
                fh.write((",\n" if start else "") + ",\n".join(rows[start : start + CHUNK]))
            fh.write("\n]}")
        os.replace(tmp, part_path(self.target, name, self.parts))

    def parent_rows(self, name: str, key: str) -> tuple[dict[str, Any], list[str]]:
        """The parent's part ``name`` as its head and the JSON text of each element of its
        list ``key``: as :meth:`save_rows` wrote it, split by lines; a part written whole is
        decoded, and its rows encoded again (:class:`Damaged`: missing or not such a part)."""
        assert self.parent is not None
        path = part_path(self.parent, name, self.parts)
        try:
            text = read_text(path)
        except OSError as exc:
            raise Damaged(f"{path}: {exc}") from exc
        first, _newline, rest = text.partition("\n")
        mark = _rows_mark(key)
        try:
            if first.endswith(mark) and rest.endswith("\n]}"):
                head = json.loads(first[: -len(mark)] + "}")
                body = rest[: -len("\n]}")]
                return head, body.split(",\n") if body else []
            whole = json.loads(text)
            found = whole.pop(key)
            if not isinstance(found, list):
                raise TypeError(f"{key} is no list")
            return whole, [json.dumps(row, ensure_ascii=False) for row in found]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Damaged(f"{path}: {exc}") from exc

    def link_arrays(self, names: Iterable[str]) -> bool:
        """Take these arrays from the parent as they are; False when it lacks one, or one is
        not what its head says (then they are computed: a damaged file is not passed on)."""
        names = list(names)
        if self.parent is None or any(n not in self.parent_shapes for n in names):
            return False
        try:
            load_arrays(self.parent, {n: self.parent_shapes[n] for n in names})
        except Damaged:
            return False
        (self.target / ARRAYS_DIR).mkdir(exist_ok=True)
        for name in names:
            _link(array_path(self.parent, name), array_path(self.target, name))
            self.shapes[name] = list(self.parent_shapes[name])
        return True

    def parent_arrays(self, names: Iterable[str]) -> dict[str, np.ndarray]:
        """Arrays of the parent's index, memory-mapped read-only (:class:`Damaged`: missing,
        or not what its head says)."""
        if self.parent is None:
            raise Damaged("no parent index")
        names = list(names)
        if missing := [n for n in names if n not in self.parent_shapes]:
            raise Damaged(f"{self.parent} lacks {missing}")
        return load_arrays(self.parent, {n: self.parent_shapes[n] for n in names})

    def save_sharded(
        self,
        name: str,
        table: Mapping[str, Any],
        changed: Iterable[str] | None,
        value: Callable[[Any], Any] = lambda v: v,
        keep: Callable[[str, Any], bool] = lambda _k, _v: True,
    ) -> None:
        """Write ``table`` (its rows with ``keep``, each as ``value``) split by key into parts
        ``NAME.0`` ... and ``NAME.recent``. ``changed``: the keys whose rows may differ from
        the parent's (None: unknown); then the parent's parts are linked and only the recent
        part is written, or, once that would name more than :func:`recent_max` keys, the parts
        those keys fall in are written whole (and no recent part)."""
        linked: set[int] = set()
        dirty = set(range(SHARDS))
        recent = self._parent_recent(name) if changed is not None else None
        if recent is not None and changed is not None:
            keys = recent | set(changed)
            linked = {n for n in range(SHARDS) if self.link_part(f"{name}.{n}")}
            if (
                len(linked) == SHARDS
                and not changed
                and (not recent or self.link_part(f"{name}.{RECENT}"))
            ):
                return  # the parent's table as it is
            if len(keys) <= recent_max(len(table)) and len(linked) == SHARDS:
                rows, gone = {}, []
                for key in sorted(keys):
                    if key in table and keep(key, table[key]):
                        rows[key] = value(table[key])
                    else:
                        gone.append(key)
                self.save_part(f"{name}.{RECENT}", {"rows": rows, "gone": gone})
                return
            dirty = {shard(k) for k in keys} | (dirty - linked)
        for n, rows in split(table, dirty).items():
            if n in linked:  # a new file in its place, never the linked one written through
                part_path(self.target, f"{name}.{n}", self.parts).unlink()
            body = {k: value(v) for k, v in rows.items() if keep(k, v)}
            self.save_part(f"{name}.{n}", body)

    def _parent_recent(self, name: str) -> set[str] | None:
        """The keys the parent's recent part of ``name`` names (none when its parts are whole;
        None: no parent, or its recent part unreadable)."""
        if self.parent is None:
            return None
        if not part_path(self.parent, f"{name}.{RECENT}", self.parts).exists():
            return set()
        try:
            body = load_part(self.parent, f"{name}.{RECENT}", self.parts)
            return {str(k) for k in body["rows"]} | {str(k) for k in body["gone"]}
        except (Damaged, KeyError, TypeError):
            return None

    def link_part(self, name: str) -> bool:
        if self.parent is None or not part_path(self.parent, name, self.parts).exists():
            return False
        _link(part_path(self.parent, name, self.parts), part_path(self.target, name, self.parts))
        return True

    def parent_part(self, name: str) -> Any:
        assert self.parent is not None
        return load_part(self.parent, name, self.parts)

    def finish(self, head: dict[str, Any]) -> None:
        body = {**head, "arrays": self.shapes}
        (self.target / HEAD_FILE).write_text(json.dumps(body), encoding="utf-8")


def _rows_mark(key: str) -> str:
    """What ends the first line of a part of rows (:meth:`Writer.save_rows`)."""
    return f", {json.dumps(key)}: ["


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another filesystem, or links not allowed: a copy is the same file
        shutil.copyfile(src, dst)


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_arrays(directory: Path, shapes: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The arrays the head lists, memory-mapped read-only; :class:`Damaged` when one is missing
    or not what the head says (a partly copied or mixed-up index).

    Each is handed out as a plain ``ndarray`` view of its ``np.memmap`` (still the mapped pages):
    every slice of a ``memmap`` runs its Python ``__getitem__`` and ``__array_finalize__``, and
    a map or network answer takes tens of thousands of slices (~5 ms of 25 at 200,000
    initiatives)."""
    arrays: dict[str, np.ndarray] = {}
    for name, (dtype, shape) in shapes.items():
        path = array_path(directory, name)
        try:
            a = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise Damaged(f"{path}: {exc}") from exc
        if a.dtype.str != dtype or list(a.shape) != list(shape):
            raise Damaged(f"{path} holds {a.dtype.str} {list(a.shape)}, not {dtype} {shape}")
        arrays[name] = a.view(np.ndarray)
    return arrays


def load_sharded(directory: Path, name: str, parts: str = META_DIR) -> dict[str, Any]:
    """A table :meth:`Writer.save_sharded` wrote: its parts, then its recent part over them."""
    table: dict[str, Any] = {}
    for n in range(SHARDS):
        table.update(load_part(directory, f"{name}.{n}", parts))
    if part_path(directory, f"{name}.{RECENT}", parts).exists():
        body = load_part(directory, f"{name}.{RECENT}", parts)
        try:
            for key in body["gone"]:
                table.pop(key, None)
            table.update(body["rows"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Damaged(f"{directory}: the recent part of {name} is not one") from exc
    return table


def load_part(directory: Path, name: str, parts: str = META_DIR) -> Any:
    path = part_path(directory, name, parts)
    try:
        return json.loads(read_text(path))
    except (OSError, ValueError) as exc:
        raise Damaged(f"{path}: {exc}") from exc
