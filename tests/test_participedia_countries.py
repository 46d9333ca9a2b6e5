"""Country names as Participedia's entries (and other sources) write them, in their own language."""

from __future__ import annotations

import pytest

from loaders.countries import country_code, normalise

# The names from issue #15's real organisations export, and more languages and scripts.
NAMES = [
    ("Italia", "IT"),  # Italian
    ("Deutschland", "DE"),  # German
    ("España", "ES"),  # Spanish, with a tilde
    ("Suisse", "CH"),  # French
    ("Belgio", "BE"),  # Italian name of another country
    ("Česko", "CZ"),  # Czech, with a caron
    ("Polska", "PL"),  # Polish
    ("Brasil", "BR"),  # Portuguese
    ("ישראל", "IL"),  # Hebrew script
    ("Palestinian Territory", "PS"),  # GeoNames' English name
    ("日本", "JP"),  # Japanese
    ("Россия", "RU"),  # Cyrillic
    ("Ελλάδα", "GR"),  # Greek
    ("대한민국", "KR"),  # Hangul
    ("भारत", "IN"),  # Devanagari
    ("السعودية", "SA"),  # Arabic
    ("Nederland", "NL"),
    ("Duitsland", "DE"),  # Dutch
    ("The Netherlands", "NL"),
    ("Korea, South", "KR"),
    ("Myanmar (Burma)", "MM"),
    ("Scotland", "GB"),  # an ISO 3166-2 constituent country
    ("USA", "US"),  # alpha-3
    ("nl", "NL"),  # alpha-2, any case
    ("  ESPANA ", "ES"),  # no accent, spaces, capitals
]


@pytest.mark.parametrize(("name", "code"), NAMES)
def test_names_in_any_language_and_script_give_the_iso_code(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize("name", ["Atlantis", "", "   ", "Congo", "Springfield"])
def test_unknown_or_ambiguous_names_give_none(name: str) -> None:
    # "Congo" names two countries (CG and CD): guessing would put cases in the wrong one.
    assert country_code(name) is None


def test_normalise_folds_case_accents_punctuation_and_a_leading_the() -> None:
    assert normalise("The  Côte d’Ivoire") == normalise("cote d ivoire")
    assert normalise("Bosnia & Herzegovina") == "bosnia and herzegovina"


def test_a_country_marker_goes_to_its_capital() -> None:
    from loaders.countries import capital

    lat_long = capital("nl")
    assert lat_long is not None
    assert abs(lat_long[0] - 52.37) < 0.1 and abs(lat_long[1] - 4.89) < 0.1  # Amsterdam
    assert capital("ZZ") is None
