"""Open spreadsheets from strangers within fixed bounds, before openpyxl reads anything big.

An .xlsx file is a zip of XML: a 5 KB upload can declare a sheet of 16,384 columns (openpyxl's
read-only mode pads every row to the declared width) or inflate to gigabytes of shared strings,
which openpyxl loads whole when it opens the workbook. So the zip's own directory is checked
first (uncompressed size), every row is read only as wide as the header actually is, and rows,
cells and time are counted while reading. Each bound that is hit stops the read with a message
that names it.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet


class TooLarge(ValueError):
    """A bound was hit while reading a workbook."""


@dataclass(frozen=True)
class Bounds:
    max_uncompressed: int = 64 * 1024 * 1024
    max_columns: int = 256
    max_rows: int = 200_000
    max_cells: int = 2_000_000
    seconds: float = 60.0


#: What a publisher's upload may hold (the command-line loader passes larger bounds).
UPLOAD = Bounds(max_rows=50_000, max_cells=1_000_000, seconds=30.0)


def open_workbook(source: bytes | Path, bounds: Bounds, data_only: bool) -> Workbook:
    """A read-only workbook, after checking what the zip would inflate to."""
    handle: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    with zipfile.ZipFile(handle) as archive:
        total = sum(info.file_size for info in archive.infolist())
    if total > bounds.max_uncompressed:
        raise TooLarge(
            f"the workbook unpacks to {total // (1024 * 1024)} MB, more than the limit of "
            f"{bounds.max_uncompressed // (1024 * 1024)} MB"
        )
    if isinstance(source, bytes):
        handle = io.BytesIO(source)
    return load_workbook(handle, read_only=True, data_only=data_only)


def rows(sheet: ReadOnlyWorksheet, bounds: Bounds) -> Iterator[tuple[Any, ...]]:
    """The sheet's cells row by row, as wide as its header row really is."""
    header = next(sheet.iter_rows(max_row=1, max_col=bounds.max_columns + 1), ())
    width = max((i + 1 for i, cell in enumerate(header) if cell.value not in (None, "")), default=0)
    if width > bounds.max_columns:
        raise TooLarge(f"the sheet has more than {bounds.max_columns} columns")
    if width == 0:
        return
    started, cells = time.monotonic(), 0
    for number, row in enumerate(sheet.iter_rows(max_col=width), start=1):
        if number > bounds.max_rows:
            raise TooLarge(f"the sheet has more than {bounds.max_rows} rows")
        cells += width
        if cells > bounds.max_cells:
            raise TooLarge(f"the sheet has more than {bounds.max_cells} cells")
        if number % 500 == 0 and time.monotonic() - started > bounds.seconds:
            raise TooLarge(f"reading the sheet took longer than {bounds.seconds:g} s")
        yield tuple(row)


def is_formula(cell: Any) -> bool:
    """A cell holding a formula (in a workbook opened with ``data_only=False``): its cached
    value is not trusted, by the tabular loader and the publishing template alike."""
    return getattr(cell, "data_type", None) == "f"
