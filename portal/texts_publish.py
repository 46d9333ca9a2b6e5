"""Interface texts of the publishing pages (Dutch and English), added to the shared table."""

from __future__ import annotations

from portal.translations import TEXTS

TEXTS.update(
    {
        "nav.publish": {"nl": "Publiceren", "en": "Publish"},
        "pub.title": {"nl": "Uw eigen gegevens publiceren", "en": "Publish your own data"},
        "pub.lead": {
            "nl": "Gemeenten en provincies publiceren hier hun lijsten van lokale initiatieven "
            "(burgerinitiatieven, participatieprojecten, subsidies aan sociale ondernemingen): "
            "onder eigen naam en licentie, gekoppeld aan de rest van Kiemen, en vindbaar voor "
            "data.overheid.nl.",
            "en": "Municipalities and provinces publish their lists of local initiatives here "
            "(civic initiatives, participation projects, grants to social enterprises): under "
            "their own name and licence, linked to the rest of Kiemen, and harvestable by "
            "national open-data portals.",
        },
        "pub.steps": {"nl": "In vijf stappen", "en": "In five steps"},
        "pub.step1": {
            "nl": "Vraag de beheerder van Kiemen om uw gemeente te registreren; u krijgt een "
            "token (een geheime sleutel) dat alleen uw eigen gegevens mag wijzigen.",
            "en": "Ask Kiemen's administrator to register your municipality; you receive a token "
            "(a secret key) that can change only your own data.",
        },
        "pub.step2": {
            "nl": "Download het sjabloon (Excel of CSV) en lees de uitleg bij de kolommen.",
            "en": "Download the template (Excel or CSV) and read the column guide.",
        },
        "pub.step3": {
            "nl": "Vul de tabellen initiatieven, actoren en rollen met uw eigen identificaties.",
            "en": "Fill in the tables of initiatives, actors and roles with your own identifiers.",
        },
        "pub.step4": {
            "nl": "Upload de bestanden met 'Controleren': het verslag noemt per rij en kolom wat "
            "er niet klopt. Verbeter en controleer opnieuw.",
            "en": "Upload the files with 'Check': the report names each row and column that is "
            "wrong. Correct them and check again.",
        },
        "pub.step5": {
            "nl": "Kies 'Publiceren'. Een upload vult uw dataset aan of werkt hem bij (records "
            "die hij niet noemt blijven staan), of vervangt hem als u dat kiest en de "
            "verwijderingen bevestigt. Elke publicatie wordt een nieuwe versie; eerdere versies "
            "blijven te downloaden en u kunt teruggaan. Bevestig daarna de voorgestelde "
            "koppelingen.",
            "en": "Choose 'Publish'. An upload adds to or updates your dataset (records it does "
            "not mention stay), or replaces it when you choose so and confirm the removals. "
            "Every publication becomes a new version; earlier versions stay downloadable and "
            "you can roll back. Then confirm the suggested links.",
        },
        # the footer of a page whose data are under a licence of their own (a publisher's)
        "footer.licence.named": {
            "nl": "Gegevens onder {licence}. Code onder MIT.",
            "en": "Data under {licence}. Code under MIT.",
        },
        "pub.mode": {"nl": "Wat doet de upload?", "en": "What does the upload do?"},
        "pub.mode.add": {
            "nl": "Aanvullen en bijwerken: records die de upload niet noemt blijven staan",
            "en": "Add and update: records the upload does not mention stay",
        },
        "pub.mode.replace": {
            "nl": "Vervangen: records die de upload niet noemt worden verwijderd (na bevestiging)",
            "en": "Replace: records the upload does not mention are removed (after confirmation)",
        },
        "pub.mode.help": {
            "nl": "'Controleren' laat in beide gevallen zien welke records er bijkomen, "
            "veranderen en verdwijnen, voordat er iets gepubliceerd wordt.",
            "en": "'Check' shows either way which records are added, changed and removed, "
            "before anything is published.",
        },
        "pub.preview": {
            "nl": "Voorvertoning: wat publiceren verandert",
            "en": "Preview: what publishing changes",
        },
        "pub.preview.published": {
            "nl": "Wat deze publicatie veranderde",
            "en": "What this publication changed",
        },
        "pub.preview.change": {"nl": "Verandering", "en": "Change"},
        "pub.preview.records": {"nl": "Records", "en": "Records"},
        "pub.preview.added": {"nl": "Toegevoegd", "en": "Added"},
        "pub.preview.changed": {"nl": "Gewijzigd", "en": "Changed"},
        "pub.preview.removed": {"nl": "Verwijderd", "en": "Removed"},
        "pub.preview.unchanged": {"nl": "Ongewijzigd", "en": "Unchanged"},
        "pub.preview.truncated": {
            "nl": "De lijst toont de eerste 500; de aantallen tellen alles.",
            "en": "The list shows the first 500; the counts cover all.",
        },
        "pub.kind.initiative": {"nl": "initiatief", "en": "initiative"},
        "pub.kind.actor": {"nl": "actor", "en": "actor"},
        "pub.kind.involvement": {"nl": "rol", "en": "role"},
        "pub.confirm.h": {"nl": "Vervangen bevestigen", "en": "Confirm the replacement"},
        "pub.confirm.intro": {
            "nl": "U koos 'Vervangen'. Daardoor verdwijnen {n} record(s) die de upload niet "
            "noemt (zie 'Verwijderd' hierboven). Er is nog niets gepubliceerd.",
            "en": "You chose 'Replace'. That removes {n} record(s) the upload does not mention "
            "(see 'Removed' above). Nothing has been published yet.",
        },
        "pub.confirm.token": {
            "nl": "Vul uw token opnieuw in; de bestanden hoeft u niet opnieuw te kiezen (ze "
            "worden een uur bewaard).",
            "en": "Enter your token again; you need not choose the files again (they are kept "
            "for an hour).",
        },
        "pub.confirm.box": {
            "nl": "Ja, verwijder deze {n} record(s) uit mijn dataset",
            "en": "Yes, remove these {n} record(s) from my dataset",
        },
        "pub.confirm.replace": {
            "nl": "Vervangen en publiceren",
            "en": "Replace and publish",
        },
        "pub.confirm.add": {
            "nl": "Niets verwijderen: aanvullen en bijwerken en publiceren",
            "en": "Remove nothing: add, update and publish",
        },
        "pub.template": {"nl": "Het sjabloon", "en": "The template"},
        "pub.template.excel": {"nl": "Excel-sjabloon", "en": "Excel template"},
        "pub.template.csv": {"nl": "CSV-sjablonen", "en": "CSV templates"},
        "pub.template.example": {"nl": "Ingevuld voorbeeld", "en": "Filled-in example"},
        "pub.template.docs": {"nl": "Uitleg bij de kolommen", "en": "Column guide"},
        "pub.template.title": {
            "nl": "Het publicatiesjabloon: tabellen en kolommen",
            "en": "The publishing template: tables and columns",
        },
        "pub.template.intro": {
            "nl": "Een upload bestaat uit de tabel initiatives en, naar keuze, actors en roles: "
            "als drie CSV-bestanden (UTF-8, komma of puntkomma als scheidingsteken) of als één "
            "Excel-werkmap met werkbladen met die namen. De eerste rij noemt de kolommen; "
            "elke volgende rij is een record. Formules zijn niet toegestaan: alleen waarden.",
            "en": "An upload consists of the table initiatives and, optionally, actors and roles: "
            "as three CSV files (UTF-8, comma or semicolon separated) or as one Excel workbook "
            "with sheets of those names. The first row names the columns; each further row is "
            "a record. Formulas are not accepted: values only.",
        },
        "pub.column": {"nl": "Kolom", "en": "Column"},
        "pub.required": {"nl": "Verplicht", "en": "Required"},
        "pub.yes": {"nl": "ja", "en": "yes"},
        "pub.no": {"nl": "nee", "en": "no"},
        "pub.meaning": {"nl": "Betekenis", "en": "Meaning"},
        "pub.example": {"nl": "Voorbeeld", "en": "Example"},
        "pub.values": {"nl": "Toegestane waarden", "en": "Allowed values"},
        "pub.values.intro": {
            "nl": "Geef een waarde als code (de eerste kolom) of als naam in het Nederlands of "
            "Engels.",
            "en": "Give a value as its code (the first column) or its name in Dutch or English.",
        },
        "pub.codes": {"nl": "Gemeente- en provinciecodes", "en": "Municipality and province codes"},
        "pub.codes.intro": {
            "nl": "CBS-codes die Kiemen kent. Opgeheven gemeenten worden geweigerd met de naam "
            "van hun opvolger.",
            "en": "CBS codes Kiemen knows. Former municipalities are refused with the name of "
            "their successor.",
        },
        "pub.code": {"nl": "Code", "en": "Code"},
        "pub.name": {"nl": "Naam", "en": "Name"},
        "pub.upload": {"nl": "Uploaden", "en": "Upload"},
        "pub.token": {"nl": "Token van uw organisatie", "en": "Your organisation's token"},
        "pub.token.help": {
            "nl": "Het token dat u van de beheerder kreeg; het wordt niet bewaard in uw browser.",
            "en": "The token the administrator gave you; it is not stored in your browser.",
        },
        "pub.files": {"nl": "Bestanden (CSV of Excel)", "en": "Files (CSV or Excel)"},
        "pub.files.help": {
            "nl": "initiatives.csv, actors.csv en roles.csv, of één .xlsx-werkmap.",
            "en": "initiatives.csv, actors.csv and roles.csv, or one .xlsx workbook.",
        },
        "pub.valid_only": {
            "nl": "Publiceer alleen de geldige rijen (rijen met fouten worden weggelaten)",
            "en": "Publish the valid rows only (rows with errors are left out)",
        },
        "pub.check": {"nl": "Controleren", "en": "Check"},
        "pub.publish": {"nl": "Publiceren", "en": "Publish"},
        "pub.publishers": {"nl": "Uitgevers", "en": "Publishers"},
        "pub.none": {"nl": "Nog geen uitgevers.", "en": "No publishers yet."},
        "pub.licence": {"nl": "Licentie", "en": "Licence"},
        "pub.contact": {"nl": "Contactpunt", "en": "Contact point"},
        "pub.latest": {"nl": "Nieuwste versie", "en": "Latest version"},
        "pub.machines": {"nl": "Voor programma's", "en": "For programs"},
        "pub.machines.intro": {
            "nl": "Dezelfde controle en publicatie via HTTP, met het token als "
            "'Authorization: Bearer …'. Antwoorden zijn JSON; met Accept: text/turtle of "
            "application/ld+json krijgt u een SHACL-validatierapport (sh:ValidationReport).",
            "en": "The same check and publication over HTTP, with the token as "
            "'Authorization: Bearer …'. Answers are JSON; with Accept: text/turtle or "
            "application/ld+json you get a SHACL validation report (sh:ValidationReport).",
        },
        "pub.report": {"nl": "Validatieverslag", "en": "Validation report"},
        "pub.report.problems": {"nl": "Problemen", "en": "Problems"},
        "pub.report.none": {"nl": "Geen problemen gevonden.", "en": "No problems found."},
        "pub.report.file": {"nl": "Bestand", "en": "File"},
        "pub.report.row": {"nl": "Rij", "en": "Row"},
        "pub.report.problem": {"nl": "Probleem", "en": "Problem"},
        "pub.report.kind": {"nl": "Soort", "en": "Kind"},
        "pub.error": {"nl": "fout", "en": "error"},
        "pub.warning": {"nl": "advies", "en": "advice"},
        "pub.report.tables": {"nl": "Tabellen", "en": "Tables"},
        "pub.report.rows": {"nl": "Rijen", "en": "Rows"},
        "pub.report.valid": {"nl": "Geldig", "en": "Valid"},
        "pub.report.left_out": {"nl": "Weggelaten rijen", "en": "Rows left out"},
        "pub.report.again": {"nl": "Opnieuw uploaden", "en": "Upload again"},
        "pub.report.download": {
            "nl": "Dit verslag als SHACL-rapport (Turtle) kunt u via de API opvragen.",
            "en": "You can get this report as a SHACL report (Turtle) through the API.",
        },
        "pub.suggestions": {"nl": "Voorgestelde koppelingen", "en": "Suggested links"},
        "pub.suggestions.intro": {
            "nl": "Records die al in Kiemen lijken te staan. Bevestig een koppeling om hem op "
            "te nemen (owl:sameAs of skos:exactMatch), of wijs hem af.",
            "en": "Records that seem to be in Kiemen already. Confirm a link to record it "
            "(owl:sameAs or skos:exactMatch), or reject it.",
        },
        "pub.suggestions.none": {
            "nl": "Geen openstaande voorstellen.",
            "en": "No open suggestions.",
        },
        "pub.yours": {"nl": "Uw record", "en": "Your record"},
        "pub.theirs": {"nl": "In Kiemen", "en": "In Kiemen"},
        "pub.reason": {"nl": "Waarom", "en": "Why"},
        "pub.confirm": {"nl": "Bevestigen", "en": "Confirm"},
        "pub.decision": {"nl": "Beslissing", "en": "Decision"},
        "pub.reject": {"nl": "Afwijzen", "en": "Reject"},
        "pub.property": {"nl": "Soort koppeling", "en": "Kind of link"},
        "pub.versions": {"nl": "Versies", "en": "Versions"},
        "pub.versions.none": {"nl": "Nog niets gepubliceerd.", "en": "Nothing published yet."},
        "pub.version": {"nl": "Versie", "en": "Version"},
        "pub.when": {"nl": "Wanneer", "en": "When"},
        "pub.what": {"nl": "Wat", "en": "What"},
        "pub.triples": {"nl": "Tripels", "en": "Triples"},
        "pub.added": {"nl": "Erbij", "en": "Added"},
        "pub.removed": {"nl": "Eraf", "en": "Removed"},
        "pub.download": {"nl": "Downloaden", "en": "Download"},
        "pub.rollback": {
            "nl": "Teruggaan naar een eerdere versie",
            "en": "Roll back to an earlier version",
        },
        "pub.rollback.help": {
            "nl": "Publiceert de gekozen versie opnieuw, als nieuwste versie.",
            "en": "Publishes the chosen version again, as the newest version.",
        },
        "pub.rollback.go": {"nl": "Teruggaan", "en": "Roll back"},
        "pub.dataset": {"nl": "Dataset", "en": "Dataset"},
        "pub.graph": {"nl": "Graaf", "en": "Graph"},
        "pub.records": {"nl": "Records", "en": "Records"},
        "pub.action.upload": {"nl": "upload", "en": "upload"},
        "pub.action.rollback": {"nl": "teruggang naar versie {n}", "en": "rollback to version {n}"},
        "pub.done": {"nl": "Gedaan", "en": "Done"},
        "pub.not_found": {
            "nl": "Deze uitgever is niet geregistreerd.",
            "en": "This publisher is not registered.",
        },
        "pub.refused": {"nl": "Geweigerd", "en": "Refused"},
        "pub.back": {
            "nl": "Terug naar de pagina van de uitgever",
            "en": "Back to the publisher's page",
        },
    }
)
