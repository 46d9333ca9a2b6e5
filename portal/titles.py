"""Titles in words for nodes without a name: involvements, facts, uncertainties, channels.

Such nodes used to be titled by their CURIE (``involvement:riotcleanup--…``). Their title is
made from what they connect (``queries/node-title-parts.rq``), in the visitor's language:

* involvement: ``Lokale overheid Londen — faciliteren — Riot clean-up`` (actor — roles —
  initiative);
* fact: ``I Love Noord — vrijwilligers: 12 persons (2013)``;
* uncertainty: ``Onzekerheid: Kaart braakliggende terreinen — heeft rol (of: deelnemen)``;
* channel: ``Amsterdam Opent — website``.

Also: concepts whose label another scheme's concept shares get their scheme beside the label
(``faciliteren (overheidsrol)``), wherever the resource pages name them.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pyoxigraph as ox

from core.messages import msg, render
from core.store import KiemenStore
from portal import listing
from portal.builtin_labels import builtin_labels

#: The kinds (``/id/{kind}/``) titled here.
TITLED = ("involvement", "fact", "uncertainty", "channel")


def _pick(labels: dict[str, str], lang: str) -> str:
    for key in (lang, "en" if lang == "nl" else "nl", ""):
        if labels.get(key):
            return labels[key]
    return next(iter(labels.values()), "")


def parts(kstore: KiemenStore, iri: str, lang: str) -> dict[str, list[str]]:
    """Each part's values as text (labels in ``lang`` where the graph has them), in a stable
    order."""
    return parts_of(kstore, [iri], lang).get(iri, {})


def parts_of(
    kstore: KiemenStore, iris: Sequence[str], lang: str
) -> dict[str, dict[str, list[str]]]:
    """:func:`parts` of several nodes from one query (a page titles a dozen: one query each
    cost more than the answers)."""
    if not iris:
        return {}
    text = listing.bind_many(kstore.settings, "node-title-parts", {"iri": list(iris)})
    found: dict[str, dict[str, dict[str, dict[str, str]]]] = defaultdict(lambda: defaultdict(dict))
    for row in kstore.query(text):
        value, label = row["value"], row["label"]
        entry = found[row["iri"].value][row["part"].value].setdefault(_key(value), {})
        if isinstance(label, ox.Literal):
            entry.setdefault(label.language or "", label.value)
        elif isinstance(value, ox.Literal):
            entry.setdefault("", value.value)
        else:
            for code, text_ in builtin_labels().get(value.value, {"": _tail(value.value)}).items():
                entry.setdefault(code, text_)
    out: dict[str, dict[str, list[str]]] = {}
    for iri, by_part in found.items():
        mine = out.setdefault(iri, {})
        for part, values in by_part.items():
            texts = [_pick(labels, lang) for _key_, labels in sorted(values.items())]
            mine[part] = [t for t in dict.fromkeys(texts) if t]
    return out


def _key(term: Any) -> str:
    return str(getattr(term, "value", term))


def _tail(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].replace("-", " ")


def title(kstore: KiemenStore, iri: str, kind: str, lang: str) -> str:
    """The title in words of an unnamed node of ``kind``; "" when it connects too little."""
    if kind not in TITLED:
        return ""
    return title_from(parts(kstore, iri, lang), kind, lang)


def titles(kstore: KiemenStore, kinds: Mapping[str, str], lang: str) -> dict[str, str]:
    """:func:`title` of several nodes (``{iri: kind}``), their parts read in one query."""
    wanted = [iri for iri, kind in kinds.items() if kind in TITLED]
    found = parts_of(kstore, wanted, lang)
    return {iri: title_from(found.get(iri, {}), kinds[iri], lang) for iri in wanted}


def title_from(p: Mapping[str, list[str]], kind: str, lang: str) -> str:
    """The title of a node of ``kind`` from its :func:`parts`."""

    def one(name: str) -> str:
        return ", ".join(p.get(name, []))

    if kind == "involvement":
        pieces = [one("actor"), one("role"), one("initiative")]
        return " — ".join(x for x in pieces if x) if one("actor") or one("initiative") else ""
    if kind == "fact":
        figure = " ".join(x for x in (one("value"), one("unit")) if x)
        measure = f"{one('measure')}: {figure}" if one("measure") and figure else one("measure")
        measure = measure or figure
        date = f" ({one('date')})" if one("date") else ""
        text = " — ".join(x for x in (one("subject"), measure) if x)
        return text + date if text else ""
    if kind == "uncertainty":
        about = " — ".join(x for x in (one("subject"), one("concerns")) if x)
        if not about:
            return ""
        alternative = one("alternative")
        if alternative:
            return render(
                msg("titles.uncertainty.alternative", about=about, alternative=alternative), lang
            )
        return render(msg("titles.uncertainty", about=about), lang)
    # channel
    what = one("type") or one("platform") or render(msg("titles.channel"), lang)
    return f"{one('subject')} — {what}" if one("subject") else ""


# -- concepts that share a label with a concept of another scheme -------------------------------
_AMBIGUOUS: dict[str, dict[str, dict[str, str]]] = {}
_GUARD = threading.Lock()


def ambiguous_concepts(kstore: KiemenStore) -> dict[str, dict[str, str]]:
    """{concept IRI: {lang: scheme label}} for every concept whose label (in some language)
    a concept of another scheme also has; computed once per generation."""
    generation = kstore.generation_id() or ""
    cached = _AMBIGUOUS.get(generation)
    if cached is not None:
        return cached
    by_label: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    schemes: dict[str, dict[str, str]] = defaultdict(dict)
    for row in kstore.run("concept-schemes-labels"):
        concept, scheme = row["concept"].value, row["scheme"].value
        label = row["label"]
        by_label[(label.language or "", label.value.casefold())].add((concept, scheme))
        if row["schemeLabel"] is not None:
            schemes[scheme].setdefault(row["schemeLabel"].language or "", row["schemeLabel"].value)
    out: dict[str, dict[str, str]] = {}
    for members in by_label.values():
        if len({scheme for _c, scheme in members}) > 1:
            for concept, scheme in members:
                out[concept] = schemes.get(scheme) or {"": _tail(scheme)}
    with _GUARD:
        while len(_AMBIGUOUS) >= 4:
            del _AMBIGUOUS[next(iter(_AMBIGUOUS))]
        _AMBIGUOUS[generation] = out
    return out


def with_scheme(kstore: KiemenStore, iri: str, label: str, lang: str) -> str:
    """``label (scheme)`` when another scheme has a concept of the same label, else ``label``."""
    scheme = ambiguous_concepts(kstore).get(iri)
    if not scheme or not label:
        return label
    return f"{label} ({_pick(scheme, lang)})"
