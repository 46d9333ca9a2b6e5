"""Virtuoso Open Source as the external store: ``kiemen push`` into it over its Graph Store
(``/sparql-graph-crud-auth``, digest authentication), then ``/sparql`` answered from it with
the same answers, formats and limits as the embedded store. Skipped when Virtuoso is not
installed; ``make test-deps`` installs it, so ``make test`` runs it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REPO, kiemen_cmd, kiemen_env
from deploy_helpers import kiemen_serve, needs_virtuoso, virtuoso
from test_external_sparql import ASK, CONSTRUCT, EVERYTHING, RESULTS, SELECT, ask, rows

from core.config import CANONICAL_BASE

pytestmark = [needs_virtuoso, pytest.mark.slow, pytest.mark.virtuoso]


@pytest.fixture(scope="module")
def through_virtuoso(
    loaded_store_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    where = tmp_path_factory.mktemp("virtuoso")
    with virtuoso(where) as server:
        pushed = subprocess.run(
            [
                *kiemen_cmd(),
                "push",
                f"{server}/sparql-graph-crud-auth",
                "--graph-param",
                "graph-uri",
                "--user",
                "dba",
                "--digest",
            ],
            env=kiemen_env(loaded_store_path, CANONICAL_BASE, KIEMEN_PUSH_PASSWORD="dba"),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert pushed.returncode == 0, pushed.stderr
        assert f"<{CANONICAL_BASE}graph/meta>" in pushed.stdout.splitlines()[-1]
        with kiemen_serve(loaded_store_path, KIEMEN_SPARQL_ENDPOINT=f"{server}/sparql") as portal:
            yield portal


@pytest.mark.parametrize("key", ["json", "xml", "tsv"])
def test_virtuoso_answers_as_the_embedded_store(
    live_server: str, through_virtuoso: str, key: str
) -> None:
    for query in (SELECT, ASK):
        here = ask(live_server, query, RESULTS[key])
        there = ask(through_virtuoso, query, RESULTS[key])
        assert there.status_code == here.status_code == 200, there.text[:300]
        assert there.headers["Content-Type"] == here.headers["Content-Type"]
        assert rows(there.content, key) == rows(here.content, key)


def test_virtuoso_graphs_and_limits(live_server: str, through_virtuoso: str) -> None:
    here = ask(live_server, CONSTRUCT, "application/n-triples")
    there = ask(through_virtuoso, CONSTRUCT, "application/n-triples")
    assert there.status_code == 200, there.text[:300]
    ours = {str(t) for t in ox.parse(here.content, format=ox.RdfFormat.N_TRIPLES)}
    theirs = {str(t) for t in ox.parse(there.content, format=ox.RdfFormat.N_TRIPLES)}
    assert theirs == ours and ours
    cut = ask(through_virtuoso, EVERYTHING, RESULTS["json"])
    assert cut.headers.get("Kiemen-Truncated") == "true; rows=10000"
    assert len(cut.json()["results"]["bindings"]) == 10000
    bad = ask(through_virtuoso, "SELEC * WHERE {}", RESULTS["json"])
    assert bad.status_code == 400 and "syntax" in bad.json()["error"]
