"""Reading a table file — CSV, or an Excel workbook's sheets, from disk or as bytes — into
records (the cells of each row as text), the one reader under the tabular engine
(:class:`loaders.tabular.TableReader`) and the publishing template (:mod:`publishing.template`).

Each of those puts its own rules for the header and the rows on top and words the reader's
problems in its own terms; what cannot be read at all is an :class:`Unreadable` saying how
(its ``rule``), in the reader's own words, and where.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core import workbooks
from core.tables import cell_text, sniff_delimiter

#: Largest cell a CSV may hold (bytes); larger is a problem, not read into memory.
MAX_CELL = 1 << 20
#: How much of a CSV file the delimiter is guessed from.
SAMPLE = 64 * 1024
#: Bounds of a workbook loaded from the command line (an upload has its own, smaller ones).
LOAD_BOUNDS = workbooks.Bounds(max_rows=10_000_000, max_cells=500_000_000, seconds=3600.0)


class Unreadable(Exception):
    """The file cannot be read as a table.

    ``rule``: encoding, nul, CSV syntax, cell size, size (``part`` workbook or sheet), format
    or sheet; ``detail``: the reader's words; ``line``/``column``: where, when known.
    """

    def __init__(
        self,
        rule: str,
        detail: str,
        *,
        line: int | None = None,
        column: int | None = None,
        part: str = "",
    ) -> None:
        super().__init__(detail)
        self.rule, self.detail, self.line, self.column, self.part = rule, detail, line, column, part


@dataclass
class Record:
    """One row of the file as read: its place (1 for the first, the header), its cells."""

    number: int
    cells: list[str]
    line: int = 0  # CSV: the line where the record ends (a quoted cell may span lines)
    formulas: tuple[int, ...] = ()  # Excel: the cells (by index) that hold a formula


class TableFile:
    """A CSV file or workbook, given as a path or as its bytes."""

    def __init__(
        self,
        source: Path | bytes,
        *,
        fmt: str,
        delimiter: str | None = None,
        encoding: str = "utf-8",
        strict: bool = False,
        bounds: workbooks.Bounds = LOAD_BOUNDS,
    ) -> None:
        self.source = source
        self.fmt = fmt.lower()
        self.delimiter = delimiter
        self.encoding = encoding
        self.strict = strict
        self.bounds = bounds

    # -- CSV -----------------------------------------------------------------------------------

    def _open(self) -> IO[str]:
        encoding = (
            "utf-8-sig" if self.encoding.lower().replace("_", "-") == "utf-8" else self.encoding
        )
        if isinstance(self.source, bytes):
            raw = io.BytesIO(self.source)
            return io.TextIOWrapper(raw, encoding=encoding, newline="", errors="strict")
        return open(self.source, encoding=encoding, newline="", errors="strict")

    def records(self) -> Iterator[Record]:
        """The CSV file's records, one at a time."""
        csv.field_size_limit(MAX_CELL)
        with self._open() as fh:
            try:
                sample = fh.read(SAMPLE)
            except UnicodeDecodeError as exc:
                raise self._encoding(exc) from exc
            fh.seek(0)
            delimiter = self.delimiter or ("\t" if self.fmt == "tsv" else sniff_delimiter(sample))
            reader = csv.reader(fh, delimiter=delimiter, strict=self.strict)
            number = 0
            try:
                for cells in reader:
                    number += 1
                    if any("\x00" in c for c in cells):
                        raise Unreadable(
                            "nul", "the file holds NUL characters", line=reader.line_num
                        )
                    yield Record(number, cells, reader.line_num)
            except UnicodeDecodeError as exc:
                raise self._encoding(exc) from exc
            except csv.Error as exc:
                text = str(exc)
                rule = "cell size" if "field larger than field limit" in text else "CSV syntax"
                raise Unreadable(rule, text, line=reader.line_num) from exc

    def _encoding(self, exc: UnicodeDecodeError) -> Unreadable:
        """Where the first byte that is not in the encoding lies (line and column)."""
        line, column = None, None
        data = self.source if isinstance(self.source, bytes) else None
        with io.BytesIO(data) if data is not None else open(self.source, "rb") as fh:
            decoder = codecs.getincrementaldecoder(self.encoding)()
            for number, raw in enumerate(fh, start=1):
                try:
                    decoder.decode(raw)
                except UnicodeDecodeError as e:
                    line, column = number, e.start + 1
                    break
        byte = exc.object[exc.start : exc.start + 1].hex()
        return Unreadable("encoding", byte, line=line, column=column)

    # -- Excel ---------------------------------------------------------------------------------

    def sheets(self, only: str | None = None, first: bool = False) -> Iterator[tuple[str, Any]]:
        """Each sheet's title and its records (an iterator), the workbook opened once: every
        sheet, the one named ``only``, or with ``first`` the first."""
        try:
            wb = workbooks.open_workbook(self.source, self.bounds, data_only=False)
        except workbooks.TooLarge as exc:
            raise Unreadable("size", str(exc), part="workbook") from exc
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise Unreadable("format", str(exc)) from exc
        try:
            if only is not None and only not in wb.sheetnames:
                raise Unreadable("sheet", ", ".join(repr(s) for s in wb.sheetnames))
            chosen = [wb[only]] if only is not None else wb.worksheets[:1] if first else None
            for sheet in chosen if chosen is not None else wb.worksheets:
                yield sheet.title, self._sheet_records(sheet)
        finally:
            wb.close()

    def _sheet_records(self, sheet: Any) -> Iterator[Record]:
        try:
            for number, row in enumerate(workbooks.rows(sheet, self.bounds), start=1):
                formulas = tuple(i for i, c in enumerate(row) if workbooks.is_formula(c))
                yield Record(number, [cell_text(c.value) for c in row], number, formulas)
        except workbooks.TooLarge as exc:
            raise Unreadable("size", str(exc), part="sheet") from exc
