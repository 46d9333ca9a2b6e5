"""Settings, read once from the environment so every part of Kiemen agrees on them.

Every limit is a documented setting (see README, "Settings"), in the manner of datasette.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

#: The base that every IRI in the repository's own files uses, and the default canonical base of
#: a deployment. A deployment may choose another once (``KIEMEN_BASE_URI``); it is never tied to
#: the host or port the portal happens to be served at (see :mod:`portal.urls`).
CANONICAL_BASE = "https://w3id.org/kiemen/"
DEFAULT_STORE = "var/kiemen.oxigraph"
DEFAULT_PORT = 5000


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


class ConfigError(Exception):
    """A setting has a value Kiemen cannot use (exit code 2)."""


def check_base(base: str) -> str:
    """A canonical base as the store spells it: an absolute http(s) IRI ending in ``/``."""
    if not base.endswith("/"):
        base += "/"
    if not (base.startswith("http://") or base.startswith("https://")):
        raise ConfigError(f"KIEMEN_BASE_URI must be an http(s) URI, got {base!r}")
    if any(c in base for c in ' <>"{}|^`?#'):
        raise ConfigError(f"KIEMEN_BASE_URI must be a plain IRI (no query, fragment), got {base!r}")
    return base


def parse_networks(raw: str, name: str = "KIEMEN_TRUSTED_PROXIES") -> tuple[str, ...]:
    """Addresses or CIDR ranges separated by commas or spaces, each checked and normalised."""

    out = []
    for item in raw.replace(",", " ").split():
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ConfigError(f"{name}: {item!r} is not an IP address or CIDR range") from exc
    return tuple(out)


def _env_bool(name: str) -> bool:
    raw = (os.environ.get(name) or "0").strip().lower()
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no", ""):
        return False
    raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")


def _env_endpoint(name: str) -> str | None:
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.startswith("http://") or raw.startswith("https://")):
        raise ConfigError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Settings:
    """What a Kiemen process needs to know about its surroundings."""

    store_path: Path = Path(DEFAULT_STORE)
    #: The canonical base: every IRI minted into the store starts with it, whatever the host,
    #: port or path prefix the portal is served at.
    base_uri: str = CANONICAL_BASE
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    #: Hard time limit for one SPARQL query, in seconds.
    query_timeout: float = 30.0
    #: Most rows a SELECT returns before the answer is marked truncated.
    max_rows: int = 10_000
    #: Concurrent queries one client may run before it gets 429.
    max_concurrent_per_client: int = 2
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 10 * 1024 * 1024
    #: Worker processes that run SPARQL queries.
    query_workers: int = 2
    #: Longest query or update text accepted, in bytes (checked before any parsing).
    max_query_bytes: int = 64 * 1024
    #: Address-space cap of one query worker, in bytes (0: none).
    worker_memory_bytes: int = 2048 * 1024 * 1024
    #: Address-space cap of a worker while it runs a write (a writable copy and an index writer).
    write_memory_bytes: int = 4096 * 1024 * 1024
    #: Hard time limit for one write (SPARQL Update, Graph Store), validation and indexes included.
    write_timeout: float = 60.0
    #: Most statements one write over HTTP may add or remove.
    max_write_quads: int = 100_000
    #: Open connections the HTTP server keeps (idle ones included) before it refuses new ones.
    max_connections: int = 1000
    #: Seconds an idle or slow connection may stay open.
    channel_timeout: int = 30
    #: Default and maximum page sizes of lists in the portal and the JSON API.
    page_size: int = 25
    max_page_size: int = 500
    #: Reverse proxies whose X-Forwarded-* and Forwarded headers are believed (addresses or
    #: CIDR ranges; none by default). Headers from anyone else are ignored.
    trusted_proxies: tuple[str, ...] = ()
    #: An external SPARQL 1.1 endpoint that answers /sparql queries instead of the embedded
    #: store (None: the embedded store). See portal/external_sparql.py.
    sparql_endpoint: str | None = None
    #: A replica: serves the published generation and never writes (KIEMEN_READ_ONLY=1).
    read_only: bool = False
    #: Memory for answers kept per generation (portal/pagecache.py), in MiB; 0 turns it off.
    page_cache_mb: int = 64
    #: Memory for /sparql answers kept per generation (portal/sparql_service.py), in MiB; 0: off.
    sparql_cache_mb: int = 32
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def canonical_base(self) -> str:
        return CANONICAL_BASE

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from ``KIEMEN_*`` variables; explicit overrides win."""
        port = _env_int("KIEMEN_PORT", DEFAULT_PORT)
        base = check_base(os.environ.get("KIEMEN_BASE_URI") or CANONICAL_BASE)
        values: dict[str, object] = {
            "store_path": Path(os.environ.get("KIEMEN_STORE") or DEFAULT_STORE),
            "base_uri": base,
            "port": port,
            "host": os.environ.get("KIEMEN_HOST") or "127.0.0.1",
            "query_timeout": _env_float("KIEMEN_QUERY_TIMEOUT", 30.0),
            "max_rows": _env_int("KIEMEN_MAX_ROWS", 10_000),
            "max_concurrent_per_client": _env_int("KIEMEN_MAX_CONCURRENT", 2),
            "max_body_bytes": _env_int("KIEMEN_MAX_BODY_BYTES", 10 * 1024 * 1024),
            "query_workers": _env_int("KIEMEN_QUERY_WORKERS", 2),
            "max_query_bytes": _env_int("KIEMEN_MAX_QUERY_BYTES", 64 * 1024),
            "worker_memory_bytes": _env_int("KIEMEN_WORKER_MEMORY_MB", 2048) * 1024 * 1024,
            "write_memory_bytes": _env_int("KIEMEN_WRITE_MEMORY_MB", 4096) * 1024 * 1024,
            "write_timeout": _env_float("KIEMEN_WRITE_TIMEOUT", 60.0),
            "max_write_quads": _env_int("KIEMEN_MAX_WRITE_QUADS", 100_000),
            "max_connections": _env_int("KIEMEN_MAX_CONNECTIONS", 1000),
            "channel_timeout": _env_int("KIEMEN_CHANNEL_TIMEOUT", 30),
            "page_size": _env_int("KIEMEN_PAGE_SIZE", 25),
            "max_page_size": _env_int("KIEMEN_MAX_PAGE_SIZE", 500),
            "trusted_proxies": parse_networks(os.environ.get("KIEMEN_TRUSTED_PROXIES") or ""),
            "sparql_endpoint": _env_endpoint("KIEMEN_SPARQL_ENDPOINT"),
            "read_only": _env_bool("KIEMEN_READ_ONLY"),
            "page_cache_mb": max(0, _env_int("KIEMEN_PAGE_CACHE_MB", 64)),
            "sparql_cache_mb": max(0, _env_int("KIEMEN_SPARQL_CACHE_MB", 32)),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def rebase(self, iri: str) -> str:
        """Map an IRI of the repository's files onto this deployment's canonical base."""
        if iri.startswith(CANONICAL_BASE) and self.base_uri != CANONICAL_BASE:
            return self.base_uri + iri[len(CANONICAL_BASE) :]
        return iri

    def canonical(self, iri: str) -> str:
        """Inverse of :meth:`rebase`: the repository's spelling of a stored IRI."""
        if iri.startswith(self.base_uri) and self.base_uri != CANONICAL_BASE:
            return CANONICAL_BASE + iri[len(self.base_uri) :]
        return iri

    @property
    def def_ns(self) -> str:
        return self.base_uri + "def/"

    @property
    def id_ns(self) -> str:
        return self.base_uri + "id/"

    @property
    def graph_ns(self) -> str:
        return self.base_uri + "graph/"
