"""One canonical base per deployment: recorded with the data, refused or migrated when another
base is configured, and warned about where a read would silently find nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REPO, kiemen_cmd, kiemen_env
from sparql_helpers import bundled_store

from core.config import CANONICAL_BASE, ConfigError, Settings
from core.store import BASE_FILE, KiemenStore
from core.vocab import RDF_TYPE

OLD = "http://127.0.0.1:5000/"


def kiemen(store: Path, base: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*kiemen_cmd(), *args],
        env=kiemen_env(store, base),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_default_base_is_canonical_and_not_tied_to_a_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIEMEN_BASE_URI", raising=False)
    monkeypatch.setenv("KIEMEN_PORT", "5077")
    settings = Settings.from_env()
    assert settings.base_uri == CANONICAL_BASE == "https://w3id.org/kiemen/"
    assert settings.id_ns == "https://w3id.org/kiemen/id/"
    monkeypatch.setenv("KIEMEN_BASE_URI", "https://data.example.nl/kiemen")
    assert Settings.from_env().base_uri == "https://data.example.nl/kiemen/"
    for bad in ("ftp://x/", "https://x/?a=1", "https://x/#f", "kiemen"):
        monkeypatch.setenv("KIEMEN_BASE_URI", bad)
        with pytest.raises(ConfigError):
            Settings.from_env()


def test_every_generation_records_its_base(tmp_path: Path) -> None:
    store = bundled_store(tmp_path / "store")
    kstore = KiemenStore(Settings(store_path=store))
    gen = kstore.current_generation()
    assert gen is not None
    assert (gen / BASE_FILE).read_text().strip() == CANONICAL_BASE
    assert kstore.made_with_base() == CANONICAL_BASE
    assert kstore.warnings() == []


def test_another_base_is_refused_then_migrated(tmp_path: Path) -> None:
    """A store made under a port-based base (as before canonical IRIs): reads warn, writes are
    refused with exit code 2 and the store is left as it was, `kiemen migrate-base` carries it
    over once."""
    store = bundled_store(tmp_path / "store", OLD)
    gen = KiemenStore(Settings(store_path=store)).current_generation()
    assert gen is not None
    (gen / BASE_FILE).unlink()  # as written before bases were recorded: read off graph names
    old_kstore = KiemenStore(Settings(store_path=store))
    assert old_kstore.made_with_base() == OLD

    stats = kiemen(store, CANONICAL_BASE, "stats", "--output", "json")
    assert stats.returncode == 0
    assert f"made with the canonical base <{OLD}>" in stats.stderr
    assert "kiemen migrate-base" in stats.stderr
    query = kiemen(store, CANONICAL_BASE, "query", "stats-by-kind")
    assert "warning:" in query.stderr and OLD in query.stderr

    extra = tmp_path / "extra.ttl"
    extra.write_text("<https://example.org/a> <https://example.org/b> 'c' .\n")
    refused = kiemen(store, CANONICAL_BASE, "load", str(extra), "--graph", "extra")
    assert refused.returncode == 2, refused.stderr
    assert f"made with the canonical base <{OLD}>" in refused.stderr
    assert KiemenStore(Settings(store_path=store)).current_generation() == gen

    migrated = kiemen(store, CANONICAL_BASE, "migrate-base")
    assert migrated.returncode == 0, migrated.stderr
    assert f"from <{OLD}> to <{CANONICAL_BASE}>" in migrated.stdout
    kstore = KiemenStore(Settings(store_path=store))
    assert kstore.made_with_base() == CANONICAL_BASE
    left = [q for q in kstore.reader().quads_for_pattern(None, None, None, None) if OLD in str(q)]
    # only the migration's own record names the old base (in its texts), no IRI is left under it
    assert left and all(
        "/id/migrate-base/" in q.subject.value and isinstance(q.object, ox.Literal) for q in left
    )
    assert _migrations(kstore) == 1
    kinds = {r["kind"]: r["count"] for r in kstore.rows("stats-by-kind")}
    assert kinds.get(CANONICAL_BASE + "def/Initiative", 0) > 0
    assert kiemen(store, CANONICAL_BASE, "stats").stderr == ""
    again = kiemen(store, CANONICAL_BASE, "migrate-base")
    assert again.returncode == 0 and "nothing to rewrite" in again.stdout


def test_empty_store_is_warned_about(tmp_path: Path) -> None:
    result = kiemen(tmp_path / "empty", CANONICAL_BASE, "stats")
    assert result.returncode == 0
    assert "is empty: load data with `kiemen load`" in result.stderr


def test_a_copied_generation_keeps_its_base(tmp_path: Path) -> None:
    """Shipping a generation directory to a replica carries the base with it."""
    store = bundled_store(tmp_path / "store")
    gen = KiemenStore(Settings(store_path=store)).current_generation()
    assert gen is not None
    copy = tmp_path / "replica"
    copy.mkdir()
    shutil.copytree(gen, copy / gen.name)
    (copy / "current").symlink_to(gen.name)
    assert KiemenStore(Settings(store_path=copy)).made_with_base() == CANONICAL_BASE


#: The write pipeline's failpoints (core/write/pipeline.py) in the order a write reaches them;
#: from ``write:published`` on, the write is published.
POINTS = [
    "write:authorise",
    "write:write",
    "write:validate",
    "write:provenance",
    "write:indexes",
    "write:publish",
    "write:switch",
    "write:published",
]


def _migrations(kstore: KiemenStore) -> int:
    """How many migrate-base records the published meta graph holds."""
    settings = kstore.settings
    meta = ox.NamedNode(settings.base_uri + "graph/meta")
    prefix = settings.id_ns + "migrate-base/"
    kind = ox.NamedNode("http://www.w3.org/ns/prov#Activity")
    return sum(
        1
        for q in kstore.reader().quads_for_pattern(None, ox.NamedNode(RDF_TYPE), kind, meta)
        if q.subject.value.startswith(prefix)
    )


def _mixed(kstore: KiemenStore) -> tuple[int, int]:
    """Quads that mention the old base and quads that mention the canonical one."""
    old = new = 0
    for q in kstore.reader().quads_for_pattern(None, None, None, None):
        if "/id/migrate-base/" in q.subject.value and isinstance(q.object, ox.Literal):
            continue  # the migration's own record names the base it moved from
        text = str(q)
        old += OLD in text
        new += CANONICAL_BASE in text
    return old, new


@pytest.mark.slow
def test_migrate_base_killed_at_each_step_leaves_one_whole_store(tmp_path: Path) -> None:
    """`kiemen migrate-base` goes through the write pipeline: killed (SIGKILL) at any step before
    the switch, the store is the old one, untouched and without a migration record; from the
    switch on, it is the migrated one, with exactly one record; never a mix."""
    store = bundled_store(tmp_path / "store", OLD)
    marker = tmp_path / "reached"
    before = KiemenStore(Settings(store_path=store))
    old_generation = before.current_generation()
    old_count = _mixed(before)
    assert old_count[0] > 0 and old_count[1] == 0
    for point in POINTS:
        marker.unlink(missing_ok=True)
        env = kiemen_env(
            store, CANONICAL_BASE, KIEMEN_FAILPOINT=point, KIEMEN_FAILPOINT_FILE=str(marker)
        )
        proc = subprocess.Popen(
            [*kiemen_cmd(), "migrate-base"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert proc.poll() is None, (point, proc.stderr.read() if proc.stderr else "")
            assert time.monotonic() < deadline, f"migrate-base never reached {point}"
            time.sleep(0.05)
        assert marker.read_text(encoding="utf-8").split() == [point, str(proc.pid)]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        kstore = KiemenStore(Settings(store_path=store))
        if point != "write:published":
            assert kstore.current_generation() == old_generation, point
            assert kstore.made_with_base() == OLD, point
            assert _mixed(kstore) == old_count, point
            assert _migrations(kstore) == 0, point
    kstore = KiemenStore(Settings(store_path=store))
    assert kstore.current_generation() != old_generation
    assert kstore.made_with_base() == CANONICAL_BASE
    old_left, new_count = _mixed(kstore)
    assert old_left == 0 and new_count >= old_count[0]
    assert _migrations(kstore) == 1
    # the indexes were built for the migrated generation: browsing and search work on it
    kinds = {r["kind"]: r["count"] for r in kstore.rows("stats-by-kind")}
    assert kinds.get(CANONICAL_BASE + "def/Initiative", 0) > 0
    assert kiemen(store, CANONICAL_BASE, "stats").stderr == ""  # no lock left, no warning
    again = kiemen(store, CANONICAL_BASE, "migrate-base")
    assert again.returncode == 0 and "nothing to rewrite" in again.stdout
    assert _migrations(KiemenStore(Settings(store_path=store))) == 1
