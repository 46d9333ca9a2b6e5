"""Places: the CBS list of municipalities, the place resolver and links out to GeoNames."""

from __future__ import annotations

import pytest

from portal.publishers import PublisherError, check_code, reference


def test_the_cbs_list_holds_every_municipality_and_province_of_2025() -> None:
    ref = reference()
    current = [b for b in ref.values() if b.current and b.type == "gemeente"]
    provinces = [b for b in ref.values() if b.type == "provincie"]
    assert len(current) == 342
    assert len(provinces) == 12
    assert {b.code for b in provinces} == {f"PV{n}" for n in range(20, 32)}
    for body in current:  # every current code is accepted as it is
        assert check_code(body.code.lower()).code == body.code
        assert ref[body.province].type == "provincie"
    assert ref["GM1992"].name == "Voorne aan Zee" and ref["GM1992"].current
    assert ref["GM0405"].name == "Hoorn"


@pytest.mark.parametrize(
    ("code", "successor", "when"),
    [
        ("GM0017", "GM0014 \\(Groningen\\)", "2019-01-01"),
        ("GM0457", "GM0363 \\(Amsterdam\\)", "2022-03-24"),
        ("GM0398", "GM1980 \\(Dijk en Waard\\)", "2022-01-01"),
        ("GM0856", "GM1991 \\(Maashorst\\)", "2022-01-01"),
        ("GM0614", "GM1992 \\(Voorne aan Zee\\)", "2023-01-01"),
    ],
)
def test_a_merged_municipality_is_explained_with_its_successor(
    code: str, successor: str, when: str
) -> None:
    with pytest.raises(PublisherError, match=f"merged into {successor} on {when}") as err:
        check_code(code)
    assert "bestaat niet meer" in err.value.nl
