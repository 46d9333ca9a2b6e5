"""The streaming checker holds each block back for a few more blocks before checking it.

An initiative points at its channels and facts, described just after it; checked at once, it
had to wait for them and was checked twice (a tenth of the stream's checks at 4 M triples).
Real parts: the benchmark's synthetic data, loaded into a copy of the bundled store, pyshacl as
the reference for what is found.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
from conftest import REPO, TEST_BASE

import loaders
from core.store import KiemenStore
from core.validation.graphs import store_checker
from loaders import LoadError, Source, load

sys.path.insert(0, str(REPO))
from bench import generate

KM = TEST_BASE + "def/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def _subjects(path: Path) -> set[str]:
    return {t.subject.value for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)}


def _answers(kstore: KiemenStore, path: Path, reference: bool) -> set[tuple[str, str, str]]:
    original = loaders.store_checker
    if reference:
        loaders.store_checker = lambda *a, **k: None  # type: ignore[assignment]
    try:
        try:
            problems = load(kstore, [Source(str(path))], dry_run=True).problems
        except LoadError as exc:
            problems = exc.problems
    finally:
        loaders.store_checker = original  # type: ignore[assignment]
    return {(p.severity, p.focus, p.message) for p in problems}


def test_a_node_pointing_at_the_next_blocks_is_checked_once(
    store: KiemenStore, tmp_path: Path
) -> None:
    path = tmp_path / "initiatives.nt"
    generate.write_nt(12, path, TEST_BASE)
    report = load(store, [Source(str(path))], dry_run=True)
    assert not [p for p in report.problems if p.severity == "error"]
    # Every subject of this file is a focus node; without the window each initiative was
    # checked a second time once its channels and facts had streamed.
    assert report.checked == len(_subjects(path))


def test_what_the_window_checks_later_is_found_as_pyshacl_finds_it(
    store: KiemenStore, tmp_path: Path
) -> None:
    path = tmp_path / "initiatives.nt"
    generate.write_nt(12, path, TEST_BASE)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    channel = next(ln.split(" ")[0] for ln in lines if f"{RDF_TYPE} <{KM}Channel>" in ln)
    # The first initiative's channel, described right after it, becomes a fact: its initiative
    # breaks "Channel is a km:Channel", and the channel its own rules.
    lines = [
        ln.replace(f"<{KM}Channel>", f"<{KM}Fact>") if ln.startswith(channel + " ") else ln
        for ln in lines
    ]
    path.write_text("".join(lines), encoding="utf-8")
    found = _answers(store, path, reference=False)
    assert found == _answers(store, path, reference=True)
    assert any(s == "error" and "Channel" in m for s, _f, m in found), found


def test_what_the_stream_remembers_is_let_go_when_the_streams_are_done(
    store: KiemenStore, tmp_path: Path
) -> None:
    path = tmp_path / "initiatives.nt"
    generate.write_nt(12, path, TEST_BASE)
    checker = store_checker(store, store.reader(), lambda _msg: None)
    assert checker is not None
    session = checker.session("initiatives.nt", ox.NamedNode(TEST_BASE + "graph/bench"))
    with session.alongside(str(path), ox.RdfFormat.N_TRIPLES):
        pass
    session.close()
    ev = checker._stream_eval
    assert ev.passed_count > 0 and ev.plans  # sections, concepts, actors passed their rules
    checker.streams_done()  # the index build ahead comes next: its memory is the load's peak
    assert ev.passed_count == 0 and not ev.plans and not ev.verdicts
