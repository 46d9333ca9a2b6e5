"""Names of common terms of other vocabularies (nl/en), for when the graph does not label them.

These label data, not the interface: a page about any resource shows ``rdf:type`` as "soort" /
"type" even when no loaded graph says so. Being data, they live as RDF
(``data/reference/vocabulary-labels.ttl``, ``rdfs:label`` in both languages), read once when
first needed. They are not loaded into the store: the published data and the SPARQL answers stay
Kiemen's own, and a label a loaded graph gives wins over these.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pyoxigraph as ox

from core.paths import package_dir
from core.vocab import RDFS

LANGS = ("nl", "en")


def labels_file() -> Path:
    return package_dir("kiemen_data") / "reference" / "vocabulary-labels.ttl"


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    """``{term IRI: {language: label}}`` from the ``rdfs:label`` statements of a Turtle file.

    Each term needs one label in each language of :data:`LANGS`; anything else is an error
    naming the term (the file is bundled, so a gap is a defect, not a missing translation).
    """
    found: dict[str, dict[str, str]] = {}
    for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        if t.predicate.value != RDFS + "label" or not isinstance(t.object, ox.Literal):
            raise ValueError(f"{path}: {t.subject} has a statement other than an rdfs:label")
        lang = t.object.language or ""
        if lang not in LANGS or lang in found.get(t.subject.value, {}):
            raise ValueError(f"{path}: {t.subject} has an unexpected or second label @{lang}")
        found.setdefault(t.subject.value, {})[lang] = t.object.value
    for term, labels in found.items():
        if set(labels) != set(LANGS):
            raise ValueError(f"{path}: {term} lacks a label in {set(LANGS) - set(labels)}")
    return {term: {lang: labels[lang] for lang in LANGS} for term, labels in found.items()}


@functools.cache
def builtin_labels() -> dict[str, dict[str, str]]:
    """The bundled labels of other vocabularies' terms, read once per process."""
    return read_labels(labels_file())
