"""The record-level preview and the add/update merge, on real pyoxigraph terms, and the kept
uploads of the web form's confirmation step (identifiers are data, never a path)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from core.config import Settings
from publishing import diff as diff_module
from publishing import versions
from publishing.diff import (
    ModeError,
    diff,
    merged,
    merged_known,
    parse_mode,
    records_after,
    records_of,
)
from publishing.pending import MAX_KEPT, drop, stash, take
from publishing.template import UploadFile
from publishing.versions import ntriples

BASE = "http://127.0.0.1:1/"
NS = f"{BASE}id/publishers/GM0344/"
REGISTER = NS + "register"
KM = "https://w3id.org/kiemen/def/"
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
DERIVED = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
LINE = ox.NamedNode(KM + "lineStart")
XSD = "http://www.w3.org/2001/XMLSchema#decimal"


def settings(tmp: Path) -> Settings:
    return Settings(store_path=tmp / "store", base_uri=BASE)


def record(local: str, cls: str, label: str, line: int) -> list[ox.Triple]:
    s = ox.NamedNode(NS + local)
    passage = ox.NamedNode(f"{REGISTER}/t/{local.rsplit('/', 1)[-1]}")
    return [
        ox.Triple(s, TYPE, ox.NamedNode(KM + cls)),
        ox.Triple(s, LABEL, ox.Literal(label, language="nl")),
        ox.Triple(s, DERIVED, passage),
        ox.Triple(passage, LINE, ox.Literal(str(line))),
    ]


def test_the_preview_names_added_changed_and_removed_records(tmp_path: Path) -> None:
    s = settings(tmp_path)
    before = record("initiative/a", "Initiative", "A", 2) + record(
        "actor/b", "Organisation", "B", 2
    )
    before += record("involvement/a--b", "Involvement", "", 2)
    # a moved to another row (not a change), b renamed, the role gone, c new
    after = record("initiative/a", "Initiative", "A", 7) + record(
        "actor/b", "Organisation", "B2", 2
    )
    after += record("initiative/c", "Initiative", "C", 3)
    d = diff(before, after, s, NS)
    assert [r["iri"] for r in d.added] == [NS + "initiative/c"]
    assert [(r["iri"], r["label_nl"]) for r in d.changed] == [(NS + "actor/b", "B2")]
    assert [(r["iri"], r["kind"]) for r in d.removed] == [(NS + "involvement/a--b", "involvement")]
    assert d.unchanged == 1
    assert d.as_json()["counts"] == {"added": 1, "changed": 1, "removed": 1, "unchanged": 1}
    assert d.digest != diff(before, before, s, NS).digest


def test_the_diff_from_the_records_the_change_touches_is_the_whole_graphs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the old graph's records known (and its subjects without a record class), the diff
    reads again only the subjects whose statements differ: the same diff as reading every
    record of the new graph, over random changes (renames, rows moved, records added and
    removed, a record losing its class, a classless subject gaining one)."""
    s = settings(tmp_path)
    rng = random.Random(18)
    classes = ["Initiative", "Organisation", "Involvement"]
    graph = [tr for n in range(60) for tr in record(f"thing/{n}", classes[n % 3], f"T{n}", n)]
    graph += [ox.Triple(ox.NamedNode(NS + "note/1"), LABEL, ox.Literal("no class"))]
    taken = []
    real = diff_module._records_after

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        taken.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(diff_module, "_records_after", watched)
    for _round in range(40):
        after = list(graph)
        for _edit in range(rng.randint(1, 4)):
            n = rng.randrange(80)
            subject = ox.NamedNode(NS + f"thing/{n}")
            mine = [tr for tr in after if tr.subject == subject]
            what = rng.choice(["rename", "move", "remove", "add", "declass", "note"])
            if what in ("remove", "declass", "rename", "move") and mine:
                drop = {
                    "remove": mine,
                    "declass": [tr for tr in mine if tr.predicate == TYPE],
                    "rename": [tr for tr in mine if tr.predicate == LABEL],
                    "move": [],
                }[what]
                after = [tr for tr in after if tr not in drop]
                if what == "rename":
                    after.append(ox.Triple(subject, LABEL, ox.Literal(f"R{_round}", language="nl")))
                if what == "move":
                    after = [tr for tr in after if tr.subject != subject] + record(
                        f"thing/{n}", classes[n % 3], f"T{n}", 1000 + _round
                    )
            elif what == "add" and not mine:
                after += record(f"thing/{n}", classes[n % 3], f"N{n}", n)
            elif what == "note":
                after.append(
                    ox.Triple(ox.NamedNode(NS + "note/1"), TYPE, ox.NamedNode(KM + "Initiative"))
                )
        before = set(graph)
        known = records_of(before, s, NS)
        got = diff(before, after, s, NS, known)
        want = diff(graph, after, s, NS)
        assert (got.as_json(), got.unchanged) == (want.as_json(), want.unchanged), _round
        graph = list(dict.fromkeys(after))
    assert len(taken) > 20  # the touched subjects' path was taken (not only the fallback)


def test_the_merge_and_the_records_after_from_the_known_records_are_the_whole_graphs(
    tmp_path: Path,
) -> None:
    """The add merge taken from the old graph's records (:func:`merged_known`) is the merge
    of a pass over the whole graph, and the records of the graph after it made from the old
    ones (:func:`records_after`, what the next upload takes) are those read from every
    statement: over random uploads of new, changed and repeated records, with the register,
    its passages and a classless subject (whose statements change too)."""
    s = settings(tmp_path)
    rng = random.Random(4)
    classes = ["Initiative", "Organisation", "Involvement"]
    register = ox.Triple(ox.NamedNode(REGISTER), TYPE, ox.NamedNode(KM + "SourceDocument"))
    note = ox.NamedNode(NS + "note/1")
    graph = {tr for n in range(40) for tr in record(f"thing/{n}", classes[n % 3], f"T{n}", n)}
    graph |= {register, ox.Triple(note, LABEL, ox.Literal("no class"))}
    for _round in range(30):
        known = records_of(graph, s, NS)
        chosen = rng.sample(range(60), rng.randint(1, 6))
        new = [
            tr
            for n in chosen
            for tr in record(f"thing/{n}", classes[n % 3], f"U{n}-{_round % 3}", rng.randrange(9))
        ]
        new.append(register)  # made again with each upload, and named for it at times:
        if rng.random() < 0.5:  # a classless subject with statements kept and changed
            new.append(ox.Triple(register.subject, LABEL, ox.Literal(f"v{_round}")))
        mentioned = {NS + f"thing/{n}" for n in chosen}
        if rng.random() < 0.3:  # the classless subject is uploaded too
            mentioned.add(note.value)
            new.append(ox.Triple(note, LABEL, ox.Literal(f"note {_round}")))
        got = merged_known(graph, new, mentioned, REGISTER, known, NS)
        assert got == set(merged(graph, new, mentioned, REGISTER)), _round
        after = records_after(graph, got, known, s, NS)
        want = records_of(got, s, NS)
        assert dict(after) == dict(want), _round
        assert (after.untyped, after.loose) == (want.untyped, want.loose), _round
        graph = set(got)
    outside = {"http://elsewhere.org/x"}
    assert merged_known(graph, [], outside, REGISTER, records_of(graph, s, NS), NS) is None


def test_add_keeps_what_the_upload_does_not_mention(tmp_path: Path) -> None:
    old = record("initiative/a", "Initiative", "A", 2) + record("actor/b", "Organisation", "B", 3)
    old.append(ox.Triple(ox.NamedNode(REGISTER), TYPE, ox.NamedNode(KM + "SourceDocument")))
    new = record("initiative/a", "Initiative", "A-new", 5)
    out = set(merged(old, new, {NS + "initiative/a"}, REGISTER))
    assert set(record("actor/b", "Organisation", "B", 3)) <= out  # kept, with its passage
    assert set(new) <= out
    labels = {tr.object.value for tr in out if tr.predicate == LABEL}
    assert labels == {"A-new", "B"}  # the old name of a is gone
    lines = {tr.object.value for tr in out if tr.predicate == LINE}
    assert lines == {"5", "3"}  # a's old passage is gone, b's stays
    assert not any(tr.subject == ox.NamedNode(REGISTER) for tr in out)  # made again by the upload


def test_modes() -> None:
    assert parse_mode(None) == parse_mode("") == parse_mode("Add") == "add"
    assert parse_mode("replace") == "replace"
    with pytest.raises(ModeError):
        parse_mode("overwrite")


def test_kept_uploads_are_per_publisher_and_named_by_data_only(tmp_path: Path) -> None:
    s = settings(tmp_path)
    ident = stash(s, "GM0344", [UploadFile("initiatives.csv", b"id\n", "initiatives")])
    got = take(s, "GM0344", ident)
    assert got == [UploadFile("initiatives.csv", b"id\n", "initiatives")]
    assert take(s, "GM0599", ident) is None  # another publisher's token does not reach it
    for hostile in ("../GM0344/pending/" + ident, ident.upper(), "", ident + "0"):
        assert take(s, "GM0344", hostile) is None
    drop(s, "GM0344", ident)
    assert take(s, "GM0344", ident) is None
    # retries keep only the newest few, so they cannot fill the disk
    idents = [stash(s, "GM0344", [UploadFile("x.csv", b"x")]) for _ in range(MAX_KEPT + 2)]
    assert [take(s, "GM0344", i) is not None for i in idents] == [False] * 2 + [True] * MAX_KEPT


def test_a_versions_file_is_its_triples_sorted_whatever_their_order() -> None:
    """The version file's lines sorted as bytes: the same file as the triples sorted by their
    text and serialised (what it was), for literals with languages, datatypes, escapes and
    blank nodes, in whatever order the triples come."""
    blank = ox.BlankNode("b1")
    triples = [tr for n in range(30) for tr in record(f"thing/{n}", "Initiative", f"T{n}", n)]
    triples += [
        ox.Triple(blank, LABEL, ox.Literal('met "quotes",\nregels en é', language="nl")),
        ox.Triple(ox.NamedNode(NS + "a"), LINE, ox.Literal("1.50", datatype=ox.NamedNode(XSD))),
        ox.Triple(ox.NamedNode(NS + "a"), LABEL, ox.Literal("A")),
        ox.Triple(ox.NamedNode(NS + "a"), LABEL, ox.Literal("A", language="en")),
        ox.Triple(ox.NamedNode(NS + "a"), DERIVED, blank),
    ]
    want = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES)
    for seed in range(5):
        random.Random(seed).shuffle(triples)
        assert ntriples(triples) == want
        assert ntriples(set(triples)) == want
    assert ntriples([]) == b""


def test_the_next_versions_file_is_made_from_the_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a key (the graph), the next file is made from the last one's lines and the
    change alone: the same bytes as made from every triple, over random changes; another key
    or a change larger than what stays is made whole."""
    serialised: list[int] = []
    real = versions._lines

    def counted(triples: Any) -> list[bytes]:
        found = real(triples)
        serialised.append(len(found))
        return found

    monkeypatch.setattr(versions, "_lines", counted)
    rng = random.Random(7)
    graph = {tr for n in range(200) for tr in record(f"thing/{n}", "Initiative", f"T{n}", n)}
    for round_ in range(12):
        if round_:
            drop = set(rng.sample(sorted(graph, key=str), rng.randint(0, 20)))
            graph = (graph - drop) | set(record(f"new/{round_}", "Initiative", "N", round_))
        serialised.clear()
        got = ntriples(frozenset(graph), key="g")
        assert got == ntriples(graph), round_
        if round_:
            assert serialised[0] + serialised[1] < 50, (round_, serialised)  # the change only
    serialised.clear()
    ntriples(frozenset(graph), key="other graph")
    assert serialised == [len(graph)]
