"""Interface texts of the pages a researcher keeps open: phones and keyboards, sources, the
About page, the map, the network, exports, comparison and the timeline (issue #17 items 2-7)."""

# ruff: noqa: E501  (sentences read better unbroken)

from __future__ import annotations

from portal.translations import TEXTS

TEXTS.update(
    {
        "ui.skip_results": {"nl": "Direct naar de resultaten", "en": "Skip to results"},
        "ui.filters": {"nl": "Filters", "en": "Filters"},
        # map
        "map.note": {
            "nl": "Landsgrenzen uit Natural Earth (publiek domein), zonder kaarttegels: de kaart werkt zonder internet. Wijs een land of marker aan voor de naam; markers zijn per plaats gegroepeerd.",
            "en": "Country borders from Natural Earth (public domain), without map tiles: the map works offline. Point at a country or marker for its name; markers are grouped by place.",
        },
        "map.actor": {
            "nl": "Kaart: waar de initiatieven van deze actor spelen",
            "en": "Map: where this actor's initiatives take place",
        },
        "map.place": {
            "nl": "Kaart: initiatieven in en rond deze plaats",
            "en": "Map: initiatives in and around this place",
        },
        # network
        "net.legend": {"nl": "Legenda", "en": "Legend"},
        "net.legend.initiative": {
            "nl": "Initiatief (cirkel; groter = meer verbindingen)",
            "en": "Initiative (circle; larger = more links)",
        },
        "net.legend.actor": {"nl": "Actor (ruit)", "en": "Actor (diamond)"},
        "net.legend.stated": {
            "nl": "Rol vermeld in de bron (doorgetrokken lijn)",
            "en": "Role stated in the source (solid line)",
        },
        "net.legend.inferred": {
            "nl": "Rol afgeleid door de redactie (stippellijn)",
            "en": "Role inferred by the editors (dashed line)",
        },
        "net.legend.roles": {
            "nl": "Rollen (kleur van de lijn, tussen haakjes het aantal)",
            "en": "Roles (colour of the line, number in brackets)",
        },
        "net.legend.help": {
            "nl": "Wijs een knoop of lijn aan voor naam en rol; dubbelklik op een knoop om zijn pagina te openen. De tabel hieronder bevat dezelfde verbindingen.",
            "en": "Point at a node or line for its name and role; double-click a node to open its page. The table below holds the same links.",
        },
        "net.legend.more": {
            "nl": "Wat vermeld en afgeleid betekenen",
            "en": "What stated and inferred mean",
        },
        "net.alone": {
            "nl": "Initiatieven zonder vastgelegde actoren",
            "en": "Initiatives with no recorded actors",
        },
        "net.alone.help": {
            "nl": "Deze initiatieven horen bij de selectie, maar de bronnen noemen geen betrokken actoren; daarom staan ze niet in het netwerk.",
            "en": "These initiatives belong to the selection, but the sources name no actors involved; that is why they are not in the network.",
        },
        # exports, compare, timeline
        "export.download": {
            "nl": "Deze {n} initiatieven downloaden",
            "en": "Download these {n} initiatives",
        },
        "export.download_search": {
            "nl": "Deze {n} resultaten downloaden",
            "en": "Download these {n} results",
        },
        "compare.link": {"nl": "Vergelijken", "en": "Compare"},
        "timeline.link": {"nl": "Tijdlijn", "en": "Timeline"},
        "compare.title": {"nl": "Initiatieven vergelijken", "en": "Compare initiatives"},
        "compare.lead": {
            "nl": "Zet {a} tot {b} initiatieven naast elkaar: samenwerkingsvormen, actoren en hun rollen, plaatsen, jaren en bronnen. De keuzelijsten bieden de initiatieven van de selectie waar u vandaan kwam.",
            "en": "Put {a} to {b} initiatives side by side: forms of collaboration, actors and their roles, places, years and sources. The lists offer the initiatives of the selection you came from.",
        },
        "compare.pick": {"nl": "Initiatief {n}", "en": "Initiative {n}"},
        "compare.show": {"nl": "Vergelijken", "en": "Compare"},
        "compare.choose": {
            "nl": "Kies er minstens {a} om te vergelijken.",
            "en": "Choose at least {a} to compare.",
        },
        "compare.actors_roles": {"nl": "Actoren en rollen", "en": "Actors and roles"},
        "timeline.title": {"nl": "Tijdlijn van initiatieven", "en": "Timeline of initiatives"},
        "timeline.lead": {
            "nl": "De {n} initiatieven van deze selectie per beginjaar. De tijdlijn volgt dezelfde filters als de lijst.",
            "en": "The {n} initiatives of this selection by start year. The timeline follows the same filters as the list.",
        },
        "timeline.back": {
            "nl": "Terug naar de lijst met deze filters",
            "en": "Back to the list with these filters",
        },
        "timeline.filtered": {"nl": "gefilterd", "en": "filtered"},
        "timeline.caption": {"nl": "Initiatieven per beginjaar", "en": "Initiatives by start year"},
        "timeline.year": {"nl": "Jaar", "en": "Year"},
        "timeline.undated": {"nl": "Zonder bekend beginjaar", "en": "Without a known start year"},
        "timeline.truncated": {
            "nl": "Alleen de eerste initiatieven van de {n} zijn getoond.",
            "en": "Only the first initiatives of the {n} are shown.",
        },
        # footer (every page)
        "footer.nav": {"nl": "Over deze site", "en": "About this site"},
        "footer.about": {"nl": "Over Kiemen en de methode", "en": "About Kiemen and the method"},
        "footer.cite": {"nl": "Zo citeert u Kiemen", "en": "How to cite Kiemen"},
        "footer.sources": {"nl": "De bronnen", "en": "The sources"},
        # sources and section pages
        "src.outline": {"nl": "Plaats in het document", "en": "Place in the document"},
        "src.cite": {"nl": "Deze passage citeren", "en": "Cite this passage"},
        "src.derived": {
            "nl": "Wat de graaf op gezag van deze passage zegt",
            "en": "What the graph states on the authority of this passage",
        },
        "src.statement": {"nl": "Uitspraak of ding", "en": "Statement or thing"},
        "src.kind": {"nl": "Soort", "en": "Kind"},
        "src.not_published": {
            "nl": "Regelnummers verwijzen naar de tekstversie van het document die de redactie gebruikte. Die tekst publiceert Kiemen niet (het auteursrecht ligt bij de makers); raadpleeg het oorspronkelijke document.",
            "en": "Line numbers refer to the plain-text version of the document the editors worked from. Kiemen does not publish that text (the makers hold its copyright); consult the original document.",
        },
        "src.in_words": {"nl": "Bronvermelding", "en": "Citation"},
        "src.language": {"nl": "Taal", "en": "Language"},
        "src.cite_document": {"nl": "Dit document citeren", "en": "Cite this document"},
        "src.no_date": {"nl": "z.j.", "en": "n.d."},
        # About
        "about.title": {
            "nl": "Over Kiemen: bronnen en methode",
            "en": "About Kiemen: sources and method",
        },
        "about.lead": {
            "nl": "Kiemen is een kennisgraaf van sociale innovatie: initiatieven, de actoren die erbij betrokken zijn, de vormen van samenwerking en de rollen die overheden en andere instituties spelen. Elke uitspraak is terug te voeren op een passage in een bron.",
            "en": "Kiemen is a knowledge graph of social innovation: initiatives, the actors involved in them, the forms of collaboration and the roles governments and other institutions play. Every statement can be traced to a passage in a source.",
        },
        "about.toc": {"nl": "Inhoud van deze pagina", "en": "Contents of this page"},
        "about.unknown": {"nl": "onbekend", "en": "unknown"},
        "about.sources.h": {"nl": "De bronnen", "en": "The sources"},
        "about.sources.p1": {
            "nl": "De gegevens komen uit vijf Nederlandstalige documenten over sociale media en sociale innovatie: een verkennend boekje met tientallen praktijkvoorbeelden, een projectbeschrijving, een webartikel, een onderzoekssamenvatting en een webtekst over een quickscan. Elk document heeft een eigen pagina met zijn bibliografische gegevens (titel, makers, uitgever, jaar, taal) en met de twijfels over gegevens die het document zelf niet noemt.",
            "en": "The data come from five Dutch-language documents on social media and social innovation: an exploratory booklet with dozens of practical cases, a project description, a web article, a research summary and a web text on a quick scan. Each document has its own page with its bibliographic data (title, makers, publisher, year, language) and with the doubts about data the document does not state itself.",
        },
        "about.sources.p2": {
            "nl": "Documenten zijn opgedeeld in hoofdstukken, secties en kaders, elk met de regels waar ze in de tekstversie staan. Een bronvermelding noemt document, hoofdstuk, sectie en regels en verwijst naar de pagina van die passage. De teksten zelf publiceert Kiemen niet: alleen hun titels en indeling.",
            "en": "Documents are divided into chapters, sections and boxes, each with the lines where it stands in the plain-text version. A citation names document, chapter, section and lines and links to the page of that passage. Kiemen does not publish the texts themselves: only their titles and structure.",
        },
        "about.curation.h": {
            "nl": "Hoe de casussen zijn vastgelegd",
            "en": "How the cases were curated",
        },
        "about.curation.p1": {
            "nl": "Redacteuren lazen de bronnen en legden elk initiatief vast met zijn naam, periode, plaats, thema's, kanalen en samenwerkingsvormen, en elke betrokken actor met zijn rol. Iedere uitspraak krijgt een verwijzing (prov:wasDerivedFrom) naar de passage waarop ze berust. Feiten worden in eigen woorden samengevat; zinnen uit de bronnen worden niet overgenomen.",
            "en": "Editors read the sources and recorded each initiative with its name, period, place, themes, channels and forms of collaboration, and each actor involved with its role. Every statement carries a reference (prov:wasDerivedFrom) to the passage it rests on. Facts are summarised in the editors' own words; sentences of the sources are not copied.",
        },
        "about.curation.p2": {
            "nl": "Bij het laden controleert Kiemen alles tegen de SHACL-vormen van de ontologie en een OWL-redeneerder; gegevens die niet voldoen worden met bestand, regel en regel van de vorm geweigerd. Plaatsen zijn gekoppeld aan vaste codes (CBS-gemeentecodes, ISO-landcodes, GeoNames).",
            "en": "On loading, Kiemen checks everything against the ontology's SHACL shapes and an OWL reasoner; data that do not conform are refused with file, line and the rule of the shape. Places are linked to stable codes (CBS municipality codes, ISO country codes, GeoNames).",
        },
        "about.stated.h": {"nl": "Vermeld en afgeleid", "en": "Stated and inferred"},
        "about.stated.stated": {
            "nl": "De bron kent het initiatief deze samenwerkingsvorm zelf toe, bijvoorbeeld door het als voorbeeld ervan te presenteren (km:statedForm).",
            "en": "The source itself assigns this form of collaboration to the initiative, for instance by presenting it as an example of it (km:statedForm).",
        },
        "about.stated.inferred": {
            "nl": "De bron noemt de vorm niet met zoveel woorden; de redactie heeft hem uit de beschrijving afgeleid (km:inferredForm). Op de pagina's en in de netwerkweergave zijn afgeleide vormen en rollen gestippeld of als afgeleid gemarkeerd.",
            "en": "The source does not name the form in so many words; the editors derived it from the description (km:inferredForm). Pages and the network view draw inferred forms and roles dashed or mark them as inferred.",
        },
        "about.stated.roles": {
            "nl": "Hetzelfde onderscheid geldt voor de rol van een actor in een initiatief: vermeld als de bron de rol noemt, afgeleid als de redactie hem uit de beschrijving opmaakte.",
            "en": "The same distinction holds for the role of an actor in an initiative: stated when the source names the role, inferred when the editors read it from the description.",
        },
        "about.uncertainty.h": {"nl": "Onzekerheden", "en": "Uncertainty records"},
        "about.uncertainty.p1": {
            "nl": "Waar een bron een keuze niet eenduidig maakt (een jaartal, een uitgever, een samenwerkingsvorm), legt Kiemen die twijfel vast als een onzekerheid (km:Uncertainty): welk gegeven het betreft, de overwogen alternatieven en een toelichting in het Nederlands en Engels. Ze staan onderaan de pagina van het ding waar ze over gaan en zijn via SPARQL op te vragen.",
            "en": "Where a source leaves a choice open (a year, a publisher, a form of collaboration), Kiemen records the doubt as an uncertainty (km:Uncertainty): which datum it concerns, the alternatives considered and an explanation in Dutch and English. They are listed at the foot of the page of the thing they concern and can be queried with SPARQL.",
        },
        "about.licence.h": {"nl": "Licentie", "en": "Licence"},
        "about.licence.p1": {
            "nl": "De eigen gegevens van Kiemen staan onder {licence}:",
            "en": "Kiemen's own data are published under {licence}:",
        },
        "about.licence.p2": {
            "nl": "Geïmporteerde gegevens houden hun eigen licentie; die staat bij hun graaf in de datasetbeschrijving (VoID en DCAT) en op de downloadpagina. De code van Kiemen valt onder de MIT-licentie.",
            "en": "Imported data keep their own licence, stated with their graph in the dataset description (VoID and DCAT) and on the downloads page. Kiemen's code is under the MIT licence.",
        },
        "about.cite.h": {"nl": "Zo citeert u Kiemen", "en": "How to cite Kiemen"},
        "about.cite.p1": {"nl": "De dataset als geheel:", "en": "The dataset as a whole:"},
        "about.cite.p2": {
            "nl": "Elke initiatiefpagina heeft een eigen citeerblok (met de vaste IRI van het record) en elke passage een bronvermelding in woorden. Citeer bij voorkeur de vaste IRI's (https://w3id.org/kiemen/…): die blijven geldig als het portaal verhuist.",
            "en": "Every initiative page has its own citation block (with the record's persistent IRI) and every passage a citation in words. Prefer the persistent IRIs (https://w3id.org/kiemen/…): they stay valid when the portal moves.",
        },
        "about.publish.h": {"nl": "Zelf publiceren", "en": "How to publish"},
        "about.publish.p1": {
            "nl": "Gemeenten en andere organisaties publiceren hun eigen initiatieven met een sjabloon (CSV of Excel) of als RDF. Elke upload wordt gecontroleerd tegen dezelfde regels als de kerngegevens, krijgt een versie en komt in een eigen graaf met de licentie van de uitgever.",
            "en": "Municipalities and other organisations publish their own initiatives with a template (CSV or Excel) or as RDF. Each upload is checked against the same rules as the core data, gets a version and goes into its own graph under the publisher's licence.",
        },
        "about.publish.link": {
            "nl": "Publiceren: sjabloon en uitleg",
            "en": "Publishing: template and instructions",
        },
    }
)
