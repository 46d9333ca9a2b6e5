"""One date reader: ISO and Dutch day-first dates, in the tabular loader and the upload template."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from core.dates import DateError, parse_date
from loaders.tabular import ValueProblem
from loaders.tabular import parse_date as table_date
from publishing.template import parse_date as upload_date

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    ("text", "lexical"),
    [
        ("2024", "2024"),
        ("2024-03", "2024-03"),
        ("2024-03-12", "2024-03-12"),
        ("2024-03-12T10:00:00Z", "2024-03-12"),
        ("12-03-2024", "2024-03-12"),
        ("2-3-2024", "2024-03-02"),
        ("12/03/2024", "2024-03-12"),
        ("12.03.2024", "2024-03-12"),
        (" 29-02-2024 ", "2024-02-29"),
    ],
)
def test_iso_and_dutch_dates_read_alike(text: str, lexical: str) -> None:
    assert parse_date(text) == lexical
    assert upload_date(text) == lexical
    literal = table_date(text)
    assert literal.value == lexical
    kind = {4: "gYear", 7: "gYearMonth"}.get(len(lexical), "date")
    assert literal.datatype == ox.NamedNode(XSD + kind)


@pytest.mark.parametrize(
    "text", ["31-02-2024", "2024-13", "29-02-2023", "12-03-24", "03/2024", "0999", "12-03/2024", ""]
)
def test_what_is_no_date_is_an_error_not_a_guess(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text)
    assert upload_date(text) is None
    with pytest.raises(ValueProblem):
        table_date(text)


def test_a_mapping_may_add_its_own_formats() -> None:
    assert table_date("March 12, 2024", ["%B %d, %Y"]).value == "2024-03-12"
