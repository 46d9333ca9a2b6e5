"""The map API's answer as text joined from JSON fragments made once per index and language.

Why: at 200,000 initiatives a map answer holds ~400 places and ~2,000 example initiatives;
building a dict for each, adding its page URL and encoding them all with ``json.dumps`` was
most of the answer's time (issue 18, item 4: 20-28 ms at p95 against 20 ms). Here each
place's and each example's JSON (names in the visitor's language, page URLs) is made once per
index (a generation) and language, then joined. The text is the one ``jsonify`` makes of the
same value with Flask's default provider (keys sorted, compact, ASCII); for any other JSON
settings (debug mode indents) :func:`joinable` says no and the view encodes the plain value.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from json.encoder import encode_basestring_ascii as quote
from typing import cast

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from core.config import Settings
from core.indexes.facets import BrowseIndex, MapSelection, pick
from portal import resource

#: Example initiatives whose JSON is kept per index and language (~300 bytes each with the
#: memo's entry, ~10 MB in all); past it the memo starts again. One answer shows at most five
#: per place (~2,200 at 200,000 initiatives), so it holds the examples of many filters.
MEMO_MAX = 1 << 15
#: Indexes and languages whose fragments are kept: the current generation's in both languages
#: and the one before (a new generation brings a new index, and new fragments).
KEPT = 4


def joinable(app: Flask) -> bool:
    """Whether ``jsonify`` would write sorted keys, ASCII and no spaces (the joined form)."""
    provider = app.json
    return (
        type(provider) is DefaultJSONProvider
        and provider.sort_keys
        and provider.ensure_ascii
        and (provider.compact is True or (provider.compact is None and not app.debug))
    )


def url(path: str | None) -> str | None:
    """A page path as the API's ``page_url`` (None: the thing has no page of its own)."""
    return "/page/" + path if path else None


class Fragments:
    """The JSON of the places and example initiatives of one index in one language."""

    def __init__(self, index: BrowseIndex, lang: str, settings: Settings) -> None:
        self.index = index
        self.lang = lang
        self.path_of: Callable[[str], str | None] = resource.page_paths(settings)
        self.places: dict[int, str] = {}
        self.examples: dict[int, str] = {}

    def place(self, value: int) -> str:
        """A point's members after ``count`` and ``initiatives``, in key order, and its ``}``."""
        found = self.places.get(value)
        if found is None:
            iri = self.index.facets["spatial"].values[value]
            place = self.index.places[iri]
            rest = {
                "label": self.index.label(iri, self.lang),
                "lat": place["lat"],
                "long": place["long"],
                "page_url": url(self.path_of(iri)),
                "place": iri,
            }
            found = json.dumps(rest, sort_keys=True, separators=(",", ":"))[1:]
            self.places[value] = found
        return found

    def example(self, item: int) -> str:
        """One example initiative as ``{"iri":…,"label":…,"page_url":…}``."""
        found = self.examples.get(item)
        if found is None:
            iri = self.index.items[item]
            label = pick(self.index.info[item].get("label"), self.lang)
            page = url(self.path_of(iri))
            found = (
                f'{{"iri":{quote(iri)},"label":{quote(label)},'
                f'"page_url":{"null" if page is None else quote(page)}}}'
            )
            if len(self.examples) >= MEMO_MAX:
                self.examples.clear()
            self.examples[item] = found
        return found

    def rows(self, chosen: MapSelection) -> str:
        """The ``rows`` list of an answer: one point per chosen place, in its order."""
        items = chosen.examples.tolist()
        found = list(map(self.examples.get, items))  # one C loop when all are known
        examples = (
            cast(list[str], found)
            if None not in found
            else [e or self.example(i) for e, i in zip(found, items, strict=True)]
        )
        places = chosen.places.tolist()
        found = list(map(self.places.get, places))
        tails = (
            cast(list[str], found)
            if None not in found
            else [t or self.place(v) for t, v in zip(found, places, strict=True)]
        )
        bounds = chosen.indptr.tolist()
        return ",".join(
            f'{{"count":{n},"initiatives":[{",".join(examples[bounds[k] : bounds[k + 1]])}],{tail}'
            for k, (n, tail) in enumerate(zip(chosen.counts.tolist(), tails, strict=True))
        )


_KEPT: dict[tuple[int, str, str, str, str], Fragments] = {}
_KEPT_LOCK = threading.Lock()


def fragments(index: BrowseIndex, lang: str, settings: Settings) -> Fragments:
    """The fragments of ``index`` in ``lang`` (made on first use, kept while it is current)."""
    key = (id(index), lang, settings.id_ns, settings.def_ns, settings.graph_ns)
    found = _KEPT.get(key)
    if found is not None and found.index is index:  # an id is reused only after the index went
        return found
    with _KEPT_LOCK:
        found = _KEPT.get(key)
        if found is None or found.index is not index:
            found = Fragments(index, lang, settings)
            _KEPT.pop(key, None)
            while len(_KEPT) >= KEPT:
                del _KEPT[next(iter(_KEPT))]
            _KEPT[key] = found
    return found


def body(
    index: BrowseIndex,
    chosen: MapSelection,
    lang: str,
    settings: Settings,
    total: int,
    sparql_url: str,
) -> str:
    """The whole answer, as ``jsonify`` writes it (with its closing newline)."""
    rows = fragments(index, lang, settings).rows(chosen)
    return (
        f'{{"count":{total},"next":null,"next_url":null,"ok":true,"rows":[{rows}],'
        f'"sparql_url":{quote(sparql_url)},"truncated":false}}\n'
    )
