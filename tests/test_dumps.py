"""`kiemen export` dumps: served with size and SHA-256, and reloadable as the same graph."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
import requests
from conftest import REPO, kiemen_cmd, kiemen_env
from rdflib.compare import isomorphic


def latest_files(exported: dict[str, Any]) -> list[dict[str, Any]]:
    manifest = exported["manifest"]
    release = next(r for r in manifest["releases"] if r["release"] == manifest["latest"])
    return list(release["files"])


def test_export_prints_what_it_wrote(exported: dict[str, Any]) -> None:
    printed = {}
    for line in exported["stdout"].splitlines():
        m = re.fullmatch(r"(\S+)  (\d+) bytes  sha256 ([0-9a-f]{64})", line)
        assert m, line
        printed[m.group(1)] = (int(m.group(2)), m.group(3))
    files = latest_files(exported)
    assert {f["key"] for f in files} == {
        "nquads",
        "turtle",
        "initiatives",
        "actors",
        "involvements",
    }
    for f in files:
        path = exported["folder"] / f["file"]
        data = path.read_bytes()
        assert printed[f["file"]] == (len(data), hashlib.sha256(data).hexdigest())
        assert f["release"] in f["file"], "versioned by release date"


def test_each_dump_is_served_with_its_checksum(live_server: str, exported: dict[str, Any]) -> None:
    page = requests.get(f"{live_server}/downloads/", timeout=20)
    assert page.status_code == 200
    for f in latest_files(exported):
        assert f["sha256"] in page.text and f["file"] in page.text
        response = requests.get(f"{live_server}/downloads/{f['file']}", timeout=60)
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers, "served as stored, checksum intact"
        assert int(response.headers["Content-Length"]) == f["bytes"] == len(response.content)
        assert hashlib.sha256(response.content).hexdigest() == f["sha256"]
        assert 'rel="license"' in response.headers["Link"]
        expected = "application/gzip" if f["compressed"] else "text/csv"
        assert response.headers["Content-Type"].startswith(expected)
    sums = requests.get(
        f"{live_server}/downloads/kiemen-{exported['manifest']['latest']}.sha256", timeout=20
    ).text
    for f in latest_files(exported):
        assert f"{f['sha256']}  {f['file']}" in sums
    assert requests.get(f"{live_server}/downloads/../index.json", timeout=20).status_code == 404
    assert requests.get(f"{live_server}/downloads/nothing.nq.gz", timeout=20).status_code == 404


def _load_dump(path: Path, fmt: ox.RdfFormat) -> ox.Store:
    empty = ox.Store()
    assert len(empty) == 0
    empty.load(gzip.decompress(path.read_bytes()), format=fmt)
    return empty


def _graph(quads: Any) -> rdflib.Graph:
    g = rdflib.Graph()
    for q in quads:
        g.add((_rd(q.subject), _rd(q.predicate), _rd(q.object)))
    return g


def _rd(term: Any) -> Any:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def test_nquads_dump_reloads_as_the_same_graphs(kstore: Any, exported: dict[str, Any]) -> None:
    manifest = exported["manifest"]
    release = next(r for r in manifest["releases"] if r["release"] == manifest["latest"])
    assert release["generation"] == kstore.generation_id(), "the dump is of the current data"
    nq = next(f for f in latest_files(exported) if f["key"] == "nquads")
    reloaded = _load_dump(exported["folder"] / nq["file"], ox.RdfFormat.N_QUADS)
    original = kstore.reader()
    graphs = set(original.named_graphs())
    assert graphs and set(reloaded.named_graphs()) == graphs
    assert len(reloaded) == len(original) == nq["items"]
    for g in graphs:
        before = _graph(original.quads_for_pattern(None, None, None, g))
        after = _graph(reloaded.quads_for_pattern(None, None, None, g))
        assert isomorphic(before, after), g


def test_turtle_dump_reloads_as_the_union_graph(kstore: Any, exported: dict[str, Any]) -> None:
    ttl = next(f for f in latest_files(exported) if f["key"] == "turtle")
    reloaded = _load_dump(exported["folder"] / ttl["file"], ox.RdfFormat.TURTLE)
    union = ox.Dataset(
        ox.Quad(q.subject, q.predicate, q.object)
        for q in kstore.reader().quads_for_pattern(None, None, None, None)
    )
    again = ox.Dataset(reloaded.quads_for_pattern(None, None, None, None))
    assert len(again) == len(union) == ttl["items"]
    union.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    again.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    assert union == again


@pytest.mark.parametrize(
    ("key", "query", "column"),
    [
        ("initiatives", "export-initiatives", "initiative"),
        ("actors", "export-actors", "actor"),
        ("involvements", "export-involvements", "involvement"),
    ],
)
def test_csv_per_kind(
    kstore: Any, exported: dict[str, Any], key: str, query: str, column: str
) -> None:
    f = next(f for f in latest_files(exported) if f["key"] == key)
    text = (exported["folder"] / f["file"]).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = kstore.rows(query)
    assert rows and len(rows) == len(expected) == f["items"]
    assert [r[column] for r in rows] == [str(e[column]) for e in expected]
    assert all(r[column].startswith(kstore.settings.id_ns) for r in rows)


def test_export_is_reproducible(
    loaded_store_path: Path, base_uri: str, tmp_path: Path, exported: dict[str, Any]
) -> None:
    """The same data give the same bytes (gzip without timestamps, stable order)."""
    result = subprocess.run(
        [*kiemen_cmd(), "export", "--output-dir", str(tmp_path)],
        env=kiemen_env(loaded_store_path, base_uri),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for f in latest_files(exported):
        assert hashlib.sha256((tmp_path / f["file"]).read_bytes()).hexdigest() == f["sha256"]
