"""A normal (non-editable) install finds the ontology, queries, templates and data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO


@pytest.mark.slow
def test_wheel_contains_package_data(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(tmp_path.glob("kiemen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "ontology/kiemen.ttl",
        "ontology/shapes.ttl",
        "ontology/schemes/form.ttl",
        "queries/stats-by-kind.rq",
        "portal/templates/base.html",
        "portal/static/kiemen.css",
        "portal/translations/nl/LC_MESSAGES/messages.po",
        "portal/translations/en/LC_MESSAGES/messages.po",
    ):
        assert expected in names, expected
    assert any(n.startswith("kiemen_data/curated/") and n.endswith(".ttl") for n in names)
    for rq in (REPO / "queries").glob("*.rq"):
        assert f"queries/{rq.name}" in names
