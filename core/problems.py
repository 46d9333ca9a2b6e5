"""What a write reports: the problems found in its input, and what a loader wrote.

Shared by the loaders (which find problems in their sources), the validation (which finds them
in the data) and the write pipeline (whose provenance record says what was written), so they
live in the core that all of them build on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the source allows."""

    source: str
    message: str
    rule: str = ""
    line: int | None = None
    column: int | None = None
    row: int | None = None
    field: str | None = None
    focus: str | None = None
    severity: str = "error"

    def where(self) -> str:
        parts = [self.source]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.field:
            parts.append(f"column {self.field!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where()}: {self.message}"
        if self.focus:
            text += f" [{self.focus}]"
        if self.rule:
            text += f" (rule: {self.rule})"
        return text

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ""}


@dataclass
class LoadStats:
    """What a loader wrote; feeds the provenance record."""

    triples: int = 0
    files: list[tuple[str, str]] = field(default_factory=list)  # (location, sha256)
    notes: list[str] = field(default_factory=list)
    #: Problems that do not stop the load (rows skipped, values left out), shown as warnings.
    warnings: list[Problem] = field(default_factory=list)
    #: The licence of the source's content (an IRI), when it has its own: the graph carries it.
    license: str = ""
    #: Extra provenance, e.g. the endpoint and query of a harvest: (property IRI, literal).
    about: list[tuple[str, str]] = field(default_factory=list)
