"""Replicas: two read-only ``kiemen serve`` processes behind nginx while one writer publishes,
and a replica in its own directory that receives each generation (``kiemen ship``).

A client hammers them during the publish: no request may fail, and every answer comes from the
old generation or the new one.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from conftest import REPO, kiemen_cmd, kiemen_env
from deploy_helpers import kiemen_serve, needs_nginx, nginx

from core.config import CANONICAL_BASE

MARKER = "urn:kiemen:test:replica"
QUERY = f"SELECT ?v WHERE {{ <{MARKER}> <{CANONICAL_BASE}def/note> ?v }}"
PAGE = "/page/initiative/lokaal-natuurbeheer"
#: Replicas; the hammering clients share one address, so the per-client limit is raised.
REPLICA = {"KIEMEN_READ_ONLY": "1", "KIEMEN_MAX_CONCURRENT": "8"}


def kiemen(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*kiemen_cmd(), *args],
        env=kiemen_env(store, CANONICAL_BASE),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result


def publish_marker(store: Path, value: str, tmp: Path) -> None:
    """The writer publishes a new generation in which the marker says ``value``."""
    path = tmp / f"marker-{value}.nt"
    path.write_text(f'<{MARKER}> <{CANONICAL_BASE}def/note> "{value}" .\n')
    kiemen(store, "load", str(path), "--graph", "replica-marker")


def marker(server: str, session: requests.Session) -> tuple[int, str | None]:
    response = session.post(
        f"{server}/sparql",
        data={"query": QUERY},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    if response.status_code != 200:
        return response.status_code, None
    bindings = response.json()["results"]["bindings"]
    return 200, bindings[0]["v"]["value"] if bindings else None


class Hammer:
    """Clients that alternate a SPARQL question about the marker and a page, until stopped."""

    def __init__(self, servers: list[str], threads: int = 4) -> None:
        self.servers = servers
        self.results: list[tuple[str, int, str | None]] = []
        self.errors: list[str] = []
        self.upstreams: Counter[str] = Counter()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, n: int) -> None:
        session = requests.Session()
        i = n
        while not self._stop.is_set():
            server = self.servers[i % len(self.servers)]
            i += 1
            try:
                status, value = marker(server, session)
                page = session.get(server + PAGE, timeout=60)
                self.upstreams[page.headers.get("X-Upstream", server)] += 1
                self.results.append((server, status, value))
                self.results.append((server, page.status_code, "page"))
            except requests.RequestException as exc:
                self.errors.append(f"{server}: {exc}")

    def __enter__(self) -> Hammer:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=120)

    def failures(self) -> list[tuple[str, int, str | None]]:
        return [r for r in self.results if r[1] != 200]

    def values(self) -> set[str | None]:
        return {r[2] for r in self.results if r[2] != "page"}


def logs(folder: Path) -> str:
    return "\n".join(p.read_text()[-3000:] for p in sorted(folder.glob("serve-*.log")))


def wait_for(check: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the replicas did not switch to the new generation"
        time.sleep(0.2)


@pytest.fixture()
def writer_store(loaded_store_path: Path, tmp_path: Path) -> Path:
    """A copy of the session's store for a writer of its own, with the marker at "old"."""
    store = tmp_path / "writer"
    shutil.copytree(loaded_store_path, store, symlinks=True)
    publish_marker(store, "old", tmp_path)
    return store


UPSTREAM = """
upstream kiemen {{
    server 127.0.0.1:{a};
    server 127.0.0.1:{b};
}}
server {{
    listen 127.0.0.1:{{port}};
    location / {{
        proxy_pass http://kiemen;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_buffer_size 32k;
        proxy_buffers 8 32k;
        add_header X-Upstream $upstream_addr always;
    }}
}}
"""


@needs_nginx
@pytest.mark.slow
def test_two_replicas_behind_nginx_switch_without_dropping_requests(
    writer_store: Path, tmp_path: Path
) -> None:
    env = {**REPLICA, "KIEMEN_TRUSTED_PROXIES": "127.0.0.1"}
    with kiemen_serve(writer_store, **env) as one, kiemen_serve(writer_store, **env) as two:
        ports = {p.rsplit(":", 1)[1] for p in (one, two)}
        a, b = sorted(ports)
        with nginx(tmp_path / "nginx", UPSTREAM.format(a=a, b=b)) as nport:
            site = f"http://127.0.0.1:{nport}"
            session = requests.Session()
            assert marker(site, session) == (200, "old")
            # A replica refuses writes, clearly.
            update = requests.post(
                f"{one}/sparql", data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer x"}
            )
            assert update.status_code == 503 and "read-only replica" in update.text
            with Hammer([site]) as hammer:
                time.sleep(2)
                publish_marker(writer_store, "new", tmp_path)
                wait_for(lambda: all(marker(s, session) == (200, "new") for s in (one, two)))
                time.sleep(2)
    assert not hammer.errors, (hammer.errors[:5], logs(tmp_path))
    assert not hammer.failures(), hammer.failures()[:5]
    assert hammer.values() == {"old", "new"}
    served_by = {u for u in hammer.upstreams if u.startswith("127.0.0.1:")}
    assert served_by == {f"127.0.0.1:{a}", f"127.0.0.1:{b}"}, hammer.upstreams
    assert len(hammer.results) > 40


@pytest.mark.slow
def test_a_replica_in_its_own_directory_follows_by_receiving_generations(
    writer_store: Path, tmp_path: Path
) -> None:
    replica = tmp_path / "replica"
    first = kiemen(writer_store, "ship", str(replica))
    assert "shipped" in first.stdout
    with kiemen_serve(replica, **REPLICA) as server:
        session = requests.Session()
        assert marker(server, session) == (200, "old")
        with Hammer([server]) as hammer:
            time.sleep(2)
            publish_marker(writer_store, "new", tmp_path)
            assert marker(server, session) == (200, "old"), "nothing changes before shipping"
            kiemen(writer_store, "ship", str(replica))
            wait_for(lambda: marker(server, session) == (200, "new"))
            time.sleep(2)
    assert not hammer.errors, (hammer.errors[:5], logs(tmp_path))
    assert not hammer.failures(), hammer.failures()[:5]
    assert hammer.values() == {"old", "new"}
    gens = sorted(p.name for p in replica.iterdir() if p.name.startswith("gen-"))
    assert (replica / "current").resolve().name == gens[-1]
    assert not [p for p in replica.iterdir() if p.name.endswith(".tmp")]
