"""The template files a publisher downloads: the empty CSV and Excel templates, the filled-in
example and the column documentation, all written from the specification in
:mod:`publishing.template` (``python -m publishing.template_files`` refreshes ``data/templates/``).
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from core.messages import bundled, msg
from publishing.template import TABLES


def example_rows() -> dict[str, list[dict[str, str]]]:
    """The filled-in example: Gemeente Utrecht's (invented) list of local initiatives."""
    return {
        "initiatives": [
            {
                "id": "UTR-2021-014",
                "name_nl": "Buurtmoestuin De Kweekbak",
                "name_en": "De Kweekbak community garden",
                "description_nl": "Bewoners beheren samen een moestuin op een braakliggend "
                "terrein; de gemeente stelt de grond beschikbaar.",
                "description_en": "Residents jointly run a vegetable garden on a vacant lot "
                "that the municipality lends them.",
                "form": "civic-initiative",
                "theme": "food; liveability-and-neighbourhood",
                "municipality_code": "GM0344",
                "homepage": "https://www.example.org/kweekbak",
                "start_date": "2021-04",
                "end_date": "",
            },
            {
                "id": "UTR-2022-003",
                "name_nl": "Overvecht-De Gagel vernieuwt",
                "name_en": "",
                "description_nl": "Wijkplatform waarop bewoners meedenken over de vernieuwing "
                "van hun wijk.",
                "description_en": "Neighbourhood platform where residents help shape the renewal "
                "of their district.",
                "form": "public-participation; co-creation",
                "theme": "spatial-planning",
                "municipality_code": "GM0344",
                "homepage": "http://www.overvechtdegagelvernieuwt.nl",
                "start_date": "2010",
                "end_date": "",
            },
            {
                "id": "UTR-2023-027",
                "name_nl": "Energiecoöperatie Zonnedak Lombok",
                "name_en": "Zonnedak Lombok energy cooperative",
                "description_nl": "Buurtbewoners leggen samen zonnepanelen op daken van scholen; "
                "de gemeente gaf een startsubsidie.",
                "description_en": "Neighbours jointly install solar panels on school roofs; the "
                "municipality gave a start-up grant.",
                "form": "social-entrepreneurship; civic-initiative",
                "theme": "energy",
                "municipality_code": "",
                "homepage": "",
                "start_date": "2023-02-01",
                "end_date": "",
            },
        ],
        "actors": [
            {
                "id": "ORG-GEM",
                "name_nl": "Gemeente Utrecht",
                "name_en": "Municipality of Utrecht",
                "actor_type": "municipal-government",
                "homepage": "https://www.utrecht.nl",
                "municipality_code": "GM0344",
                "description_nl": "",
                "description_en": "",
            },
            {
                "id": "ORG-017",
                "name_nl": "Stichting De Kweekbak",
                "name_en": "",
                "actor_type": "foundation",
                "homepage": "",
                "municipality_code": "GM0344",
                "description_nl": "Stichting van bewoners die de moestuin beheert.",
                "description_en": "Residents' foundation that runs the garden.",
            },
            {
                "id": "ORG-021",
                "name_nl": "Energiecoöperatie Zonnedak Lombok U.A.",
                "name_en": "",
                "actor_type": "citizens-collective",
                "homepage": "",
                "municipality_code": "",
                "description_nl": "",
                "description_en": "",
            },
        ],
        "roles": [
            {
                "initiative_id": "UTR-2021-014",
                "actor_id": "ORG-017",
                "role": "initiator; organiser",
                "start_date": "2021-04",
                "end_date": "",
                "comment_nl": "",
                "comment_en": "",
            },
            {
                "initiative_id": "UTR-2021-014",
                "actor_id": "ORG-GEM",
                "role": "facilitating; host",
                "start_date": "",
                "end_date": "",
                "comment_nl": "De gemeente leent de grond uit.",
                "comment_en": "The municipality lends the land.",
            },
            {
                "initiative_id": "UTR-2022-003",
                "actor_id": "ORG-GEM",
                "role": "directing",
                "start_date": "",
                "end_date": "",
                "comment_nl": "",
                "comment_en": "",
            },
            {
                "initiative_id": "UTR-2023-027",
                "actor_id": "ORG-021",
                "role": "initiator",
                "start_date": "2023-02-01",
                "end_date": "",
                "comment_nl": "",
                "comment_en": "",
            },
            {
                "initiative_id": "UTR-2023-027",
                "actor_id": "ORG-GEM",
                "role": "funder",
                "start_date": "2023",
                "end_date": "2023",
                "comment_nl": "Startsubsidie van 15.000 euro.",
                "comment_en": "Start-up grant of 15,000 euros.",
            },
        ],
    }


def csv_bytes(table: str, rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    names = TABLES[table].column_names
    writer.writerow(names)
    for r in rows:
        writer.writerow([r.get(n, "") for n in names])
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(rows: dict[str, list[dict[str, str]]] | None = None) -> bytes:
    """The Excel template (empty tables) or, with ``rows``, a filled-in workbook."""

    wb = Workbook()
    help_sheet = wb.active
    assert help_sheet is not None
    help_sheet.title = "toelichting"
    help_sheet.append(["Kiemen — publicatiesjabloon / publishing template"])
    help_sheet.append([])
    help_sheet.append(
        [
            "tabel / table",
            "kolom / column",
            "verplicht / required",
            "Nederlands",
            "English",
            "voorbeeld / example",
        ]
    )
    words = bundled()
    for spec in TABLES.values():
        for col in spec.columns:
            help_sheet.append(
                [
                    spec.name,
                    col.name,
                    "ja / yes" if col.required else "nee / no",
                    words.render(col.doc, "nl"),
                    words.render(col.doc, "en"),
                    col.example,
                ]
            )
    help_sheet["A1"].font = Font(bold=True)
    for spec in TABLES.values():
        ws = wb.create_sheet(spec.name)
        ws.append(spec.column_names)
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = Font(bold=True)
            doc = words.both(col.doc)
            cell.comment = Comment(f"{doc['nl']}\n\n{doc['en']}", "Kiemen")
            ws.column_dimensions[cell.column_letter].width = max(14, len(col.name) + 4)
        ws.freeze_panes = "A2"
        for r in (rows or {}).get(spec.name, []):
            ws.append([r.get(n, "") or None for n in spec.column_names])
        # every cell is text: Excel must not turn ids or codes into numbers or dates
        for column in ws.iter_cols(min_row=1, max_row=max(ws.max_row, 200)):
            for cell in column:
                cell.number_format = "@"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def templates_dir() -> Path:

    return Path(str(resources.files("kiemen_data"))) / "templates"


def readme_text() -> str:
    """The column documentation of ``data/templates/README.md``, in Dutch and in English."""
    words = bundled()
    intro = words.both(msg("template.readme.intro"))
    lines = [
        "# Kiemen publicatiesjabloon / publishing template",
        "",
        "<!-- Generated by `python -m publishing.template_files` from publishing/template.py;",
        "     edit the specification there, not this file. -->",
        "",
        f"**Nederlands.** {intro['nl']}",
        "",
        f"**English.** {intro['en']}",
        "",
        "Files: `kiemen-template.xlsx`, `initiatives.csv`, `actors.csv`, `roles.csv` (empty "
        "templates), `example/` (a filled-in example for Gemeente Utrecht, GM0344; its "
        "records are invented for illustration) and `template.mapping.toml` (the RDF each row "
        "becomes: the mapping an upload runs, which `kiemen load --mapping` runs as well). "
        "The allowed values of the coded columns "
        "(forms of collaboration, themes, actor types, roles, municipality codes) are listed at "
        "`/publish/template` on every Kiemen portal.",
        "",
    ]
    for spec in TABLES.values():
        about = words.both(spec.doc)
        lines += [f"## `{spec.name}` ({spec.aliases[0]})", "", about["nl"], "", about["en"], ""]
        lines += [
            "| kolom / column | verplicht / required | Nederlands | English "
            "| voorbeeld / example |",
            "|---|---|---|---|---|",
        ]
        for col in spec.columns:
            example = f"`{col.example}`" if col.example else ""
            required = "ja / yes" if col.required else "nee / no"
            doc = words.both(col.doc)
            lines.append(f"| `{col.name}` | {required} | {doc['nl']} | {doc['en']} | {example} |")
        lines.append("")
    return "\n".join(lines)


def write_template_files(target: Path | None = None) -> list[Path]:
    """(Re)write the template and the filled-in example in ``data/templates/``."""
    target = target or templates_dir()
    (target / "example").mkdir(parents=True, exist_ok=True)
    written = []
    example = example_rows()
    for name in TABLES:
        path = target / f"{name}.csv"
        path.write_bytes(csv_bytes(name, []))
        written.append(path)
        path = target / "example" / f"{name}.csv"
        path.write_bytes(csv_bytes(name, example[name]))
        written.append(path)
    path = target / "README.md"
    path.write_text(readme_text(), encoding="utf-8")
    written.append(path)
    path = target / "kiemen-template.xlsx"
    path.write_bytes(xlsx_bytes())
    written.append(path)
    path = target / "example" / "kiemen-example.xlsx"
    path.write_bytes(xlsx_bytes(example))
    written.append(path)
    return written


if __name__ == "__main__":  # python -m publishing.template_files: refresh data/templates/
    for p in write_template_files():
        print(p)
