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
        # navigation and the API overview
        "nav.api": {"nl": "API", "en": "API"},
        "api.intro": {
            "nl": "Alles wat het portaal toont, is ook als JSON op te vragen: lijsten met facetten, zoeken, de kaart, het netwerk en elk ding. Elk antwoord heeft dezelfde vorm (naar datasette) en noemt de SPARQL-query die hetzelfde antwoord geeft. Lezen is open voor iedereen, zonder sleutel; gegevens vallen onder de licentie van de dataset.",
            "en": "Everything the portal shows can also be had as JSON: lists with facets, search, the map, the network and every thing. Every answer has the same shape (after datasette) and names the SPARQL query that gives the same answer. Reading is open to anyone, without a key; the data are under the dataset's licence.",
        },
        "api.openapi": {
            "nl": "De volledige machineleesbare beschrijving (OpenAPI 3):",
            "en": "The complete machine-readable description (OpenAPI 3):",
        },
        "api.shape": {"nl": "De vorm van een antwoord", "en": "The shape of an answer"},
        "api.shape_list": {"nl": "Een lijst:", "en": "A list:"},
        "api.shape_error": {
            "nl": "Een fout, met dezelfde HTTP-status (ook voor onbekende adressen onder /api):",
            "en": "An error, with that HTTP status (also for unknown addresses under /api):",
        },
        "api.params": {"nl": "Parameters", "en": "Parameters"},
        "api.param_facets": {
            "nl": "Facetten, elk met een of meer waarden (een van de waarden binnen een facet, alle facetten samen): {keys}. Een waarde is het token uit facet_results, de IRI, of de IRI zonder de basis. Een onbekende waarde geeft 400 met de geldige waarden.",
            "en": "Facets, any number of values each (any value within a facet, all facets together): {keys}. A value is the token from facet_results, the IRI, or the IRI without the base. An unknown value gives 400 with the valid values.",
        },
        "api.param_q": {
            "nl": 'q: vrije tekst (Nederlandse en Engelse woordstammen, tikfouten, OR, NOT, -woord, "woordgroep"). Het antwoord van /api/search noemt in corrected de verbeterde zoekvraag en geeft bij nul resultaten suggestions; exact=1 zoekt zonder verbetering.',
            "en": 'q: free text (Dutch and English stemming, typos, OR, NOT, -word, "phrase"). The answer of /api/search names the corrected query in corrected and, with no results, gives suggestions; exact=1 searches without correction.',
        },
        "api.param_sort": {
            "nl": "_sort: label, -label, start, -start (standaard: naam, of relevantie met q).",
            "en": "_sort: label, -label, start, -start (default: name, or relevance with q).",
        },
        "api.param_size": {
            "nl": "_size: rijen per pagina (instelling KIEMEN_PAGE_SIZE, hoogstens KIEMEN_MAX_PAGE_SIZE).",
            "en": "_size: rows per page (setting KIEMEN_PAGE_SIZE, at most KIEMEN_MAX_PAGE_SIZE).",
        },
        "api.param_next": {
            "nl": "_next: de cursor van de vorige pagina; of page: een paginanummer (voorbij de laatste: 404 met last_page_url).",
            "en": "_next: the cursor from the previous page; or page: a page number (past the last: 404 with last_page_url).",
        },
        "api.param_lang": {
            "nl": "_lang: nl of en voor namen (standaard: de taal van de interface).",
            "en": "_lang: nl or en for names (default: the interface language).",
        },
        "api.caching": {
            "nl": "Antwoorden dragen een ETag en Last-Modified van de gepubliceerde versie van de gegevens; met If-None-Match of If-Modified-Since krijgt u 304 zolang er niets veranderde.",
            "en": "Answers carry an ETag and Last-Modified of the published version of the data; with If-None-Match or If-Modified-Since you get 304 while nothing changed.",
        },
        "api.endpoints": {"nl": "Adressen", "en": "Endpoints"},
        "api.path": {"nl": "Pad", "en": "Path"},
        "api.what": {"nl": "Wat", "en": "What"},
        "api.endpoint./api/initiatives": {
            "nl": "Initiatieven die aan facetten en tekst voldoen, per pagina; met facetresultaten.",
            "en": "Initiatives matching facets and text, paged; with facet results.",
        },
        "api.endpoint./api/facets": {
            "nl": "Alleen de facetresultaten voor dezelfde parameters.",
            "en": "Only the facet results for the same parameters.",
        },
        "api.endpoint./api/search": {
            "nl": "Zoeken in alle soorten dingen, met gemarkeerde fragmenten.",
            "en": "Full-text search over every kind of thing, with highlighted snippets.",
        },
        "api.endpoint./api/map": {
            "nl": "De gevonden initiatieven per plaats, met coördinaten.",
            "en": "The matching initiatives grouped by place, with coordinates.",
        },
        "api.endpoint./api/network": {
            "nl": "Actoren en initiatieven als knopen, betrokkenheden als verbindingen.",
            "en": "Actors and initiatives as nodes, involvements as edges.",
        },
        "api.endpoint./api/things?iri=…": {
            "nl": "Wat de graaf over één ding zegt, en wat ernaar verwijst.",
            "en": "What the graph says about one thing, and its incoming links.",
        },
        # legend of the marks for stated and inferred forms
        "legend.forms": {"nl": "Samenwerkingsvormen:", "en": "Forms of collaboration:"},
        "legend.form": {"nl": "vorm", "en": "form"},
        "legend.stated": {"nl": "genoemd in de bron", "en": "stated in the source"},
        "legend.inferred": {
            "nl": "afgeleid door de samenstellers (de bron noemt de vorm niet letterlijk)",
            "en": "inferred by the curators (the source does not name the form literally)",
        },
        # errors
        "error.status": {"nl": "Foutcode {status}", "en": "Error code {status}"},
        "error.home": {"nl": "Naar de startpagina", "en": "To the home page"},
        "error.search": {"nl": "Of zoek in Kiemen", "en": "Or search Kiemen"},
        "error.last_page": {
            "nl": "Naar de laatste pagina ({page})",
            "en": "To the last page ({page})",
        },
        "error.400.title": {"nl": "Dit verzoek klopt niet", "en": "This request is not valid"},
        "error.400.help": {
            "nl": "Het adres bevat een waarde die Kiemen niet kan gebruiken.",
            "en": "The address holds a value Kiemen cannot use.",
        },
        "error.404.title": {"nl": "Pagina niet gevonden", "en": "Page not found"},
        "error.404.help": {
            "nl": "Op dit adres staat niets. Misschien is de link verouderd of bevat hij een tikfout.",
            "en": "There is nothing at this address. The link may be out of date or mistyped.",
        },
        "error.405.title": {"nl": "Deze methode kan hier niet", "en": "Method not allowed"},
        "error.405.help": {
            "nl": "Dit adres kan niet met deze HTTP-methode worden opgevraagd.",
            "en": "This address does not answer this HTTP method.",
        },
        "error.406.title": {"nl": "Dit formaat is er niet", "en": "Format not available"},
        "error.406.help": {
            "nl": "Kiemen kan dit niet leveren in een formaat dat het verzoek accepteert.",
            "en": "Kiemen cannot give this in a format the request accepts.",
        },
        "error.413.title": {"nl": "Verzoek te groot", "en": "Request too large"},
        "error.413.help": {
            "nl": "Het verzoek is groter dan Kiemen aanneemt.",
            "en": "The request is larger than Kiemen accepts.",
        },
        "error.500.title": {"nl": "Er ging iets mis", "en": "Something went wrong"},
        "error.500.help": {
            "nl": "Er ging aan onze kant iets mis. Het is vastgelegd; probeer het later nog eens.",
            "en": "Something went wrong on our side. It has been logged; please try again later.",
        },
        "error.503.title": {"nl": "Even niet beschikbaar", "en": "Temporarily unavailable"},
        "error.503.help": {
            "nl": "Kiemen kan dit nu niet beantwoorden; probeer het later nog eens.",
            "en": "Kiemen cannot answer this right now; please try again later.",
        },
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
