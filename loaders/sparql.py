"""Stub."""
from typing import ClassVar


class SparqlLoader:
    name: ClassVar[str] = "sparql"
    title: ClassVar[str] = "sparql"

    @classmethod
    def accepts(cls, source) -> bool:  # type: ignore[no-untyped-def]
        return False
