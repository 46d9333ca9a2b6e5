"""Stub."""
from typing import ClassVar


class TabularLoader:
    name: ClassVar[str] = "tabular"
    title: ClassVar[str] = "tabular"

    @classmethod
    def accepts(cls, source) -> bool:  # type: ignore[no-untyped-def]
        return False
