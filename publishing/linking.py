"""Linking uploaded records to what Kiemen already holds: suggestions, then confirmed links.

After an upload, every initiative and organisation of the publisher is compared with the
initiatives and actors elsewhere in the store (the curated data, loaded sources, other
publishers), by three rules in order of strength:

1. **same homepage** (scheme, ``www.`` and trailing slash ignored) → ``owl:sameAs``;
2. **same name in the same municipality** (case, accents and punctuation ignored; the
   municipality by CBS code, following ``schema:containedInPlace`` upwards) → ``owl:sameAs``;
3. **a close name** (rapidfuzz's token-set ratio, at least :data:`FUZZY_MIN`) →
   ``skos:exactMatch``, a weaker claim the publisher may upgrade when confirming.

Places need no suggestion: an uploaded municipality code points straight at the place with that
CBS code. Suggestions wait for the publisher's confirmation; confirmed links go to the
publisher's own links graph ``{base}graph/publishers/{code}/links`` as the link itself plus an
``rdf:Statement`` that says who confirmed it, when and why (PROV-O), so that a link can always be
traced and undone.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

import loaders
from core.config import Settings
from core.messages import Text, bundled, msg
from core.store import KiemenStore, lineage
from core.vocab import DCT, PROV, RDF, RDFS, XSD
from loaders.base import LoadError
from publishing import fuzzy
from publishing.catalogue import withdraw_links_graph
from publishing.checks import publisher_source
from publishing.publishers import Auth, Publisher, PublisherError, connect, now
from publishing.records import Record, current_triples, value

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
PROPERTIES = {"sameAs": OWL_SAME_AS, "exactMatch": SKOS_EXACT}
FUZZY_MIN = 85.0
#: Suggestions kept per uploaded record.
PER_RECORD = 3
#: Why a link was suggested: the reason's code (stored) and its text.
REASONS: dict[str, Text] = {
    "same-homepage": msg("link.reason.same_homepage"),
    "same-name-same-municipality": msg("link.reason.same_name_same_municipality"),
    "similar-name": msg("link.reason.similar_name"),
}


def reason_texts(reason: str) -> tuple[str, str]:
    """The reason in English and Dutch, as the suggestions' records and the links graph keep
    them (both languages are data there; an unknown code is shown as it is)."""
    said = bundled().both(REASONS.get(reason, reason))
    return said["en"], said["nl"]


_KINDS = {
    "https://w3id.org/kiemen/def/Initiative": "initiative",
    "https://w3id.org/kiemen/def/Actor": "actor",
    "https://w3id.org/kiemen/def/Organisation": "actor",
    "https://w3id.org/kiemen/def/Person": "actor",
}
_ARTICLES = {"de", "het", "een", "the", "a", "an", "stichting", "vereniging"}


def normalise_name(text: str) -> str:
    """Lowercase ASCII words without punctuation or leading articles."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).split()
    while len(words) > 1 and words[0] in _ARTICLES:
        words.pop(0)
    return " ".join(words)


def normalise_homepage(url: str) -> str:
    text = url.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text)
    text = re.sub(r"^www\.", "", text)
    text = re.sub(r"(/index\.(html?|php))?/*$", "", text)
    return text


@dataclass
class Candidate:
    iri: str
    kind: str
    labels: set[str] = field(default_factory=set)
    homepages: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)

    def label(self) -> str:
        return sorted(self.labels, key=len)[0] if self.labels else self.iri


@dataclass(frozen=True)
class Suggestion:
    subject: str
    subject_label: str
    candidate: str
    candidate_label: str
    kind: str
    reason: str
    score: float
    property: str

    def as_json(self) -> dict[str, Any]:
        en, nl = reason_texts(self.reason)
        return {
            "subject": self.subject,
            "subject_label": self.subject_label,
            "candidate": self.candidate,
            "candidate_label": self.candidate_label,
            "kind": self.kind,
            "reason": self.reason,
            "reason_en": en,
            "reason_nl": nl,
            "score": round(self.score, 1),
            "property": self.property,
        }


@functools.lru_cache(maxsize=16)
def _candidates(generation: str | None, root: str, base: str, own: str) -> tuple[Candidate, ...]:
    kstore = KiemenStore(Settings(store_path=Path(root), base_uri=base))
    found: dict[str, Candidate] = {}
    for row in kstore.rows("link-candidates"):
        kind = _KINDS.get(kstore.settings.canonical(str(row["class"])))
        if kind is None or str(row["g"]).startswith(own):
            continue
        cand = found.setdefault(str(row["thing"]), Candidate(str(row["thing"]), kind))
        if row["label"]:
            cand.labels.add(str(row["label"]))
        if row["homepage"]:
            cand.homepages.add(normalise_homepage(str(row["homepage"])))
        if row["code"]:
            cand.codes.add(str(row["code"]))
    # in the order of their IRIs (not the engine's), which candidates carried to the next
    # generation keep too (see carry)
    return tuple(sorted(found.values(), key=lambda c: c.iri))


#: Candidates carried to a generation that the publisher's own publish made (see :func:`carry`),
#: by the key of :func:`_candidates`.
_CARRIED: dict[tuple[str | None, str, str, str], tuple[Candidate, ...]] = {}


def _key(kstore: KiemenStore, publisher: Publisher, generation: str | None) -> Any:
    own = publisher.graph_prefix(kstore.settings)
    return (generation, str(kstore.root), kstore.settings.base_uri, own)


def candidates(kstore: KiemenStore, publisher: Publisher) -> tuple[Candidate, ...]:
    """Initiatives and actors outside the publisher's own graphs (cached per generation)."""
    key = _key(kstore, publisher, kstore.generation_id())
    carried = _CARRIED.get(key)
    return carried if carried is not None else _candidates(*key)


#: What the ``link-candidates`` query reads (canonical IRIs); the last two reach a thing's
#: codes through its places.
_READS = {
    RDF + "type",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://xmlns.com/foaf/0.1/homepage",
    DCT + "spatial",
}
_PLACE_READS = {"https://schema.org/containedInPlace", "https://w3id.org/kiemen/def/cbsCode"}


@dataclass(frozen=True)
class Seen:
    """The generation an upload's candidates were read from, and what its meta graph says that
    the candidates query reads (a publish changes the publisher's graphs and the meta graph)."""

    generation: str | None
    meta: frozenset[ox.Quad]


def _meta_reads(kstore: KiemenStore, store: ox.Store) -> frozenset[ox.Quad]:
    meta = ox.NamedNode(kstore.settings.graph_ns + "meta")
    predicates = {kstore.settings.rebase(p) for p in (*_READS, *_PLACE_READS)}
    return frozenset(
        q for p in predicates for q in store.quads_for_pattern(None, ox.NamedNode(p), None, meta)
    )


def seen(kstore: KiemenStore) -> Seen:
    """What :func:`carry` compares the published generation with (the request's generation)."""
    return Seen(kstore.generation_id(), _meta_reads(kstore, kstore.reader()))


def _reaches(
    kstore: KiemenStore, pool: tuple[Candidate, ...], changed: Iterable[ox.Quad], own: bool
) -> bool:
    """Whether a changed statement can change a candidate's rows: a name, homepage or place of
    a candidate, a thing typed as one outside the publisher's graphs (``own``: the statements
    are in them, where a type makes no candidate), or any place's parent or code (which reach
    the codes of everything in it)."""
    settings = kstore.settings
    iris = {c.iri for c in pool}
    for q in changed:
        p = settings.canonical(q.predicate.value)
        if p in _PLACE_READS:
            return True
        if p not in _READS:
            continue
        if value(q.subject) in iris:
            return True
        kind = _KINDS.get(settings.canonical(value(q.object)))
        if p == RDF + "type" and kind is not None and not own:
            return True
    return False


def carry(
    kstore: KiemenStore,
    publisher: Publisher,
    pool: tuple[Candidate, ...],
    before: Seen,
    generation: str,
    data: Iterable[ox.Triple],
) -> bool:
    """After the publisher's own publish made ``generation``: keep ``pool`` (the candidates of
    ``before``) as its candidates when nothing it changed reaches them, so that the next upload
    does not evaluate the candidates query again (~3 s at a million triples); whether kept.

    Exact when ``generation`` was built directly on ``before.generation`` (no other writer in
    between): then it differs only in the publisher's data graph (``data``: the statements it
    gained and lost there) and the meta graph, whose statements the query reads are compared.
    """
    current = kstore.current_generation()
    if current is None or before.generation is None:
        return False
    path = current.parent / generation
    try:
        parents = lineage(path)
        store = ox.Store.read_only(str(path / "oxigraph"))
    except OSError:
        return False
    if not parents or parents[-1] != before.generation:
        return False
    meta = _meta_reads(kstore, store)
    changed = [ox.Quad(t.subject, t.predicate, t.object) for t in data]
    if _reaches(kstore, pool, changed, own=True) or _reaches(
        kstore, pool, meta ^ before.meta, own=False
    ):
        return False
    if len(_CARRIED) >= 4:
        _CARRIED.clear()
    _CARRIED[_key(kstore, publisher, generation)] = pool
    return True


@dataclass
class _Pool:
    """The candidates of one kind, with their names normalised once (not once per record)."""

    cands: list[Candidate]
    #: (candidate, label) -> normalised label, for the fuzzy match.
    choices: dict[tuple[int, int], str]
    by_homepage: dict[str, list[int]]
    by_name: dict[str, list[int]]
    #: The choices as two lists in the same order (what rapidfuzz's cdist takes).
    keys: list[tuple[int, int]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    #: The labels prepared for the fuzzy match.
    index: fuzzy.Labels = field(default_factory=lambda: fuzzy.Labels.of([]))


def _pools(pool: tuple[Candidate, ...]) -> dict[str, _Pool]:
    by_kind: dict[str, list[Candidate]] = {}
    for c in pool:
        by_kind.setdefault(c.kind, []).append(c)
    out = {}
    for kind, cands in by_kind.items():
        prepared = _Pool(cands, {}, {}, {})
        for i, c in enumerate(cands):
            for h in c.homepages:
                prepared.by_homepage.setdefault(h, []).append(i)
            for name in {normalise_name(x) for x in c.labels}:
                prepared.by_name.setdefault(name, []).append(i)
            for j, lab in enumerate(sorted(c.labels)):
                prepared.choices[(i, j)] = normalise_name(lab)
        prepared.keys = list(prepared.choices)
        prepared.labels = list(prepared.choices.values())
        prepared.index = fuzzy.Labels.of(prepared.labels)
        out[kind] = prepared
    return out


#: The prepared pools of the last candidate tuples (each kept alive with its key).
_PREPARED: dict[int, tuple[tuple[Candidate, ...], dict[str, _Pool]]] = {}


def _prepared(pool: tuple[Candidate, ...]) -> dict[str, _Pool]:
    found = _PREPARED.get(id(pool))
    if found is not None and found[0] is pool:
        return found[1]
    if len(_PREPARED) >= 4:
        _PREPARED.clear()
    prepared = _pools(pool)
    _PREPARED[id(pool)] = (pool, prepared)
    return prepared


#: Close labels kept per name (the best, then the first in the candidates' order on a tie).
CLOSE_LIMIT = 10


def close_names(prepared: _Pool, names: Iterable[str]) -> dict[str, list[tuple[float, int]]]:
    """Each name's closest labels, at :data:`FUZZY_MIN` or more: (score, index into
    ``prepared.keys``), best first, ties in the candidates' order — what ``process.extract(name,
    choices, limit=10)`` gives one name at a time, for all names of an upload together, scored
    only against the labels that can reach the cutoff (:mod:`publishing.fuzzy`)."""
    return fuzzy.close(prepared.index, names, FUZZY_MIN, CLOSE_LIMIT)


def suggest(
    kstore: KiemenStore,
    publisher: Publisher,
    records: Iterable[Record],
    pool: tuple[Candidate, ...] | None = None,
) -> list[Suggestion]:
    """Suggested links for the uploaded initiatives and organisations (``pool``: the
    candidates, when the caller has them; they lie outside the publisher's own graphs, so a
    publish of those does not change them)."""
    pools = _prepared(candidates(kstore, publisher) if pool is None else pool)
    wanted = [
        r for r in records if r.kind in ("initiative", "actor") and pools.get(r.kind) is not None
    ]
    close_by_kind = {
        kind: close_names(
            prepared,
            (normalise_name(v) for r in wanted if r.kind == kind for v in r.labels.values()),
        )
        for kind, prepared in pools.items()
    }
    out: list[Suggestion] = []
    for rec in wanted:
        prepared = pools[rec.kind]
        close = close_by_kind[rec.kind]
        cands = prepared.cands
        label = rec.labels.get("nl") or rec.labels.get("en") or rec.ident
        names = {normalise_name(v) for v in rec.labels.values() if v}
        homepage = normalise_homepage(rec.homepage) if rec.homepage else ""
        best: dict[str, Suggestion] = {}

        def offer(
            c: Candidate,
            reason: str,
            score: float,
            prop: str,
            rec: Record = rec,
            label: str = label,
            best: dict[str, Suggestion] = best,
        ) -> None:
            known = best.get(c.iri)
            if known is None or known.score < score:
                best[c.iri] = Suggestion(
                    rec.key, label, c.iri, c.label(), rec.kind, reason, score, prop
                )

        same_homepage = set(prepared.by_homepage.get(homepage, ())) if homepage else set()
        same_name = {i for name in names for i in prepared.by_name.get(name, ())}
        for i in sorted(same_homepage | same_name):  # in the candidates' order
            c = cands[i]
            if i in same_homepage:
                offer(c, "same-homepage", 100.0, "sameAs")
            elif set(rec.codes) & c.codes:
                offer(c, "same-name-same-municipality", 95.0, "sameAs")
        for name in names:
            for score, index in close.get(name, ()):
                c = cands[prepared.keys[index][0]]
                if c.iri not in best:
                    offer(c, "similar-name", score, "exactMatch")
        out += sorted(best.values(), key=lambda s: -s.score)[:PER_RECORD]
    return out


def of_records(suggested: Iterable[Suggestion], records: Iterable[Record]) -> list[Suggestion]:
    """The suggestions of ``records`` among those :func:`suggest` made for more records
    against the same candidates: each record's suggestions depend only on its own names,
    homepage and codes, so they are the ones :func:`suggest` gives for ``records`` alone."""
    keys = {r.key for r in records}
    return [s for s in suggested if s.subject in keys]


# -------------------------------------------------------------------------------------------------
# suggestions waiting for the publisher, and the links graph


def store_suggestions(settings: Settings, code: str, suggestions: Iterable[Suggestion]) -> None:
    """Keep new suggestions; ones already confirmed or rejected keep their decision."""
    with connect(settings) as db:
        for s in suggestions:
            db.execute(
                "INSERT OR IGNORE INTO suggestions (code, subject, subject_label, candidate, "
                "candidate_label, kind, reason, score, property, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    s.subject,
                    s.subject_label,
                    s.candidate,
                    s.candidate_label,
                    s.kind,
                    s.reason,
                    s.score,
                    s.property,
                    now(),
                ),
            )


#: What a decision changes on its suggestion, kept (as ``undo``) to put back.
_DECIDED = ("status", "property", "decided", "decided_by")


def _as_published(row: Any, lineage: set[str]) -> dict[str, Any]:
    """The suggestion as the published store knows it: a decision whose generation never
    became current (its writer was killed before the switch) is not made."""
    entry = dict(row)
    if entry.get("generation") is not None and entry["generation"] not in lineage:
        entry.update(json.loads(entry["undo"] or "{}"))
    entry.pop("undo", None)
    entry.pop("generation", None)
    return entry


def settle(kstore: KiemenStore, code: str) -> None:
    """Put back the suggestions of decisions that were never published (called under the
    publisher's lock, so no decision of this publisher is between its records and its switch)."""
    lineage = kstore.lineage(latest=True)
    with connect(kstore.settings) as db:
        rows = db.execute(
            "SELECT * FROM suggestions WHERE code = ? AND generation IS NOT NULL", (code,)
        ).fetchall()
        for r in rows:
            if r["generation"] in lineage:
                continue
            was = _as_published(r, lineage)
            db.execute(
                "UPDATE suggestions SET status = ?, property = ?, decided = ?, decided_by = ?, "
                "generation = NULL, undo = NULL WHERE id = ?",
                (*(was[k] for k in _DECIDED), r["id"]),
            )


def all_suggestions(
    settings: Settings, code: str, status: str | None = None
) -> list[dict[str, Any]]:
    with connect(settings) as db:
        rows = db.execute(
            "SELECT * FROM suggestions WHERE code = ? ORDER BY score DESC, id", (code,)
        ).fetchall()
    lineage = KiemenStore(settings).lineage()
    out = []
    for r in rows:
        entry = _as_published(r, lineage)
        if status and entry["status"] != status:
            continue
        en, nl = reason_texts(entry["reason"])
        entry["reason_en"], entry["reason_nl"] = en, nl
        out.append(entry)
    return out


def open_suggestions(settings: Settings, code: str) -> list[dict[str, Any]]:
    return all_suggestions(settings, code, "open")


@dataclass(frozen=True)
class Decision:
    """A decision on one suggestion that is not recorded yet: the links graph is built with it
    applied, and it is recorded (with its audit row) only as the store publishes that graph."""

    sid: int
    status: str
    prop: str | None
    token_id: str
    at: str


def _confirmed(settings: Settings, code: str, decision: Decision | None) -> list[dict[str, Any]]:
    """The confirmed suggestions, as they will be once ``decision`` is recorded."""
    rows = all_suggestions(settings, code, "confirmed")
    if decision is None:
        return rows
    rows = [r for r in rows if r["id"] != decision.sid]
    if decision.status == "confirmed":
        for r in all_suggestions(settings, code):
            if r["id"] == decision.sid:
                prop = decision.prop or r["property"]
                rows.append({**r, "status": "confirmed", "property": prop, "decided": decision.at})
    rows.sort(key=lambda r: (-r["score"], r["id"]))
    return rows


def links_triples(
    settings: Settings, publisher: Publisher, decision: Decision | None = None
) -> list[ox.Triple]:
    """The links graph: every confirmed link, and a statement of who confirmed it and why
    (``decision``: with that decision applied, before it is recorded)."""

    out: list[ox.Triple] = []
    for s in _confirmed(settings, publisher.code, decision):
        prop = PROPERTIES.get(s["property"], OWL_SAME_AS)
        subject, obj = ox.NamedNode(s["subject"]), ox.NamedNode(s["candidate"])
        out.append(ox.Triple(subject, ox.NamedNode(prop), obj))
        node = ox.NamedNode(f"{publisher.id_ns(settings)}link/{s['id']}")
        said = bundled().both(
            msg(
                "link.described",
                reason=REASONS.get(s["reason"], s["reason"]),
                score=f"{s['score']:.0f}",
            )
        )

        def add(p: str, o: ox.NamedNode | ox.Literal, node: ox.NamedNode = node) -> None:
            out.append(ox.Triple(node, ox.NamedNode(p), o))

        add(RDF + "type", ox.NamedNode(RDF + "Statement"))
        add(RDF + "type", ox.NamedNode(PROV + "Entity"))
        add(RDF + "subject", subject)
        add(RDF + "predicate", ox.NamedNode(prop))
        add(RDF + "object", obj)
        add(PROV + "wasAttributedTo", ox.NamedNode(publisher.agent))
        add(
            PROV + "generatedAtTime",
            ox.Literal(s["decided"] or s["created"], datatype=ox.NamedNode(XSD + "dateTime")),
        )
        for lang in ("en", "nl"):
            add(DCT + "description", ox.Literal(said[lang], language=lang))
        add(RDFS + "comment", ox.Literal(f"confirmed with token {s['decided_by']}"))
    return out


def check_decision(decision: str, prop: str | None) -> None:
    """Refuse anything but confirm or reject, and a property other than sameAs or exactMatch."""
    if decision not in ("confirm", "reject"):
        raise PublisherError(msg("link.error.decision"))
    if prop is not None and prop not in PROPERTIES:
        raise PublisherError(msg("link.error.property"))


def suggestion(kstore: KiemenStore, publisher: Publisher, sid: int, decision: str) -> Any:
    """The publisher's suggestion ``sid``; one to confirm must still be about its data."""
    settings = kstore.settings
    with connect(settings) as db:
        row = db.execute(
            "SELECT * FROM suggestions WHERE id = ? AND code = ?", (sid, publisher.code)
        ).fetchone()
    if row is None:
        raise PublisherError(msg("link.error.no_suggestion", code=publisher.code, id=sid))
    if decision == "confirm":
        data = current_triples(kstore, publisher.data_graph(settings))
        if not any(value(tr.subject) == row["subject"] for tr in data):
            raise PublisherError(msg("link.error.gone", subject=row["subject"]))
    return row


def republish(
    kstore: KiemenStore,
    auth: Auth,
    triples: list[ox.Triple],
    before_publish: Callable[[str | None], None],
) -> None:
    """Publish the publisher's links graph ``triples`` (or withdraw the graph when there are
    none) through the write pipeline; ``before_publish(generation)`` writes the records that
    become true with that generation, or runs with None when there was nothing to withdraw.
    Raises LoadError when the shapes refuse the graph."""
    settings, publisher = kstore.settings, auth.publisher
    if triples:
        source = publisher_source(publisher, settings, triples, "links", graph="links")
        loaders.load(kstore, [source], before_publish=before_publish)
    elif not withdraw_links_graph(
        kstore, publisher, auth.token.id, auth.token.note, before_publish=before_publish
    ):
        before_publish(None)  # no links graph to withdraw: nothing written, the decision stands


def refused(exc: LoadError) -> PublisherError:
    """A links graph the shapes refused, said to the publisher."""
    return PublisherError(
        msg("link.error.refused", problems="; ".join(p.message for p in exc.problems[:3]))
    )


def record_decision(
    settings: Settings,
    auth: Auth,
    row: Any,
    decision: Decision,
    counts: tuple[int, int],
    generation: str | None,
) -> None:
    """The decision on its suggestion and in the audit log, in one transaction, naming the
    generation it becomes true with; ``counts``: links added and removed. Runs as the store
    publishes the links graph built with it (or with None when nothing was written)."""
    detail = f"{row['subject']} {decision.prop or row['property']} {row['candidate']}"
    undo = json.dumps({k: row[k] for k in _DECIDED})
    with connect(settings) as db:
        db.execute(
            "UPDATE suggestions SET status = ?, property = COALESCE(?, property), "
            "decided = ?, decided_by = ?, generation = ?, undo = ? WHERE id = ?",
            (
                decision.status,
                decision.prop,
                decision.at,
                decision.token_id,
                generation,
                undo,
                decision.sid,
            ),
        )
        db.execute(
            "INSERT INTO audit (at, code, token_id, action, outcome, version, files, added, "
            "removed, errors, warnings, detail, generation) VALUES (?, ?, ?, ?, ?, NULL, '[]', "
            "?, ?, 0, 0, ?, ?)",
            (
                decision.at,
                auth.publisher.code,
                auth.token.id,
                "link",
                decision.status,
                counts[0],
                counts[1],
                detail,
                generation,
            ),
        )
