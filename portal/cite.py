"""Citations of an initiative record and of the dataset: BibTeX, RIS and CSL-JSON.

An initiative page cites the Kiemen record (a dataset entry with its persistent IRI), the year
of the published generation, and the source documents the record is derived from as a note, so
a reader can go to the passage behind every statement. Every citation names the dataset's
version and release date (:func:`release`): the release of the published generation, the same
name its downloads carry (``kiemen-2026-12-06.nq.gz``), so a citation points at data one can
fetch again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from core.messages import bundled, msg
from core.write.dumps import release_of

PUBLISHER = "Kiemen"
#: The dataset's title in citations (worded in the citation's language).
DATASET_TITLE = msg("cite.dataset.title")
FORMATS = {
    "bib": ("application/x-bibtex", "bibtex"),
    "ris": ("application/x-research-info-systems", "ris"),
    "json": ("application/vnd.citationstyles.csl+json", "csl"),
}


def dataset_title(lang: str) -> str:
    """The dataset's title as a citation in ``lang`` names it."""
    return bundled().render(DATASET_TITLE, lang)


@dataclass
class Citable:
    """What a citation needs, whatever the format."""

    key: str
    title: str
    url: str
    year: str
    accessed: dt.date
    kind: str = "dataset"  # "dataset" for the whole graph, "entry" for one record
    container: str = ""
    notes: list[str] = field(default_factory=list)
    language: str = "nl"
    version: str = ""  # the dataset's release (see release())
    released: str = ""  # its date, YYYY-MM-DD


def release(generation: str | None) -> tuple[str, str]:
    """(version, release date) of the dataset as published in ``generation``.

    The version is the release name of the dumps (the UTC date of the generation), so the
    citation and the downloads agree."""
    name = release_of(generation)
    return name, name


def cite_key(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "", text.lower())[:30]
    return slug or "kiemen"


def _bib_escape(text: str) -> str:
    return re.sub(r"([{}%&$#_])", r"\\\1", text)


def bibtex(c: Citable) -> str:
    fields = [
        ("title", "{" + _bib_escape(c.title) + "}"),
        ("author", "{" + PUBLISHER + "}"),
        ("publisher", "{" + PUBLISHER + "}"),
        ("year", "{" + c.year + "}"),
        ("url", "{" + c.url + "}"),
        ("urldate", "{" + c.accessed.isoformat() + "}"),
        ("language", "{" + c.language + "}"),
    ]
    if c.version:
        fields.append(("version", "{" + _bib_escape(c.version) + "}"))
    if c.released:
        fields.append(("date", "{" + c.released + "}"))
    if c.container:
        fields.insert(1, ("howpublished", "{" + _bib_escape(c.container) + "}"))
    if c.notes:
        fields.append(("note", "{" + _bib_escape("; ".join(c.notes)) + "}"))
    entry = "dataset" if c.kind == "dataset" else "misc"
    body = ",\n".join(f"  {k} = {v}" for k, v in fields)
    return f"@{entry}{{{c.key},\n{body}\n}}\n"


def ris(c: Citable) -> str:
    lines = [
        ("TY", "DATA" if c.kind == "dataset" else "DBASE"),
        ("TI", c.title),
        ("AU", PUBLISHER),
        ("PB", PUBLISHER),
        ("PY", c.year),
        ("UR", c.url),
        ("Y2", c.accessed.isoformat()),
        ("LA", c.language),
    ]
    if c.version:
        lines.append(("ET", c.version))
    if c.released:
        lines.append(("DA", c.released.replace("-", "/")))
    if c.container:
        lines.insert(2, ("T2", c.container))
    for note in c.notes:
        lines.append(("N1", note))
    lines.append(("ER", ""))
    return "".join(f"{k}  - {v}\r\n" for k, v in lines)


def csl(c: Citable) -> str:
    item: dict[str, object] = {
        "id": c.key,
        "type": "dataset",
        "title": c.title,
        "author": [{"literal": PUBLISHER}],
        "publisher": PUBLISHER,
        "issued": {"date-parts": [[int(c.year)]]} if c.year.isdigit() else {"literal": c.year},
        "URL": c.url,
        "accessed": {"date-parts": [[c.accessed.year, c.accessed.month, c.accessed.day]]},
        "language": c.language,
    }
    if c.version:
        item["version"] = c.version
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", c.released):
        year, month, day = (int(x) for x in c.released.split("-"))
        item["issued"] = {"date-parts": [[year, month, day]]}
    if c.container:
        item["container-title"] = c.container
    if c.notes:
        item["note"] = "; ".join(c.notes)
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


def text(c: Citable) -> str:
    """A plain reference in the manner of APA, for copying."""
    inside = f" In {c.container}." if c.container else ""
    version = f" (version {c.version})" if c.version else ""
    return f"{PUBLISHER} ({c.year}). {c.title}{version} [Dataset].{inside} {c.url}"


def render(c: Citable, fmt: str) -> str:
    if fmt == "bib":
        return bibtex(c)
    if fmt == "ris":
        return ris(c)
    if fmt == "json":
        return csl(c)
    raise KeyError(fmt)


def generation_year(generation: str | None) -> str:
    """The year a generation was published (its name holds the time in nanoseconds)."""
    if generation:
        digits = re.sub(r"\D", "", generation)
        if digits:
            try:
                return str(dt.datetime.fromtimestamp(int(digits) / 1e9, dt.UTC).year)
            except (OverflowError, ValueError, OSError):
                pass
    return str(dt.date.today().year)
