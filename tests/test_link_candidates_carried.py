"""Link candidates carried past a publisher's own publish: the next upload takes the candidates
of the generation the publish was built on (instead of evaluating the candidates query again)
only when they are exactly what the query gives on the new generation. A real store, real
uploads through the publishing use cases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest

from core.store import KiemenStore
from core.write import pipeline
from portal import features
from publishing import linking, usecases
from publishing.publishers import Registry
from publishing.template import TABLES, UploadFile
from publishing.template_files import csv_bytes, example_rows

PREF = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")


@pytest.fixture()
def wired() -> Iterator[None]:
    before = pipeline.wired_hooks()
    pipeline.use_index_hooks(features.INDEX_HOOKS)  # the catalogue records, as the server
    try:
        yield
    finally:
        pipeline.use_index_hooks(before)


def _fresh(kstore: KiemenStore, publisher: Any) -> tuple[linking.Candidate, ...]:
    """What the candidates query gives on the published generation (never a carried value)."""
    key = linking._key(kstore, publisher, kstore.generation_id())
    return linking._candidates.__wrapped__(*key)  # type: ignore[attr-defined,no-any-return]


def test_candidates_carried_past_an_own_publish_are_what_the_store_gives(
    store: KiemenStore, wired: None
) -> None:
    registry = Registry(store.settings)
    registry.add("GM0344", contact_name="T", contact_email="t@example.nl", licence="cc0-1.0")
    secret, _info = registry.issue_token("GM0344")
    auth = registry.authenticate(secret, "GM0344")
    publisher = auth.publisher
    rows = example_rows()
    files = [UploadFile(f"{t}.csv", csv_bytes(t, rows[t])) for t in TABLES if t in rows]
    linking._CARRIED.clear()
    for round_ in range(3):
        if round_ == 2:  # a name changed: the same records, one triple different
            rows["initiatives"][0]["name_nl"] += " (nieuw)"
            files = [UploadFile(f"{t}.csv", csv_bytes(t, rows[t])) for t in TABLES if t in rows]
        report = usecases.publish(store, auth, usecases.Files(files))
        assert report.published, [i.text for i in report.issues]
        key = linking._key(store, publisher, store.generation_id())
        assert key in linking._CARRIED, round_  # the publish kept its candidates for the next
        assert linking.candidates(store, publisher) == _fresh(store, publisher)
        assert len(linking._CARRIED[key]) > 10
    # what a publish changes that the candidates read: nothing is carried
    pool = linking.candidates(store, publisher)
    seen = linking.seen(store)
    generation = store.generation_id()
    parent = (store.current_generation() / "lineage").read_text().split()[-1]  # type: ignore[operator]
    before = linking.Seen(parent, seen.meta)
    other = ox.NamedNode("urn:x:not-a-candidate")
    assert generation is not None
    assert linking.carry(
        store, publisher, pool, before, generation, [ox.Triple(other, PREF, ox.Literal("x"))]
    )
    named = ox.Triple(ox.NamedNode(pool[0].iri), PREF, ox.Literal("Een andere naam"))
    assert not linking.carry(store, publisher, pool, before, generation, [named])
    place = ox.NamedNode("https://schema.org/containedInPlace")
    assert not linking.carry(
        store, publisher, pool, before, generation, [ox.Triple(other, place, other)]
    )
    assert not linking.carry(  # built on another generation than the candidates'
        store, publisher, pool, linking.Seen(generation, seen.meta), generation, []
    )
