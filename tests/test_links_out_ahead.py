"""What links out adds to a bulk-loaded file reaches the indexes built ahead and the checks.

A Turtle file is bulk-loaded with the checker reading it alongside, and the indexes are built
ahead on the checking thread once the file has streamed past. Links out writes its statements
(``owl:sameAs``, the ``rdf:Statement``, a ``km:Uncertainty``, ``km:noLinkReason``) only after
the file is in the store: these tests hold the index the load published to a full rebuild from
the same store, and check that a broken link statement still fails the load.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest

from core.config import Settings
from core.indexes import build as indexes
from core.indexes import facets, search
from core.store import KiemenStore
from loaders import LoadError, Source, links_out, load

BASE = "http://kiemen.test/"

#: A source that names a place another source describes: links out reads only the place's own
#: graph, where London has no coordinates and no country, so it links the most populous London
#: and records the other Londons as a km:Uncertainty (which ``stats-by-kind`` counts). The
#: place as a whole, all graphs together, is valid. Nothing is under the canonical base, which
#: would send the files through Python instead of the bulk loader.
DESCRIBED = (
    f"@prefix km: <{BASE}def/> .\n"
    "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
    "@prefix wgs: <http://www.w3.org/2003/01/geo/wgs84_pos#> .\n"
    '<https://example.org/p/london> a km:Place ; skos:prefLabel "Londen"@nl, "London"@en ;\n'
    '  km:countryCode "GB" ; wgs:lat 51.5 ; wgs:long -0.12 .\n'
    f'<{BASE}id/place/cbs/PV25> a km:Place ; skos:prefLabel "Gelderland"@nl, "Gelderland"@en ;\n'
    '  km:countryCode "NL" ; wgs:lat 52.06 ; wgs:long 5.95 .\n'
)
NAMED = (
    f"@prefix km: <{BASE}def/> .\n"
    "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
    '<https://example.org/p/london> a km:Place ; skos:prefLabel "London"@en .\n'
)


def _arrays(directory: Path) -> dict[str, np.ndarray]:
    return {
        p.name.removesuffix(".npy"): np.load(p) for p in (directory / facets.ARRAYS_DIR).iterdir()
    }


def _sources(tmp: Path) -> list[Source]:
    described, named = tmp / "described.ttl", tmp / "named.ttl"
    described.write_text(DESCRIBED, encoding="utf-8")
    named.write_text(NAMED, encoding="utf-8")
    return [Source(str(described), graph="described"), Source(str(named), graph="named")]


def _load_places(
    tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[KiemenStore, list[search.SearchDoc], list[str]]:
    """Load the places file into a fresh store; the search documents and threads the load
    indexed with (a search build is recorded, not replaced)."""
    kstore = KiemenStore(Settings.from_env(store_path=tmp / "store", base_uri=BASE))
    sources = _sources(tmp)
    seen: list[list[search.SearchDoc]] = []
    threads: list[str] = []
    original = search.build

    def recording(docs: Any, target: Path) -> int:
        docs = list(docs)
        seen.append(docs)
        threads.append(threading.current_thread().name)
        return original(docs, target)

    monkeypatch.setattr(indexes.search, "build", recording)
    report = load(kstore, sources)
    monkeypatch.undo()
    assert not [p for p in report.problems if p.severity == "error"]
    return kstore, seen[-1], threads


def test_links_out_reaches_the_indexes_built_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kstore, docs, threads = _load_places(tmp_path, monkeypatch)
    # The load did build ahead, on the checking thread (else this test guards nothing).
    assert threads == ["kiemen-check"]
    disk = kstore.reader()
    uncertain = BASE + "def/Uncertainty"
    assert disk.query(f"ASK {{ GRAPH ?g {{ ?u a <{uncertain}> }} }}"), "links out recorded no doubt"
    reference, ref_docs = indexes.collect(SimpleNamespace(store=disk), kstore)  # type: ignore[arg-type]
    assert reference.kinds.get("Uncertainty") == 1, reference.kinds
    published = kstore.search_dir()
    assert published is not None
    got = facets.read_meta(published)
    assert got["kinds"] == reference.kinds
    expected = tmp_path / "reference-index"
    facets.build(reference, expected, generation=published.parent.name)
    assert got == facets.read_meta(expected)
    a, b = _arrays(published), _arrays(expected)
    assert sorted(a) == sorted(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert docs == ref_docs


def test_a_broken_link_statement_fails_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Links out's statements are checked like the file's own: an uncertainty left without its
    English explanation (a violation of shape:UncertaintyCommentEn) stops the load."""
    original = links_out._describe

    def without_english(row: Any, d: Any, km: str, add: Callable[[Any], Any]) -> None:
        def keep(t: Any) -> None:
            dropped = t.predicate.value.endswith("#comment") and t.object.language == "en"
            if not dropped:
                add(t)

        original(row, d, km, keep)

    monkeypatch.setattr(links_out, "_describe", without_english)
    kstore = KiemenStore(Settings.from_env(store_path=tmp_path / "store", base_uri=BASE))
    with pytest.raises(LoadError) as caught:
        load(kstore, _sources(tmp_path))
    text = " ".join(str(p) for p in caught.value.problems)
    assert "An uncertainty needs an explanation in English" in text, text


def test_late_statements_that_do_more_than_type_blank_nodes_are_not_patched_in(
    tmp_path: Path,
) -> None:
    """Only what links out adds is added to the indexes built ahead; anything else written
    after them sends the load to the reference build (finish says False)."""
    kstore = KiemenStore(Settings.from_env(store_path=tmp_path / "store", base_uri=BASE))
    col = indexes.Collector(kstore)
    km = BASE + "def/"
    statement = "http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement"
    assert col._late_kinds({"_:9:u": [indexes.RDF_TYPE, km + "Uncertainty"]}) == {"Uncertainty": 1}
    assert col._late_kinds({"_:9:s": [indexes.RDF_TYPE, statement]}) == {}
    assert col._late_kinds({BASE + "id/x": [indexes.RDF_TYPE, km + "Uncertainty"]}) is None
    named = [indexes.RDF_TYPE, km + "Uncertainty", indexes.RDFS + "label", ox.Literal("x")]
    assert col._late_kinds({"_:9:u": named}) is None
