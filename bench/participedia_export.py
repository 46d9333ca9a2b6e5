"""Write CSV files exactly as participedia.net's export does, for fixtures and the benchmark.

The format follows Participedia's own exporter, ``api/helpers/create-csv-data-dump.js`` in
https://github.com/participedia/api at commit c40194a71faae8157495a9ff3e9cff850d44b3ba
(json2csv 5.0.7, ``withBOM: true``): a UTF-8 BOM; the column order of ``orderedCaseFields``,
``orderedMethodFields`` and ``orderedOrganizationFields``; every string quoted (quotes doubled),
numbers bare; lines joined by "\\n" with none after the last row; lists (``simpleArrayFields``)
joined with ", " and split again on "," into numbered columns ``field_1`` … ``field_5`` (so a
part keeps its leading space, and a label with commas is cut into pieces), a numbered column
only when some row fills it; a list the database hands over as text (``{a,b}``) goes through
the same splitting; ``featured``, ``ongoing``, ``staff``, ``volunteers`` as 1/0 and
``legality``, ``facilitators``, ``impact_evidence``, ``formal_evaluation`` yes/no as 1/0; dates
as YYYY-MM-DD; rows sorted by id.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

COMMON = [
    "id",
    "type",
    "title",
    "url",
    "description",
    "featured",
    "post_date",
    "updated_date",
    "creator_id",
    "creator_name",
    "creator_profile_url",
    "last_updated_by_id",
    "last_updated_by_name",
    "last_updated_by_profile_url",
    "original_language",
]
LOCATION = [
    "address1",
    "address2",
    "city",
    "province",
    "postal_code",
    "country",
    "latitude",
    "longitude",
]
ORDER = {
    "case": [
        *COMMON,
        *LOCATION,
        "is_component_of_id",
        "is_component_of_title",
        "is_component_of_url",
        "specific_methods_tools_techniques_titles",
        "has_components_titles",
        "general_issues",
        "specific_topics",
        "scope_of_influence",
        "start_date",
        "end_date",
        "ongoing",
        "time_limited",
        "purposes",
        "approaches",
        "public_spectrum",
        "number_of_participants",
        "open_limited",
        "recruitment_method",
        "targeted_participants",
        "method_types",
        "tools_techniques_types",
        "legality",
        "facilitators",
        "facilitator_training",
        "facetoface_online_or_both",
        "participants_interactions",
        "learning_resources",
        "decision_methods",
        "if_voting",
        "insights_outcomes",
        "primary_organizer_id",
        "primary_organizer_title",
        "primary_organizer_url",
        "organizer_types",
        "funder",
        "funder_types",
        "staff",
        "volunteers",
        "impact_evidence",
        "change_types",
        "implementers_of_change",
        "formal_evaluation",
        "body",
        "files_count",
        "links_count",
        "photos_count",
        "videos_count",
        "audio_count",
        "evaluation_reports_count",
        "evaluation_links_count",
        "collections",
    ],
    "method": [
        *COMMON,
        "facilitators",
        "facetoface_online_or_both",
        "public_spectrum",
        "open_limited",
        "recruitment_method",
        "level_polarization",
        "level_complexity",
        "method_types",
        "number_of_participants",
        "scope_of_influence",
        "participants_interactions",
        "decision_methods",
        "if_voting",
        "purpose_method",
        "body",
        "photos_count",
        "files_count",
        "videos_count",
        "links_count",
        "audio_count",
        "collections",
    ],
    "organization": [
        *COMMON,
        *LOCATION,
        "sector",
        "scope_of_influence",
        "type_method",
        "type_tool",
        "specific_topics",
        "general_issues",
        "specific_methods_tools_techniques",
        "body",
        "photos_count",
        "files_count",
        "videos_count",
        "links_count",
        "audio_count",
        "collections",
    ],
}
SIMPLE_ARRAY = [
    "general_issues",
    "specific_topics",
    "implementers_of_change",
    "change_types",
    "funder_types",
    "organizer_types",
    "insights_outcomes",
    "if_voting",
    "decision_methods",
    "learning_resources",
    "participants_interactions",
    "tools_techniques_types",
    "method_types",
    "targeted_participants",
    "approaches",
    "purposes",
    "number_of_participants",
    "scope_of_influence",
    "purpose_method",
    "type_method",
    "type_tool",
]
BOOLEAN = ["featured", "ongoing", "staff", "volunteers"]
YES_NO = ["legality", "facilitators", "impact_evidence", "formal_evaluation"]
COUNTS = {
    "case": [
        "files",
        "links",
        "photos",
        "videos",
        "audio",
        "evaluation_reports",
        "evaluation_links",
    ],
    "method": ["photos", "files", "videos", "links", "audio"],
    "organization": ["photos", "files", "videos", "links", "audio"],
}


def edited(entry: dict[str, Any]) -> dict[str, Any]:
    """One entry as the exporter reorders and flattens it (the columns it fills)."""
    e = dict(entry)
    kind = e["type"]
    e["url"] = f"https://participedia.net/{kind}/{e['id']}"
    for f in BOOLEAN:
        if f in e:
            e[f] = 1 if e[f] else 0
    for f in YES_NO:
        if e.get(f) in ("yes", "no"):
            e[f] = 1 if e[f] == "yes" else 0
    for f in COUNTS[kind]:
        e.setdefault(f"{f}_count", 0)
    for f in ("body", "description", "post_date", "updated_date", "start_date", "end_date"):
        e[f] = e.get(f) or ""  # html-stripped texts and moment-formatted dates: never null
    out: dict[str, Any] = {}
    for f in ORDER[kind]:
        if f in SIMPLE_ARRAY:
            value = e.get(f)
            if value:
                text = ",".join(value) if isinstance(value, list) else str(value)
                for i, part in enumerate(text.replace(",", ", ").split(","), start=1):
                    out[f"{f}_{i}"] = part
        else:
            out[f] = e.get(f)
    return out


def cell(value: Any) -> str:
    """json2csv's rendering of one value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'


def write_export(path: Path, kind: str, entries: Iterable[dict[str, Any]]) -> int:
    """Write ``participedia-data-{kind}s.csv`` as participedia.net does; the rows written."""
    rows = [edited(e) for e in sorted(entries, key=lambda e: int(e["id"]))]
    filled = {k for r in rows for k in r}
    header: list[str] = []
    for f in ORDER[kind]:
        if f in SIMPLE_ARRAY:
            header += [f"{f}_{i}" for i in range(1, 6) if f"{f}_{i}" in filled]
        else:
            header.append(f)
    lines = [",".join(cell(h) for h in header)]
    lines += [",".join(cell(r.get(h)) for h in header) for r in rows]
    path.write_text("\ufeff" + "\n".join(lines), encoding="utf-8")
    return len(rows)


# -- a full export of synthetic but real-format entries, for the benchmark ----------------------

COUNTRIES = [
    ("Nederland", "Amsterdam", 52.37, 4.89),
    ("Italia", "Bologna", 44.49, 11.34),
    ("Deutschland", "Leipzig", 51.34, 12.37),
    ("España", "Madrid", 40.42, -3.70),
    ("Suisse", "Genève", 46.20, 6.14),
    ("Česko", "Brno", 49.19, 16.61),
    ("Polska", "Gdańsk", 54.35, 18.65),
    ("Brasil", "Porto Alegre", -30.03, -51.23),
    ("ישראל", "חיפה", 32.79, 34.99),
    ("United States", "Chicago", 41.88, -87.63),
    ("Canada", "Vancouver", 49.28, -123.12),
    ("India", "Kerala", 10.85, 76.27),
    ("Belgio", "Gent", 51.05, 3.72),
    ("Palestinian Territory", "", 31.95, 35.23),
]
SECTORS = [
    "non_profit_non_gov",
    "higher_ed",
    "for_profit",
    "government",
    "Non-Profit or Non Governmental",
    "Higher Education or Research",
    "Regering",
    "Gobierno",
]
ISSUES = [
    "governance",
    "environment",
    "health",
    "education",
    "economics",
    "planning",
    "social",
    "Arts, Culture, & Recreation",
    "housing",
    "transportation",
]
APPROACHES = ["cogovernance", "consultation", "direct", "coproduction", "protest", "research"]
LANGS = ["en", "nl", "it", "de", "es", "fr", "pt", "zh"]


def synthetic(
    cases: int = 2500, methods: int = 1500, orgs: int = 850, seed: int = 15
) -> dict[str, list[dict[str, Any]]]:
    """Entries with the variety of a real export: every language, keys and labels, links."""
    rnd = random.Random(seed)
    method_ids = list(range(100, 100 + methods))
    org_ids = list(range(5000, 5000 + orgs))
    case_ids = list(range(10000, 10000 + cases))

    def common(kind: str, i: int, title: str) -> dict[str, Any]:
        return {
            "id": i,
            "type": kind,
            "title": title,
            "description": f"{title}: a {kind} documented on Participedia, entry {i}.",
            "featured": rnd.random() < 0.05,
            "post_date": "2018-03-14",
            "updated_date": "2023-11-02",
            "creator_id": 1000 + i % 97,
            "creator_name": f"user{i % 97}",
            "original_language": rnd.choice(LANGS),
            "body": f"Background of {title}. " * rnd.randint(5, 40),
        }

    def where() -> dict[str, Any]:
        country, city, lat, long = rnd.choice(COUNTRIES)
        return {
            "city": city,
            "country": country,
            "latitude": f"{lat + rnd.uniform(-0.05, 0.05):.6f}",
            "longitude": f"{long + rnd.uniform(-0.05, 0.05):.6f}",
        }

    out: dict[str, list[dict[str, Any]]] = {"case": [], "method": [], "organization": []}
    for i in method_ids:
        out["method"].append(
            {
                **common("method", i, f"Method {i}"),
                "facilitators": rnd.choice(["yes", "no"]),
                "public_spectrum": rnd.choice(["inform", "consult", "involve", "collaborate"]),
                "method_types": rnd.sample(["deliberative", "participatory", "collaborative"], 2),
                "scope_of_influence": ["city/town"],
                "purpose_method": ["make", "deliver"],
            }
        )
    for i in org_ids:
        methods_text = (
            "{"
            + ",".join(f'"({m},method,\\"Method {m}\\")"' for m in rnd.sample(method_ids, 2))
            + "}"
        )
        out["organization"].append(
            {
                **common("organization", i, f"Organisation {i}"),
                **where(),
                "sector": rnd.choice(SECTORS),
                "scope_of_influence": ["national"],
                "general_issues": rnd.sample(ISSUES, 2),
                "type_method": "{deliberative,collaborative}",
                "specific_methods_tools_techniques": methods_text,
            }
        )
    for i in case_ids:
        org = rnd.choice(org_ids)
        out["case"].append(
            {
                **common("case", i, f"Case {i}"),
                **where(),
                "specific_methods_tools_techniques_titles": ", ".join(
                    f"Method {m}" for m in rnd.sample(method_ids, 2)
                ),
                "general_issues": rnd.sample(ISSUES, 3),
                "specific_topics": ["budget", "climate"],
                "scope_of_influence": ["city/town"],
                "start_date": "2015-06-01",
                "end_date": rnd.choice(["2016-01-31", None]),
                "ongoing": rnd.random() < 0.3,
                "approaches": rnd.sample(APPROACHES, 2),
                "public_spectrum": rnd.choice(["consult", "involve", "empower"]),
                "number_of_participants": ["medium"],
                "method_types": ["deliberative"],
                "primary_organizer_id": str(org),
                "primary_organizer_title": f"Organisation {org}",
                "primary_organizer_url": f"https://participedia.net/organization/{org}",
                "organizer_types": [rnd.choice(["local", "nongovernmental", "academic"])],
                "funder": f"Fund {i % 40}",
                "funder_types": ["philanthropic"],
                "staff": True,
                "volunteers": rnd.random() < 0.5,
                "impact_evidence": "yes",
            }
        )
    return out


def write_full_export(folder: Path, **sizes: int) -> dict[str, int]:
    """A full export in ``folder``: the three files, with the sizes asked for."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        kind: write_export(folder / f"participedia-data-{kind}s.csv", kind, entries)
        for kind, entries in synthetic(**sizes).items()
    }
