"""One date reader for every table Kiemen reads: ISO dates and the Dutch way of writing them.

``2024``, ``2024-03``, ``2024-03-12`` (or an ISO date-time, whose date is kept) and the Dutch
``12-03-2024`` (also ``12-3-2024``, ``12/03/2024``, ``12.03.2024``: day first) all become the
XSD lexical form (``gYear``, ``gYearMonth`` or ``date``). A date that does not exist
(``31-02-2024``) is an error, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re

_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_DUTCH = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")


class DateError(ValueError):
    """The text is not a date (or not a real one)."""


def parse_date(text: str) -> str:
    """The XSD lexical form of a date written either way; raises :class:`DateError`."""
    t = text.strip()
    m = _ISO.fullmatch(t) or (_ISO.fullmatch(t[:10]) if t[10:11] == "T" else None)
    if m:
        year, month, day = m.groups()
    else:
        d = _DUTCH.fullmatch(t)
        if d is None:
            raise DateError(f"{text!r} is not a date")
        year, month, day = d.group(4), f"{int(d.group(3)):02d}", f"{int(d.group(1)):02d}"
    if year < "1000":
        raise DateError(f"{text!r} has no four-digit year")
    try:
        if day:
            return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError as exc:
        raise DateError(f"{text!r} is not a real date ({exc})") from None
    if month:
        if not 1 <= int(month) <= 12:
            raise DateError(f"{text!r} is not a real month")
        return f"{year}-{month}"
    return year


def datatype(lexical: str) -> str:
    """The XSD datatype's local name for a lexical form from :func:`parse_date`."""
    return {4: "gYear", 7: "gYearMonth"}.get(len(lexical), "date")
