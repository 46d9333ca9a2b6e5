"""The store's promise: loads are atomic — a failed or killed load leaves it exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REPO, kiemen_cmd, kiemen_env

from core.store import KiemenStore
from loaders import LoadError, Source, load


def snapshot(store: KiemenStore) -> set[str]:
    return {str(q) for q in store.reader().quads_for_pattern(None, None, None, None)}


def write_ttl(path: Path, n: int, prefix: str = "ok") -> Path:
    lines = ["@prefix ex: <http://example.org/> ."]
    lines += [f'ex:{prefix}{i} ex:value "{i}" .' for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_empty_store_opens(empty_settings) -> None:  # type: ignore[no-untyped-def]
    store = KiemenStore(empty_settings)
    assert len(store.reader()) == 0
    assert store.generation_id() is not None


def test_load_replaces_its_graph(empty_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = KiemenStore(empty_settings)
    first = write_ttl(tmp_path / "a.ttl", 5)
    load(store, [Source(str(first), graph="files/a")], validate=False)
    write_ttl(first, 3, prefix="again")
    report = load(store, [Source(str(first), graph="files/a")], validate=False)
    graph = ox.NamedNode("http://kiemen.test/graph/files/a")
    subjects = {q.subject.value for q in store.reader().quads_for_pattern(None, None, None, graph)}
    assert subjects == {f"http://example.org/again{i}" for i in range(3)}
    assert report.graphs[0].triples == 3


def test_syntax_error_names_file_and_line_and_changes_nothing(
    empty_settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    store = KiemenStore(empty_settings)
    load(store, [Source(str(write_ttl(tmp_path / "good.ttl", 4)))], validate=False)
    before, gen = snapshot(store), store.generation_id()
    bad = write_ttl(tmp_path / "bad.ttl", 10)
    with open(bad, "a", encoding="utf-8") as fh:
        fh.write('ex:broken ex:value "no end .\n')
    with pytest.raises(LoadError) as info:
        load(store, [Source(str(bad))], validate=False)
    problem = info.value.problems[0]
    assert problem.source.endswith("bad.ttl")
    assert problem.line == 12
    assert snapshot(store) == before
    assert store.generation_id() == gen


def test_empty_file_is_a_clear_error(empty_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.ttl"
    empty.write_text("")
    with pytest.raises(LoadError, match="empty"):
        load(KiemenStore(empty_settings), [Source(str(empty))])


def test_dry_run_writes_nothing(empty_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = KiemenStore(empty_settings)
    store.initialise()
    gen = store.generation_id()
    report = load(
        store, [Source(str(write_ttl(tmp_path / "a.ttl", 3)))], dry_run=True, validate=False
    )
    assert report.graphs[0].triples == 3
    assert store.generation_id() == gen
    assert len(store.reader()) == 0


def test_sigkill_midway_leaves_store_as_it_was(empty_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Start a large load in another process, kill it with SIGKILL halfway, compare."""
    store = KiemenStore(empty_settings)
    load(
        store,
        [Source(str(write_ttl(tmp_path / "small.ttl", 10)), graph="files/big")],
        validate=False,
    )
    before, gen = snapshot(store), store.generation_id()
    big = tmp_path / "big.nt"
    with open(big, "w", encoding="utf-8") as fh:
        for i in range(1_500_000):
            fh.write(f'<http://example.org/s{i}> <http://example.org/p> "value {i}" .\n')
    env = kiemen_env(Path(empty_settings.store_path), empty_settings.base_uri)
    proc = subprocess.Popen(
        [*kiemen_cmd(), "load", str(big), "--graph", "files/big"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Wait until the loader is writing its private generation, then kill it.
    deadline = time.monotonic() + 60
    root = Path(empty_settings.store_path)
    while time.monotonic() < deadline:
        if any(p.name.endswith(".tmp") for p in root.iterdir()):
            break
        time.sleep(0.05)
    time.sleep(1.0)
    assert proc.poll() is None, "the load finished before it could be killed; make it bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    fresh = KiemenStore(empty_settings)
    assert fresh.generation_id() == gen
    assert snapshot(fresh) == before
    # The next writer cleans up what the killed one left behind.
    load(fresh, [Source(str(write_ttl(tmp_path / "after.ttl", 2)))], validate=False)
    assert not any(p.name.endswith(".tmp") for p in root.iterdir())
