"""The ``kiemen`` command: help for every subcommand and the promised exit codes."""

from __future__ import annotations

import gc
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, kiemen_cmd, kiemen_env

from cli.main import main

SUBCOMMANDS = ["load", "validate", "serve", "query", "export", "stats"]


def run(
    args: list[str], store: Path, base: str = "http://kiemen.test/"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*kiemen_cmd(), *args],
        env=kiemen_env(store, base),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(sub: str, tmp_path: Path) -> None:
    result = run([sub, "--help"], tmp_path / "s")
    assert result.returncode == 0
    assert "Usage:" in result.stdout


def test_unknown_subcommand_is_usage_error(tmp_path: Path) -> None:
    assert run(["nonsense"], tmp_path / "s").returncode == 2


def test_bad_data_exits_1_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open\n')
    result = run(["load", str(bad)], tmp_path / "s")
    assert result.returncode == 1, result.stderr
    assert "bad.ttl, line 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_shacl_violation_exits_1_and_names_rule(tmp_path: Path) -> None:
    data = tmp_path / "initiative.ttl"
    data.write_text(
        "@prefix km: <http://kiemen.test/def/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "\n"
        '<http://kiemen.test/id/initiative/x> a km:Initiative ;\n  skos:prefLabel "X"@nl .\n'
    )
    result = run(["validate", str(data)], tmp_path / "s")
    assert result.returncode == 1, result.stderr
    assert "initiative.ttl, line 4" in result.stderr
    assert "rule:" in result.stderr


def test_environment_error_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run(["stats"], blocker / "store")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_query_with_bad_parameter_exits_2(tmp_path: Path) -> None:
    result = run(["query", "stats-by-form", "-p", "lang=dutch"], tmp_path / "s")
    assert result.returncode == 2


def test_stats_and_query_on_loaded_store(loaded_store_path: Path, base_uri: str) -> None:
    result = run(["stats", "--output", "json"], loaded_store_path, base_uri)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    kinds = {row["label"]: row["count"] for row in stats["by kind"]}
    assert any(count > 0 for count in kinds.values())
    assert stats["by collaboration form"]
    assert stats["by government role"]
    result = run(["query", "stats-by-kind", "--output", "csv"], loaded_store_path, base_uri)
    assert result.returncode == 0 and result.stdout.startswith("kind,label,count")


def test_load_ends_without_the_final_collection_walking_its_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kiemen load` freezes what it leaves alive (the gazetteer's million lists), so that
    Python's collection at exit skips it: about a second of every load (issue 18 item 3)."""
    data = tmp_path / "small.ttl"
    data.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n")
    monkeypatch.setenv("KIEMEN_STORE", str(tmp_path / "s"))
    monkeypatch.setenv("KIEMEN_BASE_URI", "http://kiemen.test/")
    gc.unfreeze()
    try:
        result = CliRunner().invoke(main, ["load", str(data), "--graph", "small"])
        assert result.exit_code == 0, result.output
        assert "loaded 1 triples" in result.output
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
