"""Conditional requests: ``ETag`` and ``Last-Modified`` tied to the published store generation.

Every page and data document the portal serves is a function of the published generation, the
downloads manifest (the downloads page, VoID and the catalogue list the dumps), the code, and
what the request negotiates (the address it was sent to, ``Accept``, the interface language).
The ETag is a hash of exactly those, so it is known *before* the view runs: a matching
``If-None-Match`` (or, without one, an ``If-Modified-Since`` not older than the generation) is
answered ``304`` at once. A new generation changes the hash, so it never gets an old ETag; when
a publish happens while a view runs, the answer gets no validator at all rather than one that
may not fit it.

The same hash is the key of the page cache (:mod:`portal.pagecache`): one place decides what an
answer depends on. The address includes scheme, host and path prefix (``request.url_root``),
because data documents and links are written for the address being served.

Left out: what changes without a new generation (SPARQL results and updates, the Graph Store,
publishing, downloads themselves, which carry their own validators) and errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from importlib import metadata

from flask import Flask, Response, g, request

from core.write.dumps import MANIFEST, dumps_dir
from portal.db import get_store
from portal.i18n import current_lang

#: Path prefixes whose answers do not follow from the generation alone (or are not ours).
EXCLUDED = (
    "/sparql",
    "/store",
    "/publish",
    "/static/",
    "/vendor/",
    "/downloads/kiemen-",
    "/downloads/index.json",
    "/healthz",
    "/readyz",
)


def _code_version() -> str:
    try:
        return metadata.version("kiemen")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed with -e
        return "0"


CODE = _code_version()


def current_state() -> tuple[str, int] | None:
    """The published generation and the downloads manifest's change time; None when empty."""
    kstore = get_store()
    generation = kstore.generation_id()
    if generation is None:
        return None
    try:
        manifest = (dumps_dir(kstore.settings) / MANIFEST).stat().st_mtime_ns
    except OSError:
        manifest = 0
    return generation, manifest


def etag_for(state: tuple[str, int]) -> str:
    """The hash of everything a cacheable answer depends on (see the module text)."""
    parts = (
        CODE,
        state[0],
        str(state[1]),
        request.url_root,
        request.full_path,
        request.headers.get("Accept", ""),
        current_lang(),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def last_modified(state: tuple[str, int]) -> dt.datetime | None:
    """When the generation was published (its name is ``gen-{time_ns}``), or the manifest
    changed, whichever is later; to the second."""
    stamps = [state[1]]
    if state[0].startswith("gen-"):
        try:
            stamps.append(int(state[0][4:]))
        except ValueError:
            return None
    seconds = max(stamps) // 1_000_000_000
    return dt.datetime.fromtimestamp(seconds, dt.UTC) if seconds else None


def _applies() -> bool:
    return request.method in ("GET", "HEAD") and not request.path.startswith(EXCLUDED)


def current() -> tuple[tuple[str, int], str] | None:
    """This request's (state, ETag) when its answer follows from the generation, else None."""
    found: tuple[tuple[str, int], str] | None = g.get("conditional")
    return found


def init_app(app: Flask) -> None:
    @app.before_request
    def answer_304() -> Response | None:
        if not _applies():
            return None
        state = current_state()
        if state is None:
            return None
        tag = etag_for(state)
        g.conditional = (state, tag)
        modified = last_modified(state)
        fresh = False
        if request.if_none_match:
            fresh = request.if_none_match.contains_weak(tag)
        elif request.if_modified_since and modified is not None:
            fresh = request.if_modified_since >= modified
        if not fresh:
            return None
        response = Response(status=304)
        response.set_etag(tag, weak=True)
        if modified is not None:
            response.last_modified = modified
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Vary"] = "Accept, Accept-Language, Cookie"
        return response

    @app.after_request
    def validators(response: Response) -> Response:
        found = g.pop("conditional", None)
        if found is None or response.status_code != 200 or "ETag" in response.headers:
            return response
        state, tag = found
        if current_state() != state:
            return response  # published while the view ran: no validator rather than a wrong one
        response.set_etag(tag, weak=True)
        modified = last_modified(state)
        if modified is not None:
            response.last_modified = modified
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-cache"
        vary = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
        for name in ("Accept", "Accept-Language", "Cookie"):
            if name not in vary:
                vary.append(name)
        response.headers["Vary"] = ", ".join(vary)
        return response
