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
        # errors
        "error.status": {"nl": "Foutcode {status}", "en": "Error code {status}"},
        "error.home": {"nl": "Naar de startpagina", "en": "To the home page"},
        "error.search": {"nl": "Of zoek in Kiemen", "en": "Or search Kiemen"},
        "error.last_page": {"nl": "Naar de laatste pagina ({page})", "en": "To the last page ({page})"},
        "error.400.title": {"nl": "Dit verzoek klopt niet", "en": "This request is not valid"},
        "error.400.help": {"nl": "Het adres bevat een waarde die Kiemen niet kan gebruiken.", "en": "The address holds a value Kiemen cannot use."},
        "error.404.title": {"nl": "Pagina niet gevonden", "en": "Page not found"},
        "error.404.help": {"nl": "Op dit adres staat niets. Misschien is de link verouderd of bevat hij een tikfout.", "en": "There is nothing at this address. The link may be out of date or mistyped."},
        "error.405.title": {"nl": "Deze methode kan hier niet", "en": "Method not allowed"},
        "error.405.help": {"nl": "Dit adres kan niet met deze HTTP-methode worden opgevraagd.", "en": "This address does not answer this HTTP method."},
        "error.406.title": {"nl": "Dit formaat is er niet", "en": "Format not available"},
        "error.406.help": {"nl": "Kiemen kan dit niet leveren in een formaat dat het verzoek accepteert.", "en": "Kiemen cannot give this in a format the request accepts."},
        "error.413.title": {"nl": "Verzoek te groot", "en": "Request too large"},
        "error.413.help": {"nl": "Het verzoek is groter dan Kiemen aanneemt.", "en": "The request is larger than Kiemen accepts."},
        "error.500.title": {"nl": "Er ging iets mis", "en": "Something went wrong"},
        "error.500.help": {"nl": "Er ging aan onze kant iets mis. Het is vastgelegd; probeer het later nog eens.", "en": "Something went wrong on our side. It has been logged; please try again later."},
        "error.503.title": {"nl": "Even niet beschikbaar", "en": "Temporarily unavailable"},
        "error.503.help": {"nl": "Kiemen kan dit nu niet beantwoorden; probeer het later nog eens.", "en": "Kiemen cannot answer this right now; please try again later."},
        "error.unknown_value": {
            "nl": "Onbekende waarde voor {facet}: ‘{value}’. Geldige waarden: {valid}.",
            "en": "Unknown value for {facet}: ‘{value}’. Valid values: {valid}.",
        },
        "error.past_last": {
            "nl": "Pagina {page} bestaat niet: er zijn {pages} pagina's.",
            "en": "Page {page} does not exist: there are {pages} pages.",
        },
    }
)
