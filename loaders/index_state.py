"""What a generation's indexes were built from, kept beside them for the next write.

Why: an incremental index update (:mod:`loaders.incremental`) changes only the rows of the
subjects a write touched; it needs the previous generation's complete index input (the rows of
the ``index-*`` queries), its search documents of things and the stable search keys of its
initiatives. Kept as JSON (never pickle: a generation may come from a restored backup, and
reading it must not run code), with a format number: another format means a full rebuild.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import facets, search

FORMAT = 1
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


def from_build(data: facets.IndexInput, docs: list[search.SearchDoc]) -> IndexState:
    """The state of a full build, whose text index keys initiatives by their item."""
    things = {d.iri: d for d in docs if d.kind != "initiative"}
    keys = {d.iri: d.item for d in docs if d.kind == "initiative" and d.item is not None}
    return IndexState(data, things, keys, len(keys))


def _doc_json(d: search.SearchDoc) -> list[Any]:
    return [d.kind, d.names, d.texts, d.related]


def save(state: IndexState, directory: Path) -> None:
    data = state.data
    body = {
        "format": FORMAT,
        "base": data.base,
        "initiatives": data.initiatives,
        "facet_pairs": {k: sorted(v) for k, v in data.facet_pairs.items()},
        "labels": data.labels,
        "places": data.places,
        "form_scores": data.form_scores,
        "involvements": data.involvements,
        "kinds": data.kinds,
        "supports": data.supports,
        "things": {iri: _doc_json(d) for iri, d in state.things.items()},
        "keys": state.keys,
        "next_key": state.next_key,
    }
    tmp = directory / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, directory / STATE_FILE)


def load(directory: Path) -> IndexState | None:
    """The state kept in ``directory``, or None when there is none or of another format."""
    try:
        raw = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return None
    try:
        data = facets.IndexInput(
            base=raw["base"],
            initiatives=raw["initiatives"],
            facet_pairs={k: {(i, v) for i, v in rows} for k, rows in raw["facet_pairs"].items()},
            labels=raw["labels"],
            places=raw["places"],
            form_scores={k: (v[0], v[1]) for k, v in raw["form_scores"].items()},
            involvements=[(i, a, r, bool(s)) for i, a, r, s in raw["involvements"]],
            kinds={k: int(n) for k, n in raw["kinds"].items()},
            supports={d: [(k, int(n)) for k, n in v] for d, v in raw["supports"].items()},
        )
        things = {
            iri: search.SearchDoc(iri=iri, kind=k, names=nm, texts=tx, related=rel)
            for iri, (k, nm, tx, rel) in raw["things"].items()
        }
        keys = {str(iri): int(n) for iri, n in raw["keys"].items()}
        return IndexState(data, things, keys, int(raw["next_key"]))
    except (KeyError, TypeError, ValueError):
        return None
