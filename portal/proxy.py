"""Reverse proxies, believed only when declared: ``KIEMEN_TRUSTED_PROXIES``.

A request whose peer address is in one of the declared networks (addresses or CIDR ranges) may
tell where it really came from and where it was sent: ``Forwarded`` (RFC 7239: ``for``,
``proto``, ``host``) and ``X-Forwarded-For``/``-Proto``/``-Host``/``-Port``/``-Prefix`` (these
win when both are sent). From anyone else these headers are removed before the application sees
them, so ``X-Forwarded-Host: evil.example`` cannot reach a ``Location``, a canonical link or a
cached page (issue 13, item 10).

* The client address is the rightmost ``X-Forwarded-For`` (or ``Forwarded: for=``) entry that is
  not itself a trusted proxy, so the per-client query limit counts real clients behind nginx.
* Proto must be ``http`` or ``https``; host and port must look like a host and a port; the
  prefix must be a plain path. A malformed value is ignored, not half-used.
* The prefix becomes ``SCRIPT_NAME``, so ``url_for`` and ``request.url_root`` carry it. A proxy
  that passes the prefix on in the path (``proxy_pass`` without a URI) works as well as one that
  strips it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask

from core.config import Settings

#: The WSGI keys of the headers a proxy may set; removed from every request it did not send.
FORWARDED_KEYS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)
#: Set in the WSGI environ to True when the request came through a trusted proxy.
TRUSTED_KEY = "kiemen.trusted_proxy"
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+|\[[0-9A-Fa-f:.]+\]")
_PORT = re.compile(r"[0-9]{1,5}")
_PREFIX = re.compile(r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+")
_PAIR = re.compile(r'\s*([A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)\s*')

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(spec: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in spec)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # Forwarded: for="[2001:db8::1]:4711"
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # 192.0.2.1:4711
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(addr: str | None, nets: tuple[Network, ...]) -> bool:
    ip = _address(addr or "")
    return ip is not None and any(ip in n for n in nets)


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """RFC 7239 ``Forwarded``: one dict of lower-case parameters per hop, nearest hop last."""
    hops: list[dict[str, str]] = []
    for element in value.split(","):
        hop: dict[str, str] = {}
        for part in element.split(";"):
            m = _PAIR.fullmatch(part)
            if m:
                v = m.group(2)
                if v.startswith('"'):
                    v = re.sub(r"\\(.)", r"\1", v[1:-1])
                hop[m.group(1).lower()] = v
        hops.append(hop)
    return hops


def _last(value: str | None) -> str | None:
    """The value the nearest proxy set: the last of a comma-separated list."""
    if not value:
        return None
    last = value.rsplit(",", 1)[-1].strip()
    return last or None


class TrustedProxies:
    """WSGI middleware: apply forwarded headers from declared proxies, drop everyone else's."""

    def __init__(self, app: Any, trusted: Iterable[str]) -> None:
        self.app = app
        self.nets = networks(trusted)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        sent = {k: environ.pop(k) for k in FORWARDED_KEYS if k in environ}
        trusted = bool(self.nets) and _trusted(environ.get("REMOTE_ADDR"), self.nets)
        environ[TRUSTED_KEY] = trusted
        if trusted and sent:
            self._apply(environ, sent)
        return self.app(environ, start_response)

    def _apply(self, environ: dict[str, Any], sent: dict[str, str]) -> None:
        hops = parse_forwarded(sent.get("HTTP_FORWARDED", ""))
        nearest = hops[-1] if hops else {}
        chain = [h["for"] for h in hops if "for" in h]
        if "HTTP_X_FORWARDED_FOR" in sent:
            chain = [a.strip() for a in sent["HTTP_X_FORWARDED_FOR"].split(",") if a.strip()]
        client = self._client(chain)
        if client is not None:
            environ["REMOTE_ADDR"] = client

        proto = (_last(sent.get("HTTP_X_FORWARDED_PROTO")) or nearest.get("proto", "")).lower()
        if proto in ("http", "https"):
            environ["wsgi.url_scheme"] = proto
            environ["SERVER_PORT"] = "443" if proto == "https" else "80"

        host = _last(sent.get("HTTP_X_FORWARDED_HOST")) or nearest.get("host")
        if host:
            name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
            if not name:
                name, port = host, ""
            if _HOST.fullmatch(name) and (not port or _PORT.fullmatch(port)):
                environ["HTTP_HOST"] = host
                environ["SERVER_NAME"] = name
                if port:
                    environ["SERVER_PORT"] = port

        xport = _last(sent.get("HTTP_X_FORWARDED_PORT"))
        if xport and _PORT.fullmatch(xport):
            name = environ.get("HTTP_HOST", "")
            name = name if name.endswith("]") or ":" not in name else name.rsplit(":", 1)[0]
            default = {"http": "80", "https": "443"}.get(environ.get("wsgi.url_scheme", ""))
            environ["HTTP_HOST"] = name if xport == default else f"{name}:{xport}"
            environ["SERVER_PORT"] = xport

        prefix = (_last(sent.get("HTTP_X_FORWARDED_PREFIX")) or "").rstrip("/")
        if prefix and _PREFIX.fullmatch(prefix):
            path = environ.get("PATH_INFO", "")
            if path == prefix or path.startswith(prefix + "/"):
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
            environ["SCRIPT_NAME"] = prefix + environ.get("SCRIPT_NAME", "")

    def _client(self, chain: list[str]) -> str | None:
        """The rightmost address that is not one of our proxies (the real client)."""
        for entry in reversed(chain):
            ip = _address(entry)
            if ip is None:
                return None  # "unknown" or an obfuscated name: keep the peer address
            if not any(ip in n for n in self.nets):
                return str(ip)
        first = _address(chain[0]) if chain else None
        return str(first) if first is not None else None


def init_app(app: Flask) -> None:
    settings: Settings = app.config["KIEMEN"]
    app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
        app.wsgi_app, settings.trusted_proxies
    )
