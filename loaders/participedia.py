"""Stub."""
from typing import ClassVar


class ParticipediaLoader:
    name: ClassVar[str] = "participedia"
    title: ClassVar[str] = "participedia"

    @classmethod
    def accepts(cls, source) -> bool:  # type: ignore[no-untyped-def]
        return False
