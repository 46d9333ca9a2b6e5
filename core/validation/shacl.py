"""Validation with the SHACL shapes of ``ontology/shapes.ttl``, reported in plain words.

Two engines read the same shapes file. The streaming engine (:mod:`core.validation.shapes`,
:mod:`core.validation.checker`) checks every focus node while a source is written and is the one
:func:`loaders.load` uses. pyshacl is the reference: it takes over when the shapes use a SHACL
feature the streaming engine does not implement, and the tests hold the two to the same answers.
Both report each problem with the rule's ``sh:name``, its ``sh:message`` and the file and line
(or row) where the focus node is written.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate
from rdflib.namespace import SH

from core.config import CANONICAL_BASE, Settings
from core.paths import package_dir
from core.problems import Problem
from core.validation.shapes import Shapes, compile_shapes

if TYPE_CHECKING:  # rdflib and pyshacl are slow to import; only the fallback needs them
    import rdflib

RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"


def ontology_dir() -> Path:

    return package_dir("ontology")


def shapes_path() -> Path:
    return ontology_dir() / "shapes.ttl"


def rebased_text(path: Path, settings: Settings) -> str:
    text = path.read_text(encoding="utf-8")
    if settings.base_uri != CANONICAL_BASE:
        text = text.replace(CANONICAL_BASE, settings.base_uri)
    return text


@lru_cache(maxsize=8)
def _compiled(path: str, mtime: float, base: str, pairs: frozenset[tuple[str, str]]) -> Shapes:
    settings = Settings(base_uri=base)
    store = ox.Store()
    store.load(rebased_text(Path(path), settings).encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return compile_shapes(store, pairs)


def ontology_subclasses(settings: Settings) -> set[tuple[str, str]]:
    """(sub, super) pairs of the bundled ontology, so targets cover subclasses from the start."""
    path = ontology_dir() / "kiemen.ttl"
    pairs: set[tuple[str, str]] = set()
    if path.exists():
        for t in ox.parse(rebased_text(path, settings).encode(), format=ox.RdfFormat.TURTLE):
            if t.predicate.value == RDFS_SUBCLASS and isinstance(t.object, ox.NamedNode):
                pairs.add((t.subject.value, t.object.value))
    return pairs


def compiled_shapes(settings: Settings, extra_pairs: Iterable[tuple[str, str]] = ()) -> Shapes:
    """The shapes, compiled for the streaming engine (raises shapes.Unsupported)."""
    path = shapes_path()
    pairs = frozenset(ontology_subclasses(settings) | set(extra_pairs))
    return _compiled(str(path), path.stat().st_mtime, settings.base_uri, pairs)


# ---------------------------------------------------------------------------------------------
# pyshacl, the reference engine


def to_rdflib(triples: Iterable[Any], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Copy pyoxigraph triples into an rdflib graph (via N-Triples, the lossless route)."""

    g = graph if graph is not None else rdflib.Graph()
    as_triples = (
        ox.Triple(t.subject, t.predicate, t.object) if isinstance(t, ox.Quad) else t
        for t in triples
    )
    data = ox.serialize(as_triples, format=ox.RdfFormat.N_TRIPLES)
    if data:
        g.parse(data=data.decode("utf-8"), format="nt")
    return g


@lru_cache(maxsize=4)
def _shapes_graph(path: str, mtime: float, base: str) -> rdflib.Graph:

    text = rebased_text(Path(path), Settings(base_uri=base))
    return rdflib.Graph().parse(data=text, format="turtle")


def shapes_graph(settings: Settings) -> rdflib.Graph:
    path = shapes_path()
    return _shapes_graph(str(path), path.stat().st_mtime, settings.base_uri)


def shacl_problems(
    data: rdflib.Graph,
    settings: Settings,
    focus_filter: set[str] | None = None,
    source: str = "data",
    locate: dict[str, tuple[str, int | None, int | None]] | None = None,
) -> tuple[bool, list[Problem]]:
    """Validate ``data`` with pyshacl against the project's shapes; (conforms, problems)."""

    shapes = shapes_graph(settings)
    _conforms, results, _text = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    problems: list[Problem] = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        if focus_filter is not None and str(focus) not in focus_filter:
            continue
        severity = results.value(result, SH.resultSeverity)
        message = results.value(result, SH.resultMessage)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        shape = results.value(result, SH.sourceShape)
        name = shapes.value(shape, SH.name) if shape is not None else None
        rule = str(name) if name else _short(str(shape)) if shape is not None else "SHACL"
        if path is not None and isinstance(path, rdflib.URIRef):
            rule += f" / {_short(str(path))}"
        text = str(message) if message else "does not meet the rule"
        if value is not None and str(value) not in text and str(value) != str(focus):
            text += f" (value: {value})"
        where = (locate or {}).get(str(focus), (source, None, None))
        problems.append(
            Problem(
                source=where[0],
                line=where[1],
                row=where[2],
                message=text,
                rule=rule,
                focus=str(focus),
                severity="warning" if severity in (SH.Warning, SH.Info) else "error",
            )
        )
    problems.sort(key=lambda p: (p.severity != "error", p.source, p.line or 0, p.row or 0))
    errors = [p for p in problems if p.severity == "error"]
    return (not errors), problems


def _short(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[1] or iri
    return iri


# ---------------------------------------------------------------------------------------------
# where a focus node is written

_PREFIX = re.compile(r"@prefix\s+([A-Za-z][\w.-]*|)\s*:\s*<([^>]*)>", re.I)
_SPARQL_PREFIX = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*|)\s*:\s*<([^>]*)>", re.I)


def turtle_line_index(path: Path, iris: set[str], settings: Settings) -> dict[str, int]:
    """Line numbers (1-based) where each IRI is first written as a subject in an RDF text file.

    Reads the file line by line (never whole), so it serves N-Triples dumps of any size; only
    the IRIs asked for are looked up.
    """
    if not iris:
        return {}

    spellings: dict[str, str] = {}
    for iri in iris:
        spellings[f"<{iri}>"] = iri
        spellings[f"<{settings.canonical(iri)}>"] = iri
    found: dict[str, int] = {}
    opener: Any = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, start=1):
                stripped = line.lstrip()
                if not stripped or stripped.startswith("#"):
                    continue
                m = _PREFIX.match(stripped) or _SPARQL_PREFIX.match(stripped)
                if m:
                    ns = settings.rebase(m.group(2))
                    for iri in iris:
                        if ns and iri.startswith(ns):
                            spellings[f"{m.group(1)}:{iri[len(ns) :]}"] = iri
                    continue
                token = stripped.split(None, 1)[0]
                if token.endswith((";", ".")) and len(token) > 1 and token not in spellings:
                    token = token[:-1]
                hit = spellings.get(token)
                if hit and hit not in found:
                    found[hit] = lineno
                    if len(found) == len(iris):
                        break
    except OSError:
        return {}
    return found
