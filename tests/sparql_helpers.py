"""Helpers for the SPARQL tests: a real ``kiemen serve`` with its own settings, and HTTP clients
that connect from a chosen loopback address (so the server sees distinct clients)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from conftest import REPO, free_port, kiemen_cmd, kiemen_env
from requests.adapters import HTTPAdapter


class _SourceAdapter(HTTPAdapter):
    def __init__(self, source: str, **kwargs: Any) -> None:
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(address: str) -> requests.Session:
    """A session whose connections come from ``address`` (any of 127.0.0.0/8)."""
    session = requests.Session()
    adapter = _SourceAdapter(address)
    session.mount("http://", adapter)
    return session


def copy_store(src: Path, dest: Path) -> Path:
    """A private copy of a loaded store (generations and the ``current`` link)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


def store_base(store: Path, default: str) -> str:
    """The canonical base a store was made with (its generation records it), else ``default``."""
    recorded = store / "current" / "canonical-base"
    if recorded.exists():
        return recorded.read_text(encoding="utf-8").strip() or default
    return default


@contextlib.contextmanager
def kiemen_server(store: Path, port: int | None = None, **env: str) -> Iterator[str]:
    """``kiemen serve`` on (a free) port of 127.0.0.1 with extra KIEMEN_* settings."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    base = store_base(store, url)  # the IRIs' base; the server answers at url whatever it is
    log_path = store.parent / f"server-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*kiemen_cmd(), "serve", "--port", str(port)],
        env=kiemen_env(store, base, KIEMEN_PORT=str(port), **env),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + "sparql", headers={"Accept": "text/turtle"}, timeout=2)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "kiemen serve did not start:\n" + log_path.read_text()
                    ) from None
                time.sleep(0.2)
        yield url.rstrip("/")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def make_token(store: Path, base: str, *graphs: str) -> str:
    """``kiemen token create`` for a store; returns the secret."""
    args = [*kiemen_cmd(), "token", "create"]
    for g in graphs:
        args += ["--graph", g]
    out = subprocess.run(
        args, env=kiemen_env(store, base), capture_output=True, text=True, cwd=REPO, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def bundled_store(path: Path, base_uri: str = "https://w3id.org/kiemen/") -> Path:
    """A store with the repository's ontology, shapes and curated data in their named graphs.

    Written straight into a generation, without the loaders' validation: the SPARQL tests need
    realistic data, not valid data, and so stay independent of the state of the curated files and
    loaders that others are changing. A file that does not parse is left out.
    """
    import pyoxigraph as ox

    from core.config import CANONICAL_BASE, Settings
    from core.store import KiemenStore, graph_iri

    settings = Settings.from_env(store_path=path, base_uri=base_uri)
    groups = {
        "ontology": [
            REPO / "ontology" / "kiemen.ttl",
            *sorted((REPO / "ontology" / "schemes").glob("*.ttl")),
        ],
        "shapes": [REPO / "ontology" / "shapes.ttl"],
        "curated": sorted((REPO / "data" / "curated").glob("*.ttl")),
    }
    kstore = KiemenStore(settings)
    with kstore.writing() as gen:
        for name, files in groups.items():
            graph = graph_iri(settings, name)
            for file in files:
                if not file.exists():
                    continue
                text = file.read_text(encoding="utf-8").replace(CANONICAL_BASE, base_uri)
                try:
                    quads = list(ox.parse(text.encode(), format=ox.RdfFormat.TURTLE))
                except SyntaxError:
                    continue
                gen.store.extend(ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads)
    return path


def send_query(
    base: str, method: str, text: str, headers: dict[str, str], body: Any
) -> requests.Response:
    """A query to ``base``/sparql as GET, a form POST (``body == "form"``) or a POST of
    ``body`` as the content type."""
    url = base + "/sparql"
    if method == "GET":
        return requests.get(url, params={"query": text}, headers=headers, timeout=30)
    if body == "form":
        return requests.post(url, data={"query": text}, headers=headers, timeout=30)
    return requests.post(
        url, data=text.encode(), headers={**headers, "Content-Type": body}, timeout=30
    )


def seen(response: requests.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a client sees of an answer, its Date header aside (to compare two answers)."""
    headers = sorted((k, v) for k, v in response.headers.items() if k != "Date")
    return response.status_code, headers, response.content
