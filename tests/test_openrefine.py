"""A real OpenRefine (Debian's ``openrefine``, 3.6) reconciles a spreadsheet against a real
``kiemen serve`` and pulls values into it, through OpenRefine's own HTTP commands: what a
researcher does with the mouse in README, "OpenRefine, OpenAPI and reference managers"."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import free_port

REFINE_HOME = Path("/usr/share/openrefine")

pytestmark = [
    pytest.mark.openrefine,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("openrefine") is None or not (REFINE_HOME / "refine").exists(),
        reason="needs Debian's openrefine (make test-deps installs it)",
    ),
]

#: The spreadsheet: the booklet's cases as a person would type them, and a place column.
SHEET = (
    "name,place\n"
    "riot clean up,Londen\n"
    "Verander Leusden,Leusden\n"
    "onder tussen,Amsterdam\n"
    "Gemeente Alphen a/d Rijn,Alphen aan den Rijn\n"
)


@pytest.fixture(scope="module")
def refine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """OpenRefine on a free port of 127.0.0.1 with its own data folder, stopped afterwards."""
    home = tmp_path_factory.mktemp("openrefine")
    port = free_port()
    log = open(home / "log.txt", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [
            "./refine",
            "-m",
            "768M",  # Debian's refine.ini asks 1400M up front; the machine is shared
            "-p",
            str(port),
            "-i",
            "127.0.0.1",
            "-d",
            str(home / "data"),
            "-x",
            "refine.headless=true",
            "run",
        ],
        cwd=REFINE_HOME,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "no_proxy": "localhost,127.0.0.1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                if requests.get(url + "/command/core/get-version", timeout=10).ok:
                    break
            except requests.RequestException:  # not listening yet, or still starting
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("OpenRefine did not start:\n" + (home / "log.txt").read_text())
            time.sleep(1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()


class Refine:
    """OpenRefine's HTTP commands, as its own web interface calls them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def _token(self) -> str:
        return str(
            self.http.get(self.url + "/command/core/get-csrf-token", timeout=30).json()["token"]
        )

    def create(self, csv: str) -> str:
        response = self.http.post(
            self.url + "/command/core/create-project-from-upload",
            params={"csrf_token": self._token()},
            files={"project-file": ("sheet.csv", csv, "text/csv")},
            data={
                "project-name": "kiemen-test",
                "format": "text/line-based/*sv",
                "options": json.dumps({"separator": ",", "headerLines": 1, "encoding": "UTF-8"}),
            },
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"].split("project=")[1]

    def apply(self, project: str, operations: list[dict[str, Any]]) -> None:
        response = self.http.post(
            self.url + "/command/core/apply-operations",
            params={"project": project, "csrf_token": self._token()},
            data={"operations": json.dumps(operations)},
            timeout=60,
        )
        assert response.ok and "error" not in response.text, response.text[:500]
        deadline = time.monotonic() + 300
        while (
            self.http.get(
                self.url + "/command/core/get-processes", params={"project": project}, timeout=30
            )
            .json()
            .get("processes")
        ):
            assert time.monotonic() < deadline, "OpenRefine's operation did not finish"
            time.sleep(0.5)

    def rows(self, project: str) -> dict[str, Any]:
        return dict(
            self.http.get(
                self.url + "/command/core/get-rows",
                params={"project": project, "start": 0, "limit": 100},
                timeout=30,
            ).json()
        )

    def columns(self, project: str) -> list[dict[str, Any]]:
        models = self.http.get(
            self.url + "/command/core/get-models", params={"project": project}, timeout=30
        ).json()
        return list(models["columnModel"]["columns"])


def test_openrefine_reconciles_the_booklet_and_extends_the_table(
    refine: str, live_server: str
) -> None:
    service = live_server + "/reconcile"
    manifest = requests.get(service, timeout=30).json()
    client = Refine(refine)
    project = client.create(SHEET)
    everything = {"mode": "row-based", "facets": []}
    client.apply(
        project,
        [
            {
                "op": "core/recon",
                "columnName": "name",
                "engineConfig": everything,
                "config": {
                    "mode": "standard-service",
                    "service": service,
                    "identifierSpace": manifest["identifierSpace"],
                    "schemaSpace": manifest["schemaSpace"],
                    "type": None,
                    "autoMatch": True,
                    "columnDetails": [],
                    "limit": 0,
                },
            }
        ],
    )
    data = client.rows(project)
    recons = data["pool"]["recons"]
    matched = {}
    for row in data["rows"]:
        cell = row["cells"][0]
        recon = recons[str(cell["r"])]
        assert recon["j"] == "matched", (cell["v"], recon)
        matched[cell["v"]] = recon["m"]["id"]
    assert matched == {
        "riot clean up": "initiative/riotcleanup",
        "Verander Leusden": "initiative/verander-leusden",
        "onder tussen": "initiative/onder-tussen",
        "Gemeente Alphen a/d Rijn": "actor/gemeente-alphen-aan-den-rijn",
    }

    client.apply(
        project,
        [
            {
                "op": "core/extend-reconciled-data",
                "baseColumnName": "name",
                "endpoint": service,
                "identifierSpace": manifest["identifierSpace"],
                "schemaSpace": manifest["schemaSpace"],
                "extension": {"properties": [{"id": "place"}, {"id": "form"}]},
                "columnInsertIndex": 1,
                "engineConfig": everything,
            }
        ],
    )
    columns = {c["name"]: c["cellIndex"] for c in client.columns(project)}
    assert {"Plaats", "Samenwerkingsvorm"} <= set(columns), columns
    values: dict[str, list[str]] = {"Plaats": [], "Samenwerkingsvorm": []}
    for row in client.rows(project)["rows"]:
        for name in values:
            index = columns[name]
            cell = row["cells"][index] if index < len(row["cells"]) else None
            if cell and cell.get("v"):
                values[name].append(cell["v"])
    assert {"Londen", "Manchester", "Leusden", "Amsterdam", "Zaanstad"} <= set(values["Plaats"])
    assert "burgerinitiatief" in values["Samenwerkingsvorm"]
