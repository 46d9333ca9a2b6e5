"""Static checks of the code and its dependencies: bandit, and pip-audit where it can look."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO


def test_bandit_finds_nothing_of_medium_severity_or_more() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-r",
            "portal",
            "loaders",
            "queries",
            "-ll",
            "-f",
            "json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(out.stdout)
    found = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert not found, "\n".join(found)


def test_pip_audit_finds_no_known_vulnerability() -> None:
    """pip-audit asks PyPI's vulnerability data; where this machine's index has none, skip."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--progress-spinner",
            "off",
            "--skip-editable",
            "-f",
            "json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        pytest.skip(f"pip-audit could not run here: {out.stderr.strip()[-300:]}")
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    if not audited:
        pytest.skip("pip-audit reached no vulnerability data (the package index here has none)")
    vulnerable = [
        f"{d['name']} {d['version']}: {[v['id'] for v in d['vulns']]}"
        for d in audited
        if d.get("vulns")
    ]
    assert not vulnerable, "\n".join(vulnerable)
