"""One list of initiatives as the browser, the map, the network and the JSON API see it.

:func:`listing` turns request arguments (facet values, text, sort, page or keyset cursor) into
rows, a total, facet results with toggle links, and the SPARQL that gives the same answer — all
from the precomputed index (:mod:`core.indexes.facets`) and the text index
(:mod:`core.indexes.search`), never from a query per request. The HTML views and the API share
it, so they cannot disagree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import numpy as np

from core.config import Settings
from core.indexes import facets, search
from core.indexes.facets import BrowseIndex
from core.store import KiemenStore
from portal import errors, longlived
from portal.i18n import N_, t
from queries import QueryParameterError, get_query

#: Facet values shown before "more", and after it.
FACET_SHOWN = 12
MORE_SHOWN = 200
#: Most matches of a text query that are ordered by score; in relevance order the matches
#: beyond the best ones follow in the list's own item order. The list holds every match.
MAX_RANKED = 100_000
#: Hits asked of the text index at first for a page in relevance order, at least.
RANKED_FIRST = 64


class BadRequest(ValueError):
    """A parameter the list cannot use (answered with 400 and the one error shape)."""


def browse_index(kstore: KiemenStore) -> BrowseIndex:
    gen = kstore.current_generation()
    if gen is None:
        kstore.initialise()
        gen = kstore.current_generation()
    assert gen is not None
    return longlived.settle(facets.for_directory(gen / "search"))


def text_index(kstore: KiemenStore) -> search.TextIndex:
    gen = kstore.current_generation()
    assert gen is not None
    directory = gen / "search" / search.TEXT_DIR
    if not directory.exists():
        raise facets.IndexMissing(f"no text index in {gen}; run kiemen load")
    return longlived.settle(search.for_directory(directory))


# -- SPARQL behind a list ----------------------------------------------------------------------


def bind_many(settings: Settings, name: str, params: Mapping[str, Sequence[str]]) -> str:
    """A stored query's text with several values per parameter, each validated as an RDF term
    and written into the query's ``# @values ?name`` marker (the convention of queries/)."""
    stored = get_query(name)
    text = stored.text
    for p in stored.parameters:
        marker = re.compile(rf"^[ \t]*#[ \t]*@values[ \t]+\?{re.escape(p.name)}[ \t]*$", re.M)
        values = [v for v in params.get(p.name, ()) if v not in (None, "")]
        if not values:
            if p.required:
                raise QueryParameterError(f"query {name!r} needs parameter {p.name!r}")
            text = marker.sub("", text)
            continue
        terms = " ".join(str(stored.term(p, v, settings.rebase)) for v in values)
        if not marker.search(text):
            raise QueryParameterError(f"query {name!r} has no @values marker for {p.name!r}")
        text = marker.sub(f"  VALUES ?{p.name} {{ {terms} }}", text)
    if settings.base_uri != settings.canonical_base:
        text = text.replace(settings.canonical_base, settings.base_uri)
    return text


def sparql_url(text: str) -> str:
    """A link that opens the query page with ``text`` in the editor."""
    return "/sparql?query=" + quote(text, safe="")


def sparql_link(settings: Settings, name: str, params: Mapping[str, Sequence[str]]) -> str:
    """A short link that redirects to the query page with the stored query ``name`` bound to
    ``params`` (pages stay small; the redirect builds the text with :func:`bind_many`)."""
    get_query(name)  # fail early on a name that is not a stored query
    pairs = [(k, v) for k, vs in params.items() for v in vs if v not in (None, "")]
    return f"/browse/sparql/{name}" + ("?" + urlencode(pairs) if pairs else "")


# -- the list ------------------------------------------------------------------------------------


@dataclass
class FacetValue:
    value: str
    token: str
    label: str
    count: int
    selected: bool
    toggle_url: str


@dataclass
class FacetResult:
    key: str
    values: list[FacetValue]
    truncated: bool
    more_url: str | None
    sparql_url: str
    selected: int


@dataclass
class Listing:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    size: int
    sort: str
    q: str
    chosen: dict[str, list[str]]
    facets: list[FacetResult]
    next_cursor: int | None
    params: dict[str, list[str]]
    sparql_url: str
    mask: np.ndarray | None = field(repr=False, default=None)
    #: The query as searched when unknown words were corrected ("showing results for …").
    corrected: str | None = None

    def url(self, path: str, **changes: Any) -> str:
        return url_with(path, self.params, **changes)


def url_with(path: str, params: Mapping[str, Sequence[str]], **changes: Any) -> str:
    """``path`` with the list's parameters, some changed (None removes one)."""
    merged: dict[str, list[str]] = {k: list(v) for k, v in params.items() if v}
    for key, value in changes.items():
        if value is None or value == "" or value == []:
            merged.pop(key, None)
        elif isinstance(value, list | tuple):
            merged[key] = [str(v) for v in value]
        else:
            merged[key] = [str(value)]
    query = "&".join(_encoded(k) + "=" + _encoded(v) for k in merged for v in merged[k])
    return path + ("?" + query if query else "")


def _encoded(value: Any) -> str:
    """What ``urlencode`` makes of one key or value (bytes quoted as they are, anything else
    as its ``str``: pages pass page numbers as ints)."""
    if isinstance(value, bytes):
        return quote_plus(value, safe="")
    return _quoted(str(value))


@functools.lru_cache(maxsize=1 << 14)
def _quoted(text: str) -> str:
    # Memoised: a browse page links ~100 facet values, each URL repeating the same few
    # parameters (~600 quotings a page).
    return quote_plus(text, safe="")


def parse_args(args: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """Facet values, text, sort and paging from request arguments (a MultiDict or a dict)."""

    def getlist(key: str) -> list[str]:
        if hasattr(args, "getlist"):
            return [v for v in args.getlist(key) if v]
        value = args.get(key)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]

    filters = {k: getlist(k) for k in facets.FACET_KEYS if getlist(k)}
    q = (getlist("q") or [""])[0].strip()[: search.MAX_QUERY_CHARS]
    sort = (getlist("_sort") or getlist("sort") or [""])[0]
    if sort and sort not in facets.SORTS:
        raise BadRequest(f"sort must be one of {', '.join(facets.SORTS)}, got {sort!r}")
    size_raw = (getlist("_size") or getlist("size") or [str(settings.page_size)])[0]
    try:
        size = int(size_raw)
    except ValueError as exc:
        raise BadRequest(f"_size must be a whole number, got {size_raw!r}") from exc
    if not 1 <= size <= settings.max_page_size:
        raise BadRequest(f"_size must be between 1 and {settings.max_page_size}, got {size}")
    page_raw = (getlist("page") or ["1"])[0]
    try:
        page = int(page_raw)
    except ValueError as exc:
        raise BadRequest(f"page must be a whole number, got {page_raw!r}") from exc
    if page < 1:
        raise BadRequest("page must be 1 or more")
    cursor_raw = (getlist("_next") or [""])[0]
    cursor: int | None = None
    if cursor_raw:
        try:
            cursor = int(cursor_raw)
        except ValueError as exc:
            raise BadRequest(
                f"_next must be a cursor from a previous page, got {cursor_raw!r}"
            ) from exc
    more = getlist("_facet_more")
    return {
        "filters": filters,
        "q": q,
        "sort": sort,
        "size": size,
        "page": page,
        "cursor": cursor,
        "more": more,
    }


#: Valid values an unknown-value error lists at most (the actor facet has thousands).
VALID_SHOWN = 40


def check_values(index: BrowseIndex, filters: Mapping[str, Sequence[str]]) -> None:
    """Refuse a facet value the index does not know (400 naming the valid ones), rather than
    quietly showing everything."""
    for key, refs in filters.items():
        facet = index.facets.get(key)
        if facet is None:
            continue
        for ref in refs:
            if facet.find(ref, index.base) is None:
                valid = list(facet.tokens)
                shown = ", ".join(valid[:VALID_SHOWN]) + (" …" if len(valid) > VALID_SHOWN else "")
                raise errors.ClientError(
                    400,
                    N_("error.unknown_value"),
                    {"facet": key, "value": ref[:100], "valid": shown or "—"},
                    extra={"facet": key, "valid_values": valid[:1000]},
                )


def past_last(path: str, params: Mapping[str, Sequence[str]], page: int, pages: int) -> Exception:
    """A 404 for a page past the last, with the way to the last page."""
    last = url_with(path, params, page=pages if pages > 1 else None)
    return errors.ClientError(
        404,
        N_("error.past_last"),
        {"page": page, "pages": pages},
        extra={"last_page": pages, "last_page_url": last},
        links=[(t("error.last_page", page=pages), last)],
    )


def listing(
    kstore: KiemenStore,
    args: Mapping[str, Any],
    lang: str,
    path: str = "/browse",
    with_facets: bool = True,
    with_rows: bool = True,
) -> Listing:
    settings = kstore.settings
    parsed = parse_args(args, settings)
    index = browse_index(kstore)
    check_values(index, parsed["filters"])
    chosen = index.resolve(parsed["filters"])
    q = parsed["q"]
    base: np.ndarray | None = None
    corrected: str | None = None
    if q:
        texts = text_index(kstore)
        base = texts.match_mask(q, index.size)
        corrected = texts.corrected(q) if base.any() else None
    sort = parsed["sort"] or ("" if q else "label")
    mask = index.mask(chosen, base)
    size = parsed["size"]
    offset = (parsed["page"] - 1) * size
    if sort:
        order = index.order(sort, lang)
    else:
        assert mask is not None  # a text query always narrows the list to its matches
        order = relevance_order(text_index(kstore), q, mask, offset, size, parsed["cursor"])
    items, total, cursor = index.page(mask, order, size, offset=offset, after=parsed["cursor"])
    rows = [index.row(i, lang) for i in items] if with_rows else []
    params: dict[str, list[str]] = {
        k: [index.facets[k].tokens[v] for v in vs] for k, vs in chosen.items()
    }
    if q:
        params["q"] = [q]
    if parsed["sort"]:
        params["_sort"] = [parsed["sort"]]
    if size != settings.page_size:
        params["_size"] = [str(size)]
    pages = max(1, -(-total // size))
    if parsed["cursor"] is None and parsed["page"] > pages:
        raise past_last(path, params, parsed["page"], pages)
    results = (
        facet_results(index, kstore, chosen, base, params, lang, path, parsed["more"])
        if with_facets
        else []
    )
    return Listing(
        rows=rows,
        total=total,
        page=parsed["page"] if parsed["cursor"] is None else 0,
        pages=pages,
        size=size,
        sort=sort or "relevance",
        q=q,
        chosen={k: [index.facets[k].values[v] for v in vs] for k, vs in chosen.items()},
        facets=results,
        next_cursor=cursor,
        params=params,
        sparql_url=sparql_link(settings, "browse-initiatives", _sparql_params(index, chosen, lang)),
        mask=mask,
        corrected=corrected,
    )


def relevance_order(
    texts: search.TextIndex,
    q: str,
    mask: np.ndarray,
    offset: int,
    size: int,
    after: int | None = None,
    most: int = MAX_RANKED,
) -> np.ndarray:
    """The list's items in relevance order for ``q``, as far as a page needs it: the best
    ``min(most, matches)`` matches by score, best first, then every other item in item order
    (:meth:`BrowseIndex.page` skips those outside ``mask``).

    Only the top of the ranking is asked of the text index (a Python object per hit is what
    ranking costs): enough hits that the page, ``size`` rows of ``mask`` from ``offset`` (or
    after the position ``after``), lies within them, more when it does not. The top ``k``
    by score is the first ``k`` of the top ``most``, so the page and its cursor are the ones
    the whole ranking gives.
    """
    matches = texts.match_count(q)
    ranked_max = min(matches, most)
    shown = int(np.count_nonzero(mask))
    start = offset if after is None else after + 1
    # As many hits as hold the page if the list's rows are spread evenly among the matches
    # (none past the last page: any order shows nothing there).
    k = min(ranked_max, max(RANKED_FIRST, (start + size) * matches * 5 // (4 * max(1, shown))))
    if after is None and offset >= shown:
        k = 0
    while True:
        ranked = texts.matching_items(q, k) if k else np.zeros(0, dtype=np.int32)
        if k in (0, ranked_max) or _covers(ranked, mask, shown, offset, size, after):
            break
        k = min(ranked_max, k * 4)
    rest = np.ones(len(mask), dtype=bool)
    rest[ranked] = False
    return np.concatenate([ranked, np.flatnonzero(rest).astype(ranked.dtype)])


def _covers(
    ranked: np.ndarray, mask: np.ndarray, shown: int, offset: int, size: int, after: int | None
) -> bool:
    """Whether the page (``size`` rows of ``mask`` from ``offset``, or after the position
    ``after``; fewer at the end of the list, which has ``shown`` rows) lies within ``ranked``."""
    inside = mask[ranked]
    if after is None:
        return int(np.count_nonzero(inside)) >= min(offset + size, shown)
    if after >= len(ranked):
        return False
    before = int(np.count_nonzero(inside[: after + 1]))
    return int(np.count_nonzero(inside[after + 1 :])) >= min(size, shown - before)


def _sparql_params(
    index: BrowseIndex, chosen: Mapping[str, list[int]], lang: str
) -> dict[str, list[str]]:
    out = {"lang": [lang]}
    for key, values in chosen.items():
        if facets.BY_KEY[key].sparql:
            out[key] = [index.facets[key].values[v] for v in values]
    return out


def facet_results(
    index: BrowseIndex,
    kstore: KiemenStore,
    chosen: Mapping[str, list[int]],
    base: np.ndarray | None,
    params: Mapping[str, list[str]],
    lang: str,
    path: str,
    more: Sequence[str] = (),
) -> list[FacetResult]:
    counts = index.counts(chosen, base)
    out = []
    for f in facets.SHOWN:
        facet = index.facets[f.key]
        arr = counts[f.key]
        selected = set(chosen.get(f.key, []))
        nonzero = np.flatnonzero(arr)
        total_values = len(nonzero) + sum(1 for v in selected if not arr[v])
        show_all = f.key in more
        limit = MORE_SHOWN if show_all else FACET_SHOWN
        if f.order == "value":
            ranked = [int(v) for v in nonzero]  # values are sorted already (years)
        else:
            # Most first; ties in value order, then by name among those shown.
            ranked = [int(v) for v in top_values(arr, nonzero, limit + 1)]
        shown = ranked[:limit]
        if f.order != "value":
            shown.sort(
                key=lambda v: (
                    -int(arr[v]),
                    index.value_label(f.key, facet.values[v], lang).lower(),
                )
            )
        # Chosen values are always visible, so they can be switched off.
        shown += sorted(v for v in selected if v not in shown)
        current = params.get(f.key, [])
        values = []
        for v in shown:
            token = facet.tokens[v]
            toggled = [t for t in current if t != token] if v in selected else [*current, token]
            values.append(
                FacetValue(
                    value=facet.values[v],
                    token=token,
                    label=index.value_label(f.key, facet.values[v], lang),
                    count=int(arr[v]),
                    selected=v in selected,
                    toggle_url=url_with(
                        path, params, **{f.key: toggled, "page": None, "_next": None}
                    ),
                )
            )
        others = {k: vs for k, vs in chosen.items() if k != f.key}
        sparql_params = _sparql_params(index, others, lang)
        out.append(
            FacetResult(
                key=f.key,
                values=values,
                truncated=len(shown) < total_values,
                more_url=(
                    url_with(path, params, _facet_more=[*more, f.key]) + f"#facet-{f.key}"
                    if len(shown) < total_values
                    else None
                ),
                sparql_url=sparql_link(kstore.settings, f"browse-facet-{f.key}", sparql_params),
                selected=len(selected),
            )
        )
    return out


def top_values(counts: np.ndarray, nonzero: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` values (of ``nonzero``, ascending) with the highest counts, most first and
    ties in value order. Only the top of a long facet is sorted: with 100,000 actors, sorting
    every value cost ~10 ms a list page."""
    found = counts[nonzero]
    if len(nonzero) > k:
        kth = np.partition(found, len(found) - k)[len(found) - k]  # the k-th highest count
        above = nonzero[found > kth]
        tied = nonzero[found == kth][: k - len(above)]  # the first in value order
        nonzero = np.concatenate([above, tied])
        found = counts[nonzero]
    return nonzero[np.lexsort((nonzero, -found))][:k]


def facet_json(result: FacetResult) -> dict[str, Any]:
    return {
        "name": result.key,
        "results": [
            {
                "value": v.value,
                "token": v.token,
                "label": v.label,
                "count": v.count,
                "selected": v.selected,
                "toggle_url": v.toggle_url,
            }
            for v in result.values
        ],
        "truncated": result.truncated,
        "sparql_url": result.sparql_url,
    }
