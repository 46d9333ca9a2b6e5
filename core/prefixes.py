"""The ontology's prefixes (``ontology/README.md``), predeclared on the SPARQL endpoint and page.

The README's Turtle block is the contract every data file follows, so the endpoint reads its
prefixes from there rather than keeping a second list; IRIs under the canonical base are mapped
onto the configured base.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from core.config import Settings

_PREFIX = re.compile(r"@prefix\s+([A-Za-z][\w-]*)?:\s*<([^>]+)>\s*\.")


@functools.cache
def _canonical() -> tuple[tuple[str, str], ...]:
    try:
        text = (resources.files("ontology") / "README.md").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        text = ""
    found = tuple((m.group(1) or "", m.group(2)) for m in _PREFIX.finditer(text))
    return found or (
        ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
        ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("km", "https://w3id.org/kiemen/def/"),
    )


def canonical_prefixes() -> dict[str, str]:
    """Prefix name → namespace IRI as the README spells them (canonical base)."""
    return {name: iri for name, iri in _canonical() if name}


def ontology_prefixes(settings: Settings) -> dict[str, str]:
    """Prefix name → namespace IRI, in the README's order, on the configured base."""
    return {name: settings.rebase(iri) for name, iri in _canonical()}
