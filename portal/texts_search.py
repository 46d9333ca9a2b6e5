"""Interface texts of search, error pages and the API overview (nl/en)."""

# ruff: noqa: E501  (sentences read better unbroken)

from __future__ import annotations

from portal.translations import TEXTS

TEXTS.update(
    {
        "search.help": {
            "nl": "Nederlands en Engels, met woordstammen (faciliteert vindt faciliteren) en tolerantie voor typefouten. Zet woorden tussen aanhalingstekens voor een exacte woordgroep; OR, NOT en -woord werken ook.",
            "en": "Dutch and English, with stemming (resident finds residents) and tolerance for typos. Put words in quotes for an exact phrase; OR, NOT and -word work too.",
        },
        "search.corrected": {
            "nl": "Resultaten voor ‘{corrected}’.",
            "en": "Showing results for ‘{corrected}’.",
        },
        "search.instead": {"nl": "Zoek in plaats daarvan naar", "en": "Search instead for"},
        "search.suggestions": {"nl": "Probeer eens:", "en": "Try:"},
    }
)
