"""Incremental index update: facets, sort keys and search for what a write changed.

Why: rebuilding the indexes reads the whole store back (~70 k statements a second), so a
one-triple write on a million triples took many seconds. A write that knows its delta (the quads
it added and removed) hands it to :func:`update`, which starts from the parent generation's
index input (:mod:`core.indexes.state`) and recomputes only the rows of the subjects whose
answers can have changed:

* the *changed* subjects: those of the delta's quads whose predicate an index query reads;
* everything that reads a changed subject's statements, found by walking the index predicates
  backwards (an initiative reads its places, their places, their names...) and forwards along
  ``km:initiative`` (an initiative reads its involvements), in the store before and after;
* the other involvements of an affected initiative (involvement rows are a set over them).

Those subjects are evaluated twice with :func:`core.indexes.build.evaluate` (the load path's
evaluator, held to the stored queries by tests), over the store before and after the write (the
"before" is the store after, with the delta undone), and the difference patches the parent's
input. The facet index is written from the patched input part by part: what the changed tables
do not reach is hard-linked from the parent's files, a changed facet is patched from the
parent's arrays (:func:`core.indexes.facets.build`); the text index is a hard-linked copy of the
parent's where only changed documents are replaced.

Anything out of the ordinary -- no delta, no usable parent state, a walk reaching more than
:data:`MAX_AFFECTED` subjects (a renamed class or a province everything lies in) -- falls back
to the full rebuild, which is the reference: tests/test_incremental_indexes.py compares both.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyoxigraph as ox
import tantivy

from core import digests
from core.effects import Delta, parent_of
from core.indexes import build as indexes
from core.indexes import facets, search
from core.indexes import state as index_state
from core.indexes.state import IndexState
from core.store import Generation, KiemenStore, graph_iri
from core.write.provenance import META_GRAPH

#: Subjects one incremental update may re-evaluate; beyond this a full rebuild is cheaper.
MAX_AFFECTED = 5_000
#: Quads a delta may hold; a larger write rebuilds (a load, a big graph replaced).
MAX_DELTA = 200_000
BLANK = "_:store:"


#: The delta of the generation being written, set by :func:`expect` for :func:`index_hook`.
_DELTAS: dict[Path, Delta] = {}


def expect(gen: Generation, delta: Delta | None) -> None:
    """Tell the index hook what the write on ``gen`` changed (None: unknown, rebuild)."""
    if delta is None:
        _DELTAS.pop(gen.path, None)
    else:
        _DELTAS[gen.path] = delta


def index_hook(gen: Generation, kstore: KiemenStore) -> None:
    """The INDEX_HOOKS entry: incremental when the write said what it changed, else full."""
    delta = _DELTAS.pop(gen.path, None)
    if delta is not None and update(gen, kstore, delta):
        return
    indexes.build_indexes(gen, kstore)


#: Beside the index state: the meta graph's digest once every hook has written (see :func:`seal`).
SEALED_FILE = "meta-sealed.json"


def seal(gen: Generation, kstore: KiemenStore) -> None:
    """Record the meta graph as ``gen`` publishes it, beside its index state.

    The next write's delta is taken against this generation, so its incremental update is exact
    only if the index state saw the same meta graph: write records and catalogue records a hook
    wrote before the indexes are in it, anything written after them makes the digests differ
    (then that write rebuilds). Comparing two digests replaces reading the meta graph again.
    """
    if not (gen.search_dir / index_state.STATE_FILE).exists():
        return
    meta = digests.digest(gen.store, graph_iri(kstore.settings, META_GRAPH).value)
    tmp = gen.search_dir / (SEALED_FILE + ".tmp")
    tmp.write_text(json.dumps(list(meta)), encoding="ascii")
    os.replace(tmp, gen.search_dir / SEALED_FILE)


def sealed(directory: Path) -> tuple[int, str] | None:
    """The digest :func:`seal` kept in ``directory`` (None: none, or unreadable)."""
    try:
        count, digest = json.loads((directory / SEALED_FILE).read_text(encoding="ascii"))
        return int(count), str(digest)
    except (OSError, ValueError, TypeError):
        return None


def warm(kstore: KiemenStore) -> bool:
    """Keep the published generation's index state in memory for the next write in this
    process (see :func:`core.indexes.state.warm`); whether it is kept."""
    current = kstore.current_generation()
    return current is not None and index_state.warm(current / "search")


# -- the store before and after, as subject records ------------------------------------------
def _key(term: Any) -> str | None:
    if type(term) is ox.NamedNode:
        return str(term.value)
    if type(term) is ox.BlankNode:
        return BLANK + term.value
    return None


def _term(key: str) -> ox.NamedNode | ox.BlankNode:
    if key.startswith(BLANK):
        return ox.BlankNode(key[len(BLANK) :])
    return ox.NamedNode(key)


def _packed(o: Any) -> Any:
    if type(o) is ox.NamedNode:
        return o.value
    if type(o) is ox.BlankNode:
        return BLANK + o.value
    return o


class View:
    """The store after the write (``undo`` False) or before it (the delta undone)."""

    def __init__(self, store: ox.Store, delta: Delta, predicates: frozenset[str], undo: bool):
        self.store = store
        self.predicates = predicates
        self.minus = Counter(delta.added if undo else ())
        self.plus: dict[Any, list[ox.Quad]] = defaultdict(list)
        self.plus_by_object: dict[Any, list[ox.Quad]] = defaultdict(list)
        for q in delta.removed if undo else ():
            self.plus[q.subject].append(q)
            self.plus_by_object[q.object].append(q)
        #: Records read so far: :func:`affected` reads a seed's up to twice and the evaluation
        #: once more (the store does not change while the indexes are updated).
        self.records: dict[str, list[Any]] = {}

    def _quads(self, found: Iterable[ox.Quad], extra: list[ox.Quad]) -> Iterator[ox.Quad]:
        for q in found:
            if q.predicate.value in self.predicates and not (self.minus and q in self.minus):
                yield q
        for q in extra:
            if q.predicate.value in self.predicates:
                yield q

    def record(self, key: str) -> list[Any]:
        """The subject's statements with index predicates, packed as the load path packs them
        (read once: callers do not change it)."""
        found = self.records.get(key)
        if found is not None:
            return found
        s = _term(key)
        out: list[Any] = []
        for q in self._quads(self.store.quads_for_pattern(s, None, None), self.plus.get(s, [])):
            out += (q.predicate.value, _packed(q.object))
        self.records[key] = out
        return out

    def referrers(self, key: str, only: str | None = None, skip: str | None = None) -> set[str]:
        """Subjects with an index statement whose object is ``key`` (``only``: with that
        predicate; ``skip``: not counting that predicate)."""
        o = _term(key)
        found = self.store.quads_for_pattern(None, ox.NamedNode(only) if only else None, o)
        out = set()
        for q in self._quads(found, self.plus_by_object.get(o, [])):
            p = q.predicate.value
            if (only is None or p == only) and p != skip and (k := _key(q.subject)):
                out.add(k)
        return out

    def initiatives_of(self, key: str, initiative_p: str) -> set[str]:
        """The IRIs ``key`` names with ``km:initiative`` (an involvement's initiative)."""
        return {i for i in indexes._objects(self.record(key), initiative_p) if type(i) is str}


class _Records(dict[str, list[Any]]):
    """The seed subjects' records; any other subject is read from the view when asked for."""

    def __init__(self, view: View, seeds: Iterable[str]) -> None:
        super().__init__((k, view.record(k)) for k in seeds)
        self.view = view
        self.more: dict[str, list[Any]] = {}

    def get(self, key: str, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        found = self.more.get(key)
        if found is None:
            found = self.more[key] = self.view.record(key)
        return found


# -- which subjects to evaluate ----------------------------------------------------------------
def affected(views: tuple[View, View], changed: set[str], initiative_p: str) -> set[str] | None:
    """Changed subjects, all that read them, and the involvements of affected initiatives;
    None when there are more than :data:`MAX_AFFECTED`."""
    seen = set(changed)
    todo = list(changed)
    while todo:
        key = todo.pop()
        found: set[str] = set()
        for view in views:
            found |= view.referrers(key, skip=initiative_p)
            found |= view.initiatives_of(key, initiative_p)
        for k in found - seen:
            seen.add(k)
            todo.append(k)
        if len(seen) > MAX_AFFECTED:
            return None
    # An affected initiative reads all its involvements (evaluate lists them from the seeds),
    # and its involvement rows are a set over them: every involvement of one is a seed too.
    targets = set(seen)
    for key in seen:
        for view in views:
            targets |= view.initiatives_of(key, initiative_p)
    seen |= targets
    for t in targets:
        for view in views:
            seen |= view.referrers(t, initiative_p)
        if len(seen) > MAX_AFFECTED:
            return None
    return seen


# -- patching the parent's input ------------------------------------------------------------
def _supports_counter(supports: dict[str, list[tuple[str, int]]]) -> Counter[tuple[str, str]]:
    return Counter({(d, k): n for d, rows in supports.items() for k, n in rows})


def _replace(table: dict[str, Any], seeds: set[str], fresh: dict[str, Any]) -> set[str]:
    """Replace the seeds' rows of ``table`` by ``fresh``; the keys whose rows that changed."""
    was = {k: table.pop(k) for k in seeds if k in table}
    table.update(fresh)
    return {k for k in was.keys() | fresh.keys() if was.get(k) != fresh.get(k)}


def patch(
    state: IndexState,
    seeds: set[str],
    old: facets.IndexInput,
    new: facets.IndexInput,
    new_docs: list[search.SearchDoc],
    old_rows: dict[str, set[tuple[str, str]]],
) -> frozenset[str]:
    """Replace the seeds' rows in ``state`` by ``new`` (``old``: their rows before the write,
    ``old_rows`` their facet rows in ``state``); which tables that changed (the names
    :func:`core.indexes.facets.build` takes)."""
    data = state.data
    items = set(data.initiatives)
    info = {k: facets.info_row(data.initiatives[k]) for k in seeds if k in data.initiatives}
    changed: set[str] = set()
    for name, table, now in (
        ("initiatives", data.initiatives, new.initiatives),
        ("labels", data.labels, new.labels),
        ("places", data.places, new.places),
        ("form_scores", data.form_scores, new.form_scores),
        ("things", state.things, {d.iri: d for d in new_docs if d.kind != "initiative"}),
    ):
        if keys := _replace(table, seeds, now):
            changed.add(name)
            changed |= {f"{name}#{k}" for k in keys}
    if set(data.initiatives) != items:
        changed.add("items")
    if info != {k: facets.info_row(data.initiatives[k]) for k in seeds if k in data.initiatives}:
        changed.add("info")
    for key in set(data.facet_pairs) | set(new.facet_pairs):
        rows = data.facet_pairs.get(key, set())
        fresh = new.facet_pairs.get(key, set())
        if old_rows.get(key, set()) == fresh:
            continue
        changed.add(f"pairs:{key}")
        # old_rows[key]: exactly the seeds' rows of ``rows`` (a set difference, not a scan)
        if kept := (rows - old_rows.get(key, set())) | fresh:
            data.facet_pairs[key] = kept
        else:
            data.facet_pairs.pop(key, None)
    if old.contents != new.contents and _patch_contents(data.contents, seeds, new.contents):
        changed.add("contents")
    touched = {t[0] for t in old.involvements} | {t[0] for t in new.involvements}
    fresh_inv = set(new.involvements)
    if {t for t in data.involvements if t[0] in touched} != fresh_inv:
        changed.add("involvements")
        rest = [t for t in data.involvements if t[0] not in touched]
        # the parent's rows are sorted (as the index holds them) and unique, the seeds' fresh
        # rows are none of them: two sorted runs, which a sort merges in one pass (a sort of
        # every row again took ~0.06 CPU-s at 20,000 initiatives)
        rest.extend(sorted(fresh_inv))
        rest.sort()
        data.involvements = rest
    kinds = Counter(data.kinds)
    kinds.update(new.kinds)
    kinds.subtract(old.kinds)
    if (counted := {k: n for k, n in kinds.items() if n > 0}) != data.kinds:
        changed.add("kinds")
        data.kinds = counted
    supports = _supports_counter(data.supports)
    supports.update(_supports_counter(new.supports))
    supports.subtract(_supports_counter(old.supports))
    if (found := indexes._supports(+supports)) != data.supports:
        changed.add("supports")
        data.supports = found
    return frozenset(changed)


def _patch_contents(
    table: dict[str, set[tuple[str, str]]], seeds: set[str], new: dict[str, set[tuple[str, str]]]
) -> bool:
    """Replace the seeds' rows of the places' contents by ``new`` (a row is its thing's, so
    evaluating the seeds gives all of theirs); whether any row changed. Called only when the
    seeds' rows before and after the write differ (as with kinds and supports, the parent's
    input is taken to hold the rows before): a write that moves nothing skips the pass over
    every row (~50 ms at 100,000 actors)."""
    changed = False
    for relation in set(table) | set(new):
        rows = table.get(relation, set())
        kept = {r for r in rows if r[0] not in seeds}
        fresh = new.get(relation, set())
        if len(kept) + len(fresh) == len(rows) and fresh <= rows:
            continue  # the seeds' rows are the same as before
        changed = True
        if kept | fresh:
            table[relation] = kept | fresh
        else:
            table.pop(relation, None)
    return changed


def initiative_docs(
    data: facets.IndexInput, chosen: Iterable[str], rows: dict[str, set[tuple[str, str]]]
) -> dict[str, search.SearchDoc]:
    """The search documents of the ``chosen`` initiatives, as a full build writes them
    (``rows``: facet rows that include all of theirs)."""
    wanted = set(chosen) & data.initiatives.keys()
    sub = facets.IndexInput(
        base=data.base,
        initiatives={i: data.initiatives[i] for i in wanted},
        facet_pairs={
            k: {p for p in rows.get(k, set()) if p[0] in wanted} for k in indexes.RELATED_FACETS
        },
        labels=data.labels,
        places={},
        form_scores={},
        involvements=[],
        kinds={},
    )
    return {d.iri: d for d in indexes._search_docs(sub, {})}


# -- the update ------------------------------------------------------------------------------
def _same(a: search.SearchDoc | None, b: search.SearchDoc | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.kind, a.names, a.texts, a.related) == (b.kind, b.names, b.texts, b.related)


def _link_copy(src: Path, dst: Path) -> None:
    """Copy a tantivy directory: segment files never change, so they are hard-linked."""
    dst.mkdir(parents=True)
    for entry in src.iterdir():
        if not entry.is_file() or entry.name.startswith(".tantivy"):
            continue
        if entry.name.endswith(".json") or entry.suffix == ".npy":
            shutil.copyfile(entry, dst / entry.name)
        else:
            try:
                os.link(entry, dst / entry.name)
            except OSError:
                shutil.copyfile(entry, dst / entry.name)


def update(gen: Generation, kstore: KiemenStore, delta: Delta) -> bool:
    """Update ``gen``'s indexes from its parent's and ``delta``; False when it cannot."""
    parent = parent_of(gen)
    if parent is None or len(delta) > MAX_DELTA:
        return False
    state = index_state.load(parent / "search")
    base = kstore.settings.base_uri
    if state is None or state.data.base != base:
        return False
    if state.meta is None or state.meta != sealed(parent / "search"):
        return False  # a hook wrote into the meta graph after the parent's indexes were built
    predicates = indexes.index_predicates(base)
    changed = {
        k
        for q in (*delta.added, *delta.removed)
        if q.predicate.value in predicates and (k := _key(q.subject))
    }
    after = View(gen.store, delta, predicates, undo=False)
    before = View(gen.store, delta, predicates, undo=True)
    initiative_p = base + "def/initiative"
    seeds = affected((before, after), changed, initiative_p) if changed else set()
    if seeds is None:
        return False
    old_data, _old_docs = indexes.evaluate(kstore, _Records(before, seeds))
    new_data, new_docs = indexes.evaluate(kstore, _Records(after, seeds))
    old_initiatives = set(state.data.initiatives)
    old_items = sorted(old_initiatives)
    # Facet rows are initiatives' (every build makes them over its initiatives), so only the
    # seeds that were initiatives have rows to find: an upload of new ones skips the scan of
    # every facet row (~0.08 CPU-s at 20,000 initiatives).
    had = seeds & old_initiatives
    old_rows = (
        {k: {p for p in v if p[0] in had} for k, v in state.data.facet_pairs.items()} if had else {}
    )
    parent_docs = initiative_docs(state.data, seeds, old_rows)
    old_things = {k: state.things[k] for k in seeds if k in state.things}
    tables = patch(state, seeds, old_data, new_data, new_docs, old_rows)
    data = state.data
    now_docs = initiative_docs(data, seeds, new_data.facet_pairs)
    target = gen.path / "search.incremental"
    if target.exists():
        shutil.rmtree(target)
    parent_index = parent / "search"
    name = indexes.generation_name(gen)
    change = facets.Change(parent_index, tables, seeds, new_data.facet_pairs, old_items)
    facets.build(data, target, generation=name, change=change)
    text = target / search.TEXT_DIR
    _link_copy(parent / "search" / search.TEXT_DIR, text)
    # The documents that differ: things and initiatives among the seeds, old or new.
    replace: list[tuple[search.SearchDoc | None, search.SearchDoc | None]] = []
    for key in sorted(seeds):
        was = parent_docs.get(key) or old_things.get(key)
        now = now_docs.get(key) or state.things.get(key)
        if not _same(was, now):
            replace.append((was, now))
    items = sorted(data.initiatives)
    for iri in set(data.initiatives) - old_initiatives:
        state.keys[iri] = state.next_key
        state.next_key += 1
    for iri in old_initiatives - set(data.initiatives):
        state.keys.pop(iri, None)
    vocabulary = _vocabulary(text)
    index = tantivy.Index.open(str(text))
    writer = index.writer(heap_size=32_000_000, num_threads=1)
    for was, now in replace:
        if was is not None:
            writer.delete_documents_by_term("iri", was.iri)
            vocabulary.subtract(search.doc_words(was))
        if now is not None:
            writer.add_document(search.document(now, state.keys.get(now.iri)))
            vocabulary.update(search.doc_words(now))
    writer.commit()
    writer.wait_merging_threads()
    search.write_vocabulary(text, vocabulary)
    item_map = np.full(state.next_key, -1, dtype=np.int32)
    for n, iri in enumerate(items):
        item_map[state.keys[iri]] = n
    np.save(text / search.ITEM_MAP, item_map)
    state.meta = digests.digest(gen.store, graph_iri(kstore.settings, META_GRAPH).value)
    index_state.save(state, target, parent=parent_index, changed=tables)
    if gen.search_dir.exists():
        shutil.rmtree(gen.search_dir)
    target.rename(gen.search_dir)
    return True


def _vocabulary(directory: Path) -> Counter[str]:
    """The word counts a text index's corrections use (see :func:`core.indexes.search.build`)."""
    path = directory / search.VOCABULARY
    if not path.exists():
        return Counter()
    return Counter({str(w): int(n) for w, n in json.loads(path.read_text(encoding="utf-8"))})
