"""Helpers for the publishing tests: a store of their own with registered publishers, served by
a real ``kiemen serve``, and ways to see that a refused upload changed nothing."""

from __future__ import annotations

import contextlib
import hashlib
import io
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import requests
from conftest import REPO, free_port, kiemen_cmd, kiemen_env

EXAMPLE = REPO / "data" / "templates" / "example"
FILES = ("initiatives", "actors", "roles")


@dataclass
class Server:
    url: str  # without trailing slash
    base: str  # with trailing slash: the base URI of every IRI
    store: Path
    tokens: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    def graph(self, code: str, part: str = "data") -> str:
        return f"{self.base}graph/publishers/{code}/{part}"

    def iri(self, code: str, local: str) -> str:
        return f"{self.base}id/publishers/{code}/{local}"

    def auth(self, code: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[code]}"}

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*kiemen_cmd(), *args],
            env=kiemen_env(self.store, self.base),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=check,
        )

    def sparql(self, query: str) -> list[dict[str, str]]:
        answer = requests.post(
            f"{self.url}/sparql",
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        return [{k: v["value"] for k, v in b.items()} for b in answer.json()["results"]["bindings"]]

    def state(self) -> tuple[str | None, str]:
        """The published generation and a digest of everything in it (all graphs)."""
        current = self.store / "current"
        generation = current.resolve().name if current.exists() else None
        store = ox.Store.read_only(str(current / "oxigraph"))
        lines = sorted(str(q) for q in store.quads_for_pattern(None, None, None, None))
        del store
        return generation, hashlib.sha256("\n".join(lines).encode()).hexdigest()


def run(args: list[str], store: Path, base: str) -> str:
    out = subprocess.run(
        [*kiemen_cmd(), *args],
        env=kiemen_env(store, base),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def add_publisher(store: Path, base: str, code: str, *extra: str) -> str:
    """``kiemen publisher add`` through the command line; returns the token it prints."""
    out = run(
        [
            "publisher",
            "add",
            code,
            "--contact-name",
            "Team Open Data",
            "--contact-email",
            f"opendata@{code.lower()}.example.nl",
            *extra,
        ],
        store,
        base,
    )
    return out.strip().splitlines()[-1]


@contextlib.contextmanager
def publishing_server(
    tmp: Path,
    publishers: dict[str, tuple[str, ...]],
    env: dict[str, str] | None = None,
    port: int | None = None,
    tokens: dict[str, str] | None = None,
) -> Iterator[Server]:
    """A loaded store with the given publishers (code → extra options), served on a free port.

    With ``tokens`` the store in ``tmp`` is served as it is (a restart after a crash).
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}/"
    store = tmp / "kiemen.oxigraph"
    if tokens is None:
        run(["load"], store, base)
        tokens = {
            code: add_publisher(store, base, code, *extra) for code, extra in publishers.items()
        }
    log_path = tmp / "server.log"
    log = open(log_path, "a")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*kiemen_cmd(), "serve", "--port", str(port)],
        env=kiemen_env(store, base, KIEMEN_PORT=str(port), **(env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "publish", timeout=2)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "kiemen serve did not start:\n" + log_path.read_text()
                    ) from None
                time.sleep(0.2)
        yield Server(base.rstrip("/"), base, store, tokens, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def example_files(**replace: bytes) -> dict[str, tuple[str, io.BytesIO, str]]:
    """The filled-in example as multipart fields; ``replace`` swaps a table's bytes."""
    out = {}
    for name in FILES:
        data = replace.get(name, (EXAMPLE / f"{name}.csv").read_bytes())
        out[name] = (f"{name}.csv", io.BytesIO(data), "text/csv")
    return out


def example_text(name: str) -> str:
    return (EXAMPLE / f"{name}.csv").read_text(encoding="utf-8")
