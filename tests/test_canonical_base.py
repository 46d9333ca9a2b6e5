"""One canonical base per deployment: recorded with the data, refused or migrated when another
base is configured, and warned about where a read would silently find nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, kiemen_cmd, kiemen_env
from sparql_helpers import bundled_store

from core.config import CANONICAL_BASE, ConfigError, Settings
from core.store import BASE_FILE, KiemenStore

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
    assert left == []
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
