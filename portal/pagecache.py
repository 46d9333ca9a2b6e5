"""Answers from memory: pages, data documents and API answers, per published generation.

Within one generation such an answer never changes, and :mod:`portal.conditional` already knows
*before* the view runs everything it depends on: its ETag hashes the generation, the downloads
manifest, the code, the address, ``Accept`` and the interface language. That hash is the key
here too, so the cache is exactly as right as the ETag, and a new generation (or manifest) is a
new key that no old entry can answer. When a request brings a new state, the entries of the old
one are dropped.

What is kept: the status, headers and body the view produced for a 200 answer of a route the
ETag covers, before the application's ``after_request`` hooks (registered last, this hook runs
first). A hit is answered in ``before_request`` and then goes through those hooks like any
answer, so what depends on the caller is added fresh every time: the language cookie, the
validators, the protective headers, a proxy's path prefix. Nothing is kept that depends on the
caller or may not be shared: routes the ETag leaves out (``/sparql``, ``/store``, ``/publish``,
downloads, health), requests with ``Authorization`` or any cookie but the language one, answers
with ``Set-Cookie``, ``Cache-Control: private/no-store``, a ``Vary`` beyond what the key holds,
errors, and streamed or file answers. The Content-Security-Policy has no per-request nonce
(:mod:`portal.safeweb` allows ``'self'`` and fixed hashes), so a kept body stays valid under it.

Bounded: at most ``KIEMEN_PAGE_CACHE_MB`` of bodies and headers (0 turns the cache off), one
answer at most a sixteenth of that, least recently used first out. Each process has its own
cache (``kiemen serve``'s threads share it under one lock; replicas each keep their own).
Answers carry ``X-Kiemen-Cache: hit`` or ``miss`` so operators can see it work.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, g, request

from portal import conditional
from portal.i18n import COOKIE as LANG_COOKIE

HEADER = "X-Kiemen-Cache"
#: What the key already covers; a ``Vary`` on anything else is not ours to share.
KEYED_VARY = frozenset({"accept", "accept-language", "cookie"})
#: Bookkeeping per entry beyond its bytes (key, tuple, objects), counted against the budget.
OVERHEAD = 512


@dataclass(frozen=True)
class Entry:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + OVERHEAD


class PageCache:
    """A byte- and entry-bounded LRU map from ETag to answer, for one state at a time."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self.max_entry = self.max_bytes // 16
        self._lock = threading.Lock()
        self._state: tuple[str, int] | None = None
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, state: tuple[str, int], key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key) if state == self._state else None
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, state: tuple[str, int], key: str, entry: Entry) -> bool:
        size = entry.size
        if size > self.max_entry:
            return False
        with self._lock:
            if state != self._state:
                self._entries.clear()
                self._bytes = 0
                self._state = state
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
            return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._state = None


def _shareable_request() -> bool:
    if "Authorization" in request.headers:
        return False
    return all(name == LANG_COOKIE for name in request.cookies)


def _shareable_response(response: Response) -> bool:
    if response.status_code != 200 or response.is_streamed or response.direct_passthrough:
        return False
    headers = response.headers
    if "Set-Cookie" in headers:
        return False
    control = headers.get("Cache-Control", "").lower()
    if "private" in control or "no-store" in control:
        return False
    vary = {v.strip().lower() for v in headers.get("Vary", "").split(",") if v.strip()}
    return vary <= KEYED_VARY


def init_app(app: Flask) -> None:
    """Register last in ``create_app``: the lookup then runs after every guard, and the store
    hook sees the view's own answer before any other ``after_request`` hook changes it."""
    cache = PageCache(app.config["KIEMEN"].page_cache_mb * 1024 * 1024)
    app.extensions["kiemen_page_cache"] = cache
    if not cache.enabled:
        return

    @app.before_request
    def answer_from_cache() -> Response | None:
        found = conditional.current()
        if found is None or not _shareable_request():
            return None
        state, key = found
        entry = cache.get(state, key)
        if entry is None:
            g.page_cache_key = found
            return None
        response = Response(entry.body, status=entry.status, headers=list(entry.headers))
        response.headers[HEADER] = "hit"
        return response

    @app.after_request
    def keep(response: Response) -> Response:
        found = g.pop("page_cache_key", None)
        if found is None:
            return response
        response.headers[HEADER] = "miss"
        if _shareable_response(response) and conditional.current_state() == found[0]:
            headers = tuple((k, v) for k, v in response.headers.items() if k != HEADER)
            cache.put(found[0], found[1], Entry(response.status_code, headers, response.get_data()))
        return response
