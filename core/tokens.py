"""Bearer tokens that let their holder write named graphs through SPARQL Update and the GSP.

A token is shown once, when it is made; only its SHA-256 is kept (the token itself is 256 random
bits, so a plain hash is as good as a slow one). Each token lists the graphs it may write: a short
name (``uploads`` → ``{base}graph/uploads``), an absolute IRI, ``default`` for the store's own
default graph, or a prefix ending in ``*`` (``http://example.org/*``). The graphs that ``kiemen
load`` fills (the bundled ontology, shapes, curated data and the provenance graph ``meta``, and
any graph with a loader's provenance) can never be granted: they change only on the command line.

Tokens live in a small SQLite file inside the store directory (``tokens.sqlite3``), beside the
generations and untouched by them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from core.digests import DEFAULT_GRAPH

TOKEN_PREFIX = "kiemen_"
DEFAULT_NAME = "default"
#: Graph names that ``kiemen load`` owns (loaders.curated.bundles and the provenance graph);
#: a test keeps this list and the bundles in step. Any other graph with load provenance is
#: protected too (the ``loaded-graphs`` query, asked at every write).
BUNDLED_GRAPHS = ("ontology", "shapes", "curated", "mappings", "meta")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    graphs TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    revoked TEXT
)
"""


class TokenError(ValueError):
    """A token request that cannot be honoured (bad graph name, unknown id)."""


@dataclass(frozen=True)
class TokenInfo:
    id: str
    graphs: tuple[str, ...]
    note: str
    created: str
    revoked: str | None

    def covers(self, graph: str) -> bool:
        return covers(self.graphs, graph)


def db_path(settings: Settings) -> Path:
    return Path(settings.store_path) / "tokens.sqlite3"


def bundled_graph_iris(settings: Settings) -> set[str]:
    return {settings.graph_ns + n for n in BUNDLED_GRAPHS}


def grant_iri(settings: Settings, spec: str) -> str:
    """The absolute form of a ``--graph`` value: an IRI, a prefix ending in ``*`` or DEFAULT."""
    spec = spec.strip()
    if not spec:
        raise TokenError("a graph name cannot be empty")
    if spec == DEFAULT_NAME:
        return DEFAULT_GRAPH
    if spec == "*":
        return "*"
    if "://" in spec or spec.startswith("urn:"):
        return spec
    if any(c in spec for c in '<>"{}|^`\\ '):
        raise TokenError(f"{spec!r} is neither a graph name nor an IRI")
    return settings.graph_ns + spec


def covers(grants: Iterable[str], graph: str) -> bool:
    for grant in grants:
        if grant == graph:
            return True
        if grant.endswith("*") and graph != DEFAULT_GRAPH and graph.startswith(grant[:-1]):
            return True
    return False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = db_path(settings)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute(_SCHEMA)
            yield conn
            conn.commit()
        finally:
            conn.close()

    def create(self, graphs: Iterable[str], note: str = "") -> tuple[str, TokenInfo]:
        """Make a token; returns the secret (shown once) and what it grants."""
        grants = tuple(dict.fromkeys(grant_iri(self.settings, g) for g in graphs))
        if not grants:
            raise TokenError("a token needs at least one --graph")
        protected = bundled_graph_iris(self.settings)
        for grant in grants:
            if grant in protected:
                raise TokenError(
                    f"<{grant}> is filled by `kiemen load` and cannot be written with a token"
                )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(
            id=secrets.token_hex(4),
            graphs=grants,
            note=note,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            revoked=None,
        )
        with self._db() as db:
            db.execute(
                "INSERT INTO tokens (id, hash, graphs, note, created) VALUES (?, ?, ?, ?, ?)",
                (info.id, _hash(secret), json.dumps(list(grants)), note, info.created),
            )
        return secret, info

    def list(self) -> list[TokenInfo]:
        with self._db() as db:
            rows = db.execute(
                "SELECT id, graphs, note, created, revoked FROM tokens ORDER BY created"
            ).fetchall()
        return [TokenInfo(r[0], tuple(json.loads(r[1])), r[2], r[3], r[4]) for r in rows]

    def revoke(self, token_id: str) -> TokenInfo:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._db() as db:
            cur = db.execute(
                "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", (now, token_id)
            )
            if cur.rowcount == 0:
                raise TokenError(f"no active token with id {token_id!r}")
        return next(t for t in self.list() if t.id == token_id)

    def verify(self, secret: str) -> TokenInfo | None:
        """The active token for ``secret``, or None."""
        if not secret.startswith(TOKEN_PREFIX) or not self.path.exists():
            return None
        digest = _hash(secret)
        with self._db() as db:
            row = db.execute(
                "SELECT id, graphs, note, created, revoked, hash FROM tokens WHERE hash = ?",
                (digest,),
            ).fetchone()
        if row is None or row[4] is not None or not hmac.compare_digest(row[5], digest):
            return None
        return TokenInfo(row[0], tuple(json.loads(row[1])), row[2], row[3], row[4])
