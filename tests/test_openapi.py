"""The OpenAPI 3.1 description (``/api/openapi.json``) matches the server: every JSON route is
described and every described route exists; schemathesis, a real client, runs a bounded number
of generated requests against a real ``kiemen serve`` and finds no 5xx and no answer that
breaks the description."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

#: Generated requests per operation, and the seed (fixed, so a failure can be replayed).
EXAMPLES = int(os.environ.get("KIEMEN_SCHEMATHESIS_EXAMPLES", "20"))
SEED = os.environ.get("KIEMEN_SCHEMATHESIS_SEED", "20261206")
#: Route prefixes whose answers are JSON for machines, and so belong in the description.
DESCRIBED = ("/api/", "/publish/api/", "/reconcile")


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_json_route_is_described_and_nothing_else(app, client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        path = _openapi_path(rule.rule)
        if path.startswith(DESCRIBED) and path not in ("/api/", "/api"):
            methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
            routes.setdefault(path, set()).update(methods)
    described = {
        path: {m for m in ops if m in ("get", "post", "put", "delete", "patch")}
        for path, ops in doc["paths"].items()
    }
    assert described == routes


def test_parameters_follow_the_server_settings(client, settings) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/initiatives"]["get"]["parameters"]}
    assert params["_size"]["schema"]["maximum"] == settings.max_page_size
    assert {"form", "govrole", "theme", "municipality", "q", "_sort", "_next"} <= set(params)
    assert doc["servers"] == [{"url": "http://localhost"}]
    batch = doc["components"]["schemas"]["ReconQueries"]["additionalProperties"]
    assert "place" in batch["properties"]["properties"]["items"]["properties"]["pid"]["enum"]


def test_inputs_schemathesis_found_are_refused_not_crashes(live_server: str) -> None:
    """Requests that once crashed the server (a tantivy abort took the whole process down) or
    answered 500."""
    cases = [
        ("/api/search?q=a&_next=4961849410058105856", 400),
        ("/api/search?q=a&_next=-1", 400),
        ("/api/things?iri=0", 400),  # not an absolute IRI
        ("/reconcile/suggest/entity?prefix=a&cursor=4961849410058105856", 400),
    ]
    for url, status in cases:
        response = requests.get(live_server + url, timeout=30)
        assert response.status_code == status, url
        assert response.json()["ok"] is False
    from core.config import CANONICAL_BASE

    thing = CANONICAL_BASE + "id/initiative/riotcleanup"  # things are named canonically
    deep = requests.get(
        live_server + "/api/things",
        params={"iri": thing, "_incoming_page": "63841001891495797587968"},
        timeout=30,
    )
    assert deep.status_code == 200 and deep.json()["rows"][0]["iri"] == thing
    page = requests.get(
        live_server + "/page/initiative/riotcleanup", params={"incoming": "9" * 30}, timeout=30
    )
    assert page.status_code == 200
    assert requests.get(live_server + "/api/openapi.json", timeout=30).status_code == 200


def test_schemathesis_finds_nothing(live_server: str, tmp_path: Path) -> None:
    """Every check schemathesis has, a bounded number of examples per operation, one worker
    (the machine is shared), without a token (the publishing API's writes answer 401)."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        live_server + "/api/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
        "--no-color",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=1200, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert re.search(r"Tested: \d+", output), output[-2000:]
    assert "No issues found" in output or " passed" in output, output[-2000:]
