"""The template's rows as records, made by the tabular engine with the bundled mapping.

``data/templates/template.mapping.toml`` says what RDF each row of the template becomes; the
same mapping loads the template's files with ``kiemen load --mapping`` (README, "Loading your
own table"). Here the rows that met the template's cell rules (:mod:`publishing.template`) run
through it with the publisher's parameters; each row's first thing is a record (initiative,
organisation, involvement), its other things (the register's section) go with it, and the
register (a ``once`` thing) and the places a publisher describes are shared support nodes.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pyoxigraph as ox

from core.config import Settings
from core.messages import msg
from core.problems import Problem
from core.store import KiemenStore
from loaders.tabular import Mapping, RowMapper, read_mapping
from loaders.tabular import Row as TableRow
from publishing.publishers import Publisher
from publishing.records import (
    Build,
    Record,
    add_place,
    existing_places,
    place,
    rebased,
    register_iri,
    value,
)
from publishing.template import TABLES, CheckedRow, Issue, error
from publishing.template_files import templates_dir

#: The kind of record each table's rows are.
KINDS = {"initiatives": "initiative", "actors": "actor", "roles": "involvement"}


@functools.cache
def _mapping(path: Path) -> Mapping:
    return read_mapping(path)


def template_mapping() -> Mapping:
    """The bundled mapping of the upload template."""
    return _mapping(templates_dir() / "template.mapping.toml")


def parameters(publisher: Publisher, year: int | None = None) -> dict[str, str]:
    """The mapping's parameters for ``publisher``: code, name, agent, the register's year."""
    return {
        "publisher": publisher.code,
        "name": publisher.name,
        "agent": publisher.agent,
        "year": str(year or dt.date.today().year),
    }


def cells(c: CheckedRow) -> dict[str, str]:
    """A checked row's cells as the mapping reads them: the cleaned values (names with their
    spaces folded, concepts by code, dates in ISO form, the municipality as its CBS code)."""
    out = dict.fromkeys(TABLES[c.row.table].column_names, "")
    for name, cleaned in c.values.items():
        if isinstance(cleaned, list):
            out[name] = "; ".join(concept.slug for concept in cleaned)
        elif hasattr(cleaned, "code"):
            out[name] = str(cleaned.code)
        else:
            out[name] = str(cleaned)
    return out


def register_triples(publisher: Publisher, settings: Settings) -> list[ox.Triple]:
    """The publisher's register as the mapping describes it (its ``once`` thing)."""
    mapping = template_mapping().with_parameters(parameters(publisher))
    mapper = RowMapper(mapping.for_file(Path("initiatives.csv")), settings, None, "register")
    return [tr for thing, trs in mapper.row_things(TableRow(1, {}), []) if thing.once for tr in trs]


def build_records(
    checked: dict[str, list[CheckedRow]], publisher: Publisher, kstore: KiemenStore
) -> tuple[Build, list[Issue]]:
    """RDF for every row that met the template's rules, and any problem the engine found."""
    settings = kstore.settings
    mapping = template_mapping().with_parameters(parameters(publisher))
    store = kstore.reader()
    # every key the rows name (the template's rules have checked the references)
    keys: dict[str, set[str] | None] = {
        "initiatives": {str(c.values.get("id", "")) for c in checked.get("initiatives", [])},
        "actors": {str(c.values.get("id", "")) for c in checked.get("actors", [])},
    }
    for c in checked.get("roles", []):
        if c.ok:
            for column, table in (("initiative_id", "initiatives"), ("actor_id", "actors")):
                target = keys[table]
                assert target is not None
                target.add(str(c.values.get(column, "")))
    build = Build()
    build.support[register_iri(publisher, settings)] = register_triples(publisher, settings)
    issues: list[Issue] = []
    ctx = _Context(build, publisher, settings, existing_places(kstore))
    for table in KINDS:
        mapper = RowMapper(
            mapping.for_file(Path(f"{table}.csv")), settings, store, table, keys=keys
        )
        for c in checked.get(table, []):
            if c.ok:
                rec = _record(ctx, mapper, table, c, issues)
                if rec is not None:
                    build.records.append(rec)
    return rebased(build, settings, records=False), issues  # the engine wrote ours


class _Context:
    """What turning rows into records needs besides the rows."""

    def __init__(
        self, build: Build, publisher: Publisher, settings: Settings, places: dict[str, str]
    ) -> None:
        self.build, self.publisher, self.settings, self.places = build, publisher, settings, places
        self.ns = publisher.id_ns(settings)


def _record(
    ctx: _Context, mapper: RowMapper, table: str, c: CheckedRow, issues: list[Issue]
) -> Record | None:
    problems: list[Problem] = []
    things = list(mapper.row_things(TableRow(c.row.number, cells(c)), problems))
    if problems:
        issues += [_issue(p, c) for p in problems]
        c.ok = False
        return None
    own = [(thing, trs) for thing, trs in things if not thing.once and trs]
    key = value(own[0][1][0].subject)
    ident = key.rsplit("/", 1)[-1]
    v = c.values
    rec = Record(key, KINDS[table], table, c.row.file, c.row.number, ident, [])
    for _thing, trs in own:
        rec.triples += trs
    if table != "roles":
        rec.labels = {"nl": v["name_nl"], "en": v.get("name_en") or v["name_nl"]}
        rec.homepage = v.get("homepage", "")
    sections = ctx.ns + "register/"
    rec.refs = {
        tr.object.value
        for tr in rec.triples
        if isinstance(tr.object, ox.NamedNode)
        and tr.object.value.startswith(ctx.ns)
        and not tr.object.value.startswith(sections)
    }
    body = v.get("municipality_code")
    if body is not None:
        rec.codes = (body.code,)
        iri = place(ctx.build, body, ctx.places, ctx.publisher, ctx.settings)
        add_place(ctx.build, rec, iri)
    return rec


def _issue(p: Problem, c: CheckedRow) -> Issue:
    """A problem the engine found in a row the template's rules let through."""
    return error(
        msg("upload.error.mapping", problem=p.message),
        file=c.row.file,
        table=c.row.table,
        row=c.row.number,
        column=p.field or "",
        rule=p.rule,
    )
