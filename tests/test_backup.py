"""``kiemen backup`` while the portal serves a reader and a writer, ``kiemen restore`` into a new
directory, and a dump of a store with publishers restoring into an empty one."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from conftest import REPO, kiemen_cmd, kiemen_env
from publishing_helpers import Server, example_files, publishing_server
from test_datasets import compare_stores

from core.config import Settings
from core.indexes import facets, search
from core.store import KiemenStore

CODE = "GM0344"
DCAT_VERSION = "http://www.w3.org/ns/dcat#version"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with publishing_server(tmp_path_factory.mktemp("backup"), {CODE: ()}) as s:
        yield s


def cli(server: Server, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*kiemen_cmd(), *args],
        env=kiemen_env(store, server.base),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


def publish(server: Server) -> None:
    answer = requests.post(
        f"{server.url}/publish/api/{CODE}/versions",
        files=example_files(),
        headers=server.auth(CODE),
        timeout=300,
    )
    assert answer.status_code == 201, answer.text


def digest(store_dir: Path) -> str:
    """A digest of every quad of a generation directory's data."""
    return Server("", "", store_dir, {}).state()[1]


def versions_in_data(store: ox.Store) -> set[int]:
    return {
        int(q.object.value)
        for q in store.quads_for_pattern(None, ox.NamedNode(DCAT_VERSION), None, None)
        if q.object.value.isdigit()
    }


def test_backup_while_reading_and_writing_restores_one_generation(
    server: Server, tmp_path: Path
) -> None:
    publish(server)  # version 1: the registry has something to back up
    published = {digest(server.store)}
    stop = threading.Event()
    failures: list[str] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            try:
                answer = requests.post(
                    f"{server.url}/sparql",
                    data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=60,
                )
                if answer.status_code != 200:
                    failures.append(f"read: {answer.status_code}")
                reads[0] += 1
            except requests.RequestException as exc:
                failures.append(f"read: {exc}")

    def writer() -> None:
        for _ in range(3):
            try:
                publish(server)
            except AssertionError as exc:
                failures.append(f"write: {exc}")
            published.add(digest(server.store))

    threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    backups = []
    try:
        for n in range(3):
            target = tmp_path / f"backup-{n}"
            made = cli(server, server.store, "backup", str(target))
            assert made.returncode == 0, made.stderr
            backups.append(target)
    finally:
        threads[1].join(timeout=600)
        stop.set()
        threads[0].join(timeout=120)
    assert not failures, failures
    assert reads[0] > 0

    for n, backup in enumerate(backups):
        manifest = json.loads((backup / "kiemen-backup.json").read_text())
        restored_dir = tmp_path / f"restored-{n}"
        done = cli(server, restored_dir, "restore", str(backup))
        assert done.returncode == 0, done.stderr
        # One published generation, whole: its data, and the indexes built for that data.
        assert digest(restored_dir) in published
        gen = (restored_dir / "current").resolve()
        browse = facets.for_directory(gen / "search")
        assert browse.generation == manifest["generation"]
        hits = search.for_directory(gen / "search" / search.TEXT_DIR).search("Kweekbak", "nl")
        assert hits.total > 0, "the publisher's records are in the restored text index"
        restored = KiemenStore(Settings(store_path=restored_dir, base_uri=server.base))
        # Every version the data names is in the restored registry, with its files.
        in_data = versions_in_data(restored.reader())
        assert in_data
        db = sqlite3.connect(restored_dir / "publishers.sqlite3")
        listed = {r[0] for r in db.execute("SELECT number FROM versions WHERE code = ?", (CODE,))}
        # The publishing pipeline writes the audit row after the version row (two
        # transactions), so a snapshot may hold a version whose audit row came later; it never
        # holds an audit row for a version it lacks.
        audited = {r[0] for r in db.execute("SELECT version FROM audit WHERE version IS NOT NULL")}
        db.close()
        assert in_data <= listed and audited and audited <= listed
        for v in listed:
            assert (restored_dir / "publishers" / CODE / "versions" / str(v)).is_dir()


def test_restore_refuses_a_damaged_backup_and_changes_nothing(
    server: Server, tmp_path: Path
) -> None:
    backup = tmp_path / "b"
    assert cli(server, server.store, "backup", str(backup)).returncode == 0
    target = tmp_path / "target"
    assert cli(server, target, "restore", str(backup)).returncode == 0
    before = (target / "current").resolve()
    sst = next((backup / "generation" / "oxigraph").glob("*.sst"))
    with open(sst, "r+b") as fh:
        fh.seek(10)
        fh.write(b"\0damage")
    # The backup owns its bytes: damaging it leaves the live store and the restored one whole.
    assert digest(server.store) and digest(target)
    publish(server)
    refused = cli(server, target, "restore", str(backup))
    assert refused.returncode == 1
    assert "SHA-256 differs" in refused.stderr and "nothing was changed" in refused.stderr
    assert (target / "current").resolve() == before
    again = cli(server, tmp_path / "fresh", "backup", str(tmp_path / "b"))
    assert again.returncode == 2 and "not empty" in again.stderr


def test_dump_with_publishers_restores_into_an_empty_store(server: Server, tmp_path: Path) -> None:
    """Export, restore into an empty store: every graph, meta included, facets and search hits,
    and the publisher's versions as the catalogue states them."""
    publish(server)
    folder = tmp_path / "dumps"
    made = cli(server, server.store, "export", "--output-dir", str(folder))
    assert made.returncode == 0, made.stderr
    manifest: dict[str, Any] = json.loads((folder / "index.json").read_text())
    nq = next(f for f in manifest["releases"][0]["files"] if f["key"] == "nquads")
    target = tmp_path / "restored"
    done = cli(server, target, "load", str(folder / nq["file"]))
    assert done.returncode == 0, done.stderr
    original = KiemenStore(Settings(store_path=server.store, base_uri=server.base))
    restored = KiemenStore(Settings(store_path=target, base_uri=server.base))
    compare_stores(original, restored, nq["sha256"])
    assert versions_in_data(restored.reader()) == versions_in_data(original.reader()) != set()
    # The dump is public: no private record of the registry went into it.
    text = (
        shutil.which("zcat")
        and subprocess.run(
            ["zcat", str(folder / nq["file"])], capture_output=True, text=True, check=True
        ).stdout
    )
    assert text and server.tokens[CODE] not in text
