"""A publish and its records are one step: kill the server at each point and look again.

The server is started with a failpoint (core/failpoints.py) so that it stops at a named point
of the publish; the test kills it there with SIGKILL, starts a fresh server on the same store
and checks that the published data, the publisher's versions and the audit log describe the
same state. A retried upload with the same Idempotency-Key publishes once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import pytest
import requests
from publishing_helpers import example_files, publishing_server

CODE = "GM0344"


def _upload(url: str, token: str, key: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(
        f"{url}/publish/api/{CODE}/versions", files=example_files(), headers=headers, timeout=300
    )


def _state(url: str, token: str) -> tuple[list[int], list[tuple[str, int | None]], int]:
    versions = requests.get(f"{url}/publish/api/{CODE}/versions", timeout=60).json()["rows"]
    audit = requests.get(
        f"{url}/publish/api/{CODE}/audit",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert audit.ok, audit.text
    entries = [(a["outcome"], a["version"]) for a in audit.json()["rows"]]
    answer = requests.post(
        f"{url}/sparql",
        data={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f"FILTER(CONTAINS(STR(?g), '/publishers/{CODE}/data')) }}"
        },
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    ).json()
    triples = int(answer["results"]["bindings"][0]["n"]["value"])
    return [v["number"] for v in versions], entries, triples


@pytest.mark.parametrize("point", ["publish:before-load", "publish:after-switch"])
def test_a_server_killed_during_a_publish_keeps_data_and_records_in_step(
    tmp_path: Path, point: str
) -> None:
    marker = tmp_path / "reached"
    env = {"KIEMEN_FAILPOINT": point, "KIEMEN_FAILPOINT_FILE": str(marker)}
    with publishing_server(tmp_path, {CODE: ()}, env=env) as server:
        port = int(server.url.rsplit(":", 1)[1])
        tokens = server.tokens

        def upload() -> None:
            with contextlib.suppress(requests.RequestException):  # the server is killed
                _upload(server.url, tokens[CODE])

        thread = threading.Thread(target=upload, daemon=True)
        thread.start()
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert time.monotonic() < deadline, "the publish never reached " + point
            time.sleep(0.1)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(30)
    with publishing_server(tmp_path, {CODE: ()}, port=port, tokens=tokens) as again:
        versions, audit, triples = _state(again.url, tokens[CODE])
    if point == "publish:before-load":
        assert versions == [] and triples == 0
        assert all(outcome != "published" for outcome, _v in audit)
    else:
        assert versions == [1] and triples > 0
        assert ("published", 1) in audit


def test_a_retried_upload_with_the_same_key_publishes_once(tmp_path: Path) -> None:
    with publishing_server(tmp_path, {CODE: ()}) as server:
        first = _upload(server.url, server.tokens[CODE], key="upload-2026-12-06-a")
        assert first.status_code == 201, first.text
        again = _upload(server.url, server.tokens[CODE], key="upload-2026-12-06-a")
        assert again.ok and again.json()["replayed"] is True
        assert again.json()["version"] == first.json()["version"]
        other = _upload(server.url, server.tokens[CODE], key="upload-2026-12-06-b")
        assert other.json()["version"] == first.json()["version"] + 1
        versions, _audit, _n = _state(server.url, server.tokens[CODE])
        assert versions == [2, 1]


def test_a_publisher_can_send_back_what_it_downloaded(tmp_path: Path) -> None:
    with publishing_server(tmp_path, {CODE: ()}) as server:
        first = _upload(server.url, server.tokens[CODE])
        assert first.status_code == 201, first.text
        turtle = requests.get(f"{server.url}/publish/{CODE}/versions/1.ttl", timeout=60)
        assert turtle.ok and turtle.text
        again = requests.post(
            f"{server.url}/publish/api/{CODE}/versions",
            data=turtle.content,
            headers={
                "Authorization": f"Bearer {server.tokens[CODE]}",
                "Content-Type": "text/turtle",
            },
            timeout=300,
        )
        assert again.status_code == 201, again.text[:2000]
        # the same records again (their source passages are made anew for the new version)
        assert again.json()["counts"]["records"] == first.json()["counts"]["records"]
