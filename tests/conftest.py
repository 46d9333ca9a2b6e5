"""Shared fixtures: a real on-disk store loaded with the bundled data, the Flask app, its test
client and CLI runner (flaskr's pattern), and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def base_uri() -> str:
    """The canonical base the test store is minted under: never the test server's address."""
    from core.config import CANONICAL_BASE

    return CANONICAL_BASE


@pytest.fixture(scope="session")
def loaded_store_path(tmp_path_factory: pytest.TempPathFactory, base_uri: str) -> Path:
    """A store with everything bundled loaded once per session (read-only for tests)."""
    from core.config import Settings
    from core.store import KiemenStore
    from loaders import bundled_sources, load

    path = tmp_path_factory.mktemp("store") / "kiemen.oxigraph"
    settings = Settings.from_env(store_path=path, base_uri=base_uri)
    load(KiemenStore(settings), bundled_sources())
    return path


#: The base of the bundled copies tests write to (not the canonical one: loaders must rebase).
TEST_BASE = "http://kiemen.test/"


@pytest.fixture(scope="session")
def bundled_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the bundled data under :data:`TEST_BASE`, loaded once per run; a test that
    writes takes a copy of it (``store``)."""
    from core.config import Settings
    from core.store import KiemenStore
    from loaders import bundled_sources, load

    path = tmp_path_factory.mktemp("bundled") / "store"
    load(KiemenStore(Settings.from_env(store_path=path, base_uri=TEST_BASE)), bundled_sources())
    return path


@pytest.fixture()
def store(bundled_copy: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """This test's own copy of :func:`bundled_copy`."""
    import shutil

    from core.config import Settings
    from core.store import KiemenStore

    target = tmp_path / "store"
    shutil.copytree(bundled_copy, target, symlinks=True)
    return KiemenStore(Settings.from_env(store_path=target, base_uri=TEST_BASE))


@pytest.fixture(scope="session")
def settings(loaded_store_path: Path, base_uri: str):  # type: ignore[no-untyped-def]
    from core.config import Settings

    return Settings.from_env(store_path=loaded_store_path, base_uri=base_uri)


@pytest.fixture(scope="session")
def kstore(settings):  # type: ignore[no-untyped-def]
    from core.store import KiemenStore

    return KiemenStore(settings)


@pytest.fixture()
def empty_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings for a fresh, empty store of the test's own."""
    from core.config import Settings

    return Settings.from_env(store_path=tmp_path / "store", base_uri="http://kiemen.test/")


@pytest.fixture(scope="session")
def app(settings):  # type: ignore[no-untyped-def]
    from portal.app import create_app

    application = create_app(settings)
    application.config.update(TESTING=True)
    return application


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture()
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


def kiemen_env(store: Path, base_uri: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(KIEMEN_STORE=str(store), KIEMEN_BASE_URI=base_uri, **extra)
    return env


def kiemen_cmd() -> list[str]:
    return [sys.executable, "-m", "cli"]


@pytest.fixture(scope="session")
def live_server(loaded_store_path: Path, base_uri: str, server_port: int) -> Iterator[str]:
    """``kiemen serve`` as a real process on 127.0.0.1, stopped at the end of the session.

    Yields the server's address (no trailing slash); the data's IRIs stay under ``base_uri``.
    """
    env = kiemen_env(loaded_store_path, base_uri, KIEMEN_PORT=str(server_port))
    url = f"http://127.0.0.1:{server_port}/"
    log = open(loaded_store_path.parent / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [*kiemen_cmd(), "serve", "--port", str(server_port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url, timeout=2)
            break
        except requests.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError(
                    "kiemen serve did not start:\n"
                    + (loaded_store_path.parent / "server.log").read_text()
                ) from None
            time.sleep(0.2)
    yield url.rstrip("/")
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def exported(loaded_store_path: Path, base_uri: str) -> dict[str, object]:
    """`kiemen export` run once into the store's downloads folder, which the live server serves:
    its stdout, the folder and the manifest (index.json) it wrote."""
    import json

    result = subprocess.run(
        [*kiemen_cmd(), "export"],
        env=kiemen_env(loaded_store_path, base_uri),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    folder = loaded_store_path / "downloads"
    manifest = json.loads((folder / "index.json").read_text())
    return {"stdout": result.stdout, "folder": folder, "manifest": manifest}
