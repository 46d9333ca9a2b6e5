"""Real processes for the deployment tests: ``kiemen serve``, Debian's nginx, the Oxigraph
server, each on a free loopback port and stopped by the test that started it."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from conftest import REPO, free_port, kiemen_cmd, kiemen_env

from core.config import CANONICAL_BASE

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{url} did not start:\n{log.read_text()}") from None
            time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextlib.contextmanager
def kiemen_serve(store: Path, port: int | None = None, **env: str) -> Iterator[str]:
    """``kiemen serve`` on 127.0.0.1; yields its URL (no trailing slash)."""
    port = port or free_port()
    log = store.parent / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*kiemen_cmd(), "serve", "--port", str(port)],
            env=kiemen_env(store, CANONICAL_BASE, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        try:
            _wait(f"http://127.0.0.1:{port}/healthz", proc, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(proc)


def nginx_available() -> bool:
    return Path(NGINX).exists()


needs_nginx = pytest.mark.skipif(
    not nginx_available(), reason="Debian's nginx is not installed (make test-deps)"
)


@contextlib.contextmanager
def nginx(workdir: Path, server_block: str) -> Iterator[int]:
    """Debian's nginx in the foreground with its own prefix, one ``server`` on a free port.

    ``server_block`` is the body of ``http { }`` after the common settings, with ``{port}``
    standing for the port to listen on. Yields the port.
    """
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("client", "proxy", "logs"):
        (workdir / sub).mkdir(exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
master_process off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/client;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/proxy;
    uwsgi_temp_path {workdir}/proxy;
    scgi_temp_path {workdir}/proxy;
    {server_block.replace("{port}", str(port))}
}}
"""
    )
    log = workdir / "logs" / "stdout.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [NGINX, "-p", str(workdir), "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                    break
                except requests.ConnectionError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            "nginx did not start:\n"
                            + log.read_text()
                            + (workdir / "logs" / "error.log").read_text()
                        ) from None
                    time.sleep(0.1)
            yield port
        finally:
            _stop(proc)


# -- crawling -----------------------------------------------------------------------------

_URL_ATTRS = ("href", "src", "action")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form" and (dict(attrs).get("method") or "get").lower() != "get":
            return  # a POST form's action is not a link
        for name, value in attrs:
            if value and (name in _URL_ATTRS or (name.startswith("data-") and value[:1] == "/")):
                self.urls.append(value)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def crawl(start: str, levels: int = 2, limit: int = 2500) -> dict[str, int]:
    """Follow every same-site link from ``start`` ``levels`` deep; {url: status}.

    Redirects are not followed but recorded (their target is crawled at the next level).
    """
    site = urlsplit(start)
    seen: dict[str, int] = {}
    frontier = [start]

    def fetch(url: str) -> tuple[str, int, list[str]]:
        response = requests.get(url, allow_redirects=False, timeout=120)
        targets: list[str] = []
        if response.is_redirect:
            targets = [response.headers["Location"]]
        elif response.headers.get("Content-Type", "").startswith("text/html"):
            targets = links_of(response.text)
        return url, response.status_code, targets

    with ThreadPoolExecutor(max_workers=4) as pool:
        for _level in range(levels + 1):
            todo = list(dict.fromkeys(u for u in frontier if u not in seen))
            todo = todo[: max(0, limit - len(seen))]
            following: list[str] = []
            for url, status, targets in pool.map(fetch, todo):
                seen[url] = status
                for t in targets:
                    absolute = urljoin(url, t).split("#", 1)[0]
                    parts = urlsplit(absolute)
                    if parts.scheme in ("http", "https") and parts.netloc == site.netloc:
                        following.append(absolute)
            frontier = following
    return seen


def outside(urls: dict[str, int], prefix: str) -> list[str]:
    """URLs of the crawl that escaped the path prefix."""
    return [u for u in urls if not urlsplit(u).path.startswith(prefix)]


def example_rows(server: str) -> dict[str, int]:
    """Rows each stored example query answers at ``server``'s /sparql (as the query page runs
    it: the example's text, sent by POST)."""
    from queries import catalogue

    out = {}
    for q in catalogue().values():
        if not q.example:
            continue
        text = "\n".join(x for x in q.text.splitlines() if not x.startswith("#"))
        response = requests.post(
            f"{server}/sparql",
            data={"query": text},
            headers={"Accept": "application/sparql-results+json"},
            timeout=120,
        )
        assert response.status_code == 200, (q.name, response.text[:300])
        body = response.json()
        out[q.name] = len(body["results"]["bindings"]) if "results" in body else 1
    return out


# -- the Oxigraph server (PyPI ``oxigraph``, pinned in the test extra) ---------------------


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    return found


@contextlib.contextmanager
def oxigraph_server(location: Path, *args: str) -> Iterator[str]:
    """``oxigraph serve`` on a free loopback port; yields its root URL (no trailing slash)."""
    port = free_port()
    location.mkdir(parents=True, exist_ok=True)
    log = location.parent / f"oxigraph-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                oxigraph_binary(),
                "serve",
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{port}",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait(f"http://127.0.0.1:{port}/", proc, log, seconds=60)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(proc)


# -- Virtuoso Open Source (Debian ``virtuoso-opensource``, installed by ``make test-deps``) ------

VIRTUOSO = shutil.which("virtuoso-t") or "/usr/bin/virtuoso-t"

needs_virtuoso = pytest.mark.skipif(
    not Path(VIRTUOSO).exists(),
    reason="Virtuoso is not installed (make test-deps installs virtuoso-opensource)",
)


@contextlib.contextmanager
def virtuoso(workdir: Path, max_rows: int = 10_000) -> Iterator[str]:
    """A fresh Virtuoso database in ``workdir`` on free loopback ports (user dba, password
    dba); yields the HTTP root URL. Virtuoso cuts answers at ``ResultSetMaxRows`` without
    saying so: one more than Kiemen's row limit lets Kiemen see and mark the cut, and keeps
    Virtuoso from building answers nobody reads."""
    sql_port, http_port = free_port(), free_port()
    db = workdir / "db"
    db.mkdir(parents=True, exist_ok=True)
    ini = workdir / "virtuoso.ini"
    ini.write_text(
        f"""[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 10
[SPARQL]
ResultSetMaxRows = {max_rows + 1}
MaxQueryExecutionTime = 60
"""
    )
    log = workdir / "virtuoso.out"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(ini)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
        try:
            _wait(f"http://127.0.0.1:{http_port}/sparql", proc, log, seconds=120)
            yield f"http://127.0.0.1:{http_port}"
        finally:
            _stop(proc)
