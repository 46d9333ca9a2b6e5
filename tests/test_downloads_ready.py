"""Ready on first start (issue #17 item 11): ``kiemen serve`` fills /downloads/ in the
background, the page says "being prepared" until then, and nothing waits for the dumps."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from tests.conftest import REPO, free_port, kiemen_cmd, kiemen_env


def _load_small(settings: Any, tmp_path: Path, name: str = "Zwaluwnesten") -> None:
    from core.store import KiemenStore
    from loaders import load
    from loaders.base import Source

    base = settings.base_uri
    data = tmp_path / "one.nt"
    x = f"<{base}id/initiative/x>"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    data.write_text(f'{x} {rdf_type} <{base}def/Initiative> .\n{x} {label} "{name}"@nl .\n')
    load(KiemenStore(settings), [Source(str(data), graph="test")], validate=False)


def test_serve_fills_downloads_in_the_background(tmp_path: Path) -> None:
    from core.config import Settings
    from core.store import KiemenStore
    from core.write.dumps import read_manifest

    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    settings = Settings.from_env(store_path=tmp_path / "store", base_uri=base)
    _load_small(settings, tmp_path)
    folder = tmp_path / "store" / "downloads"
    assert not (folder / "index.json").exists()  # the load itself writes no dumps
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [*kiemen_cmd(), "serve", "--port", str(port)],
        env=kiemen_env(tmp_path / "store", base, KIEMEN_PORT=str(port)),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 90
        pages = []
        while time.monotonic() < deadline:
            try:
                response = requests.get(base + "downloads/?lang=en", timeout=10)
            except requests.ConnectionError:
                time.sleep(0.2)
                continue
            assert response.status_code == 200
            pages.append(response.text)
            if "kiemen-" in response.text and ".nq.gz" in response.text:
                break
            assert "being prepared" in response.text
            time.sleep(0.3)
        else:
            raise AssertionError("no dumps after 90 s:\n" + (tmp_path / "server.log").read_text())
        manifest = read_manifest(folder)
        assert manifest["releases"][0]["generation"] == KiemenStore(settings).generation_id()
        assert 'id="preparing"' not in pages[-1]
        dump = requests.get(base + "downloads/" + manifest["releases"][0]["files"][0]["file"])
        assert dump.status_code == 200 and dump.content[:2] == b"\x1f\x8b"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_page_says_being_prepared_while_the_dumps_are_written(tmp_path: Path) -> None:
    import fcntl

    from core.config import Settings
    from core.write import dumps
    from portal.app import create_app

    settings = Settings.from_env(store_path=tmp_path / "store", base_uri="http://kiemen.test/")
    _load_small(settings, tmp_path)
    folder = dumps.dumps_dir(settings)
    folder.mkdir(parents=True)
    app = create_app(settings)
    app.config["KIEMEN_AUTO_DUMPS"] = True
    client = app.test_client()
    # Hold the export lock, as a `kiemen export` in another process would: the background
    # export starts and waits for it.
    with open(folder / dumps.LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        html = client.get("/downloads/?lang=en").get_data(as_text=True)
        assert 'id="preparing"' in html and "being prepared" in html
        assert ".nq.gz" not in html
        assert len(dumps._BUILDING) == 1
        proc = next(iter(dumps._BUILDING.values()))
        time.sleep(0.5)
        assert proc.poll() is None, "the export waits for the lock"
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert proc.wait(timeout=120) == 0
    html = client.get("/downloads/?lang=nl").get_data(as_text=True)
    assert 'id="preparing"' not in html and ".nq.gz" in html
    assert not dumps.being_prepared(folder)
    # Without the setting (tests, tools) nothing is started.
    other = create_app(
        Settings.from_env(store_path=tmp_path / "store2", base_uri="http://kiemen.test/")
    )
    assert other.config.get("KIEMEN_AUTO_DUMPS") is None


def test_one_export_at_a_time_then_the_newest_generation(tmp_path: Path) -> None:
    """A burst of publishes starts one background export, not one per generation; once it has
    ended, the next look starts the export of the generation that is current by then."""
    import fcntl

    from core.config import Settings
    from core.store import KiemenStore
    from core.write import dumps

    settings = Settings.from_env(store_path=tmp_path / "store", base_uri="http://kiemen.test/")
    _load_small(settings, tmp_path)
    kstore = KiemenStore(settings)
    folder = dumps.dumps_dir(settings)
    folder.mkdir(parents=True)
    with open(folder / dumps.LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first export waits here, as behind another's
        first = dumps.prepare_in_background(kstore)
        assert first is not None
        try:
            for name in ("Tweede", "Derde"):
                _load_small(settings, tmp_path, name)  # a new generation each
                assert dumps.prepare_in_background(kstore) is None
            assert list(dumps._BUILDING.values()) == [first]
            assert dumps.being_prepared(folder)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    assert first.wait(timeout=120) == 0
    newest = kstore.generation_id()
    if not dumps.ready(folder, newest):  # the first export may have written the newest already
        second = dumps.prepare_in_background(kstore)
        assert second is not None and second.wait(timeout=120) == 0
    assert dumps.ready(folder, newest) and not dumps.being_prepared(folder)
    assert dumps.prepare_in_background(kstore) is None  # nothing left to do


def test_the_background_export_runs_at_the_lowest_cpu_and_io_priority(tmp_path: Path) -> None:
    """The export that follows a publish runs beside the next write: at ``SCHED_IDLE`` and in
    the idle I/O class it takes only what that write leaves (seen on the real child, held at
    the export lock so that it is still running when looked at)."""
    import fcntl
    import os

    from core.config import Settings
    from core.store import KiemenStore
    from core.write import dumps
    from core.write.priority import IDLE_CLASS, io_class

    settings = Settings.from_env(store_path=tmp_path / "store", base_uri="http://kiemen.test/")
    _load_small(settings, tmp_path)
    kstore = KiemenStore(settings)
    folder = dumps.dumps_dir(settings)
    folder.mkdir(parents=True)
    with open(folder / dumps.LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        child = dumps.prepare_in_background(kstore)
        assert child is not None
        try:
            deadline = time.monotonic() + 60
            seen = (-1, -1)
            while time.monotonic() < deadline and child.poll() is None:
                seen = (os.sched_getscheduler(child.pid), io_class(child.pid))
                if seen == (os.SCHED_IDLE, IDLE_CLASS):
                    break
                time.sleep(0.05)
            assert seen == (os.SCHED_IDLE, IDLE_CLASS), seen
            assert io_class() != IDLE_CLASS  # the server itself keeps its priority
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    assert child.wait(timeout=120) == 0
    assert dumps.ready(folder, kstore.generation_id())
