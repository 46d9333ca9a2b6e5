"""Cells and delimiters read the same for the tabular loader and the publishers' upload."""

from __future__ import annotations

import datetime as dt

import pytest

from core.tables import cell_text, sniff_delimiter


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("naam;plaats;start\nA, B en C;Utrecht;2014\n", ";"),  # commas in a value do not count
        ("name,place\n", ","),
        ("name\tplace\r\nx\ty\r\n", "\t"),
        ("name|place\r1;2;3;4\r", "|"),  # old Mac line ends: only the header line counts
        ("name\n", ","),
        ("", ","),
    ],
)
def test_the_header_line_decides_the_delimiter(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (dt.datetime(2014, 3, 1), "2014-03-01"),
        (dt.datetime(2014, 3, 1, 9, 30), "2014-03-01T09:30:00"),
        (dt.date(2014, 3, 1), "2014-03-01"),
        (2014.0, "2014"),
        (2.5, "2.5"),
        ("Leusden", "Leusden"),
    ],
)
def test_excel_cells_read_as_a_csv_export_would(value: object, expected: str) -> None:
    assert cell_text(value) == expected
