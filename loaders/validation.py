"""SHACL validation with pyshacl, reported in plain words with file and line.

The data graph is the new source together with the ontology and the curated graph (so that
values pointing at concepts or curated actors can be checked); only problems whose focus node is
described by the new source are reported against it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate
from rdflib.namespace import SH

from loaders.base import Problem
from portal.config import CANONICAL_BASE, Settings


def to_rdflib(
    triples: Iterable[ox.Triple | ox.Quad], graph: rdflib.Graph | None = None
) -> rdflib.Graph:
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


def rebased_graph(path: Path, settings: Settings) -> rdflib.Graph:
    """Parse a repository Turtle file with the canonical base rewritten to the configured one."""
    text = path.read_text(encoding="utf-8")
    if settings.base_uri != CANONICAL_BASE:
        text = text.replace(CANONICAL_BASE, settings.base_uri)
    return rdflib.Graph().parse(data=text, format="turtle")


@lru_cache(maxsize=4)
def _shapes(path: str, base: str) -> rdflib.Graph:
    from portal.config import Settings as S

    return rebased_graph(Path(path), S(base_uri=base))


def shapes_graph(settings: Settings) -> rdflib.Graph:
    from loaders.curated import _package_dir

    return _shapes(str(_package_dir("ontology") / "shapes.ttl"), settings.base_uri)


def shacl_problems(
    data: rdflib.Graph,
    settings: Settings,
    focus_filter: set[str] | None = None,
    source: str = "data",
    locate: dict[str, tuple[str, int | None, int | None]] | None = None,
) -> tuple[bool, list[Problem]]:
    """Validate ``data`` against the project's shapes; return (conforms, problems)."""
    _conforms, results, _text = shacl_validate(
        data,
        shacl_graph=shapes_graph(settings),
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    problems: list[Problem] = []
    shapes = shapes_graph(settings)
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


_PREFIX = re.compile(r"@prefix\s+([A-Za-z][\w.-]*|)\s*:\s*<([^>]*)>", re.I)


def turtle_line_index(path: Path, iris: set[str], settings: Settings) -> dict[str, int]:
    """Line numbers (1-based) where each IRI is first written as a subject in a Turtle file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    prefixes = {p: settings.rebase(ns) for p, ns in _PREFIX.findall(text)}
    spellings: dict[str, str] = {}
    for iri in iris:
        canonical = settings.canonical(iri)
        spellings[f"<{iri}>"] = iri
        spellings[f"<{canonical}>"] = iri
        for p, ns in prefixes.items():
            if iri.startswith(ns) and ns:
                spellings[f"{p}:{iri[len(ns) :]}"] = iri
    found: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        token = stripped.split(None, 1)[0]
        hit = spellings.get(token)
        if hit and hit not in found:
            found[hit] = lineno
    return found
