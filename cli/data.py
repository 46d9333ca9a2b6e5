"""Subcommands on the data: ``load``, ``validate``, ``query``, ``stats``, ``export``."""

from __future__ import annotations

import csv
import gc
import json
import sys
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

import loaders
from cli.base import EXIT_USAGE, Context, echo_warnings, fail, guarded, warn_about_store
from core.statistics import collect
from core.store import graph_iri, solutions_to_rows
from core.tables import neutralise_cell
from core.write.dumps import dumps_dir, write_dumps
from loaders import tabular
from loaders.base import Source
from portal.progress import Progress
from queries import catalogue


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--graph",
    help="Put everything into this one graph: a bare name (graph/NAME under the base) or an "
    "absolute IRI, used as given. Default: each source its own graph; a TriG or N-Quads file "
    "keeps the graphs it names.",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Declarative mapping file for tabular sources.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    help="A value the mapping's [parameters] declare, as NAME=VALUE (repeatable).",
)
@click.option("--format", "fmt", help="Source format when the file name does not tell.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("-v", "--verbose", is_flag=True, help="List every warning, not just their number.")
@click.pass_obj
@guarded
def load(
    obj: Context,
    sources: tuple[str, ...],
    graph: str | None,
    mapping: Path | None,
    params: tuple[str, ...],
    fmt: str | None,
    dry_run: bool,
    verbose: bool,
) -> None:
    """Load SOURCES (files or URLs) each into its own named graph; none: all bundled data.

    Every load is validated with the SHACL shapes before anything is published, and replaces
    its graph atomically: readers see the old graph or the new one, never a mix.
    """
    if graph and len(sources) > 1:
        fail("--graph names one graph: give one source with it", EXIT_USAGE)
    if graph:
        try:
            graph_iri(obj.settings, graph)
        except ValueError as exc:
            fail(f"--graph: {exc}", EXIT_USAGE)
    given = _mapping_parameters(mapping, params)
    if sources:
        options = {"parameters": given} if given else {}
        items = [
            Source(s, graph=graph, mapping=mapping, format=fmt, options=dict(options))
            for s in sources
        ]
    else:
        items = loaders.bundled_sources()
    report = loaders.load(obj.store, items, dry_run=dry_run, meter=Progress())
    echo_warnings(report.warnings, verbose)
    verb = "would load" if dry_run else "loaded"
    for g in report.graphs:
        click.echo(f"{verb} {g.triples} triples from {g.location} into <{g.graph}>")
    if dry_run:
        click.echo("dry run: valid; nothing was written")
    _exit_without_collecting()


def _exit_without_collecting() -> None:
    """Let the process end without the cyclic collector walking what a load left alive.

    A load keeps the offline gazetteer (about a million lists) and other caches until the
    process ends; Python's final collection would walk every one of them once more (1.4-2 s
    of an otherwise finished load). Frozen objects are skipped; the memory goes back to the
    system with the process, as it would anyway.
    """
    gc.freeze()


def _mapping_parameters(mapping: Path | None, params: tuple[str, ...]) -> dict[str, str]:
    """``--param NAME=VALUE`` checked against the mapping's ``[parameters]`` (exit 2 when one
    is missing, unknown or malformed)."""
    given: dict[str, str] = {}
    for item in params:
        if "=" not in item:
            fail(f"--param takes NAME=VALUE, got {item!r}", EXIT_USAGE)
        k, v = item.split("=", 1)
        given[k.strip()] = v
    if mapping is None or mapping.suffix.lower() != ".toml":  # none, or a harvest's query
        if given:
            fail("--param gives values to a table's mapping (--mapping FILE.toml)", EXIT_USAGE)
        return given
    try:
        tabular.read_mapping(mapping).with_parameters(given)
    except tabular.ParameterError as exc:
        fail(f"--param: {exc}", EXIT_USAGE)
    return given


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
@guarded
def validate(obj: Context, files: tuple[Path, ...]) -> None:
    """Validate FILES (or, with none, the bundled data) against the SHACL shapes.

    Reports each violation in plain words with file and line; exit code 1 when any is found.
    """
    items = [Source(str(f)) for f in files] if files else loaders.bundled_sources()
    report = loaders.load(obj.store, items, dry_run=True)
    for p in report.warnings:
        click.echo(f"warning: {p}", err=True)
    click.echo(f"valid: {sum(g.triples for g in report.graphs)} triples checked")


@click.command()
@click.argument("name", required=False)
@click.option("--sparql", "sparql_text", help="Run this SPARQL text instead of a stored query.")
@click.option("-p", "--param", "params", multiple=True, help="Parameter as NAME=VALUE.")
@click.option(
    "--output",
    "out_format",
    type=click.Choice(["table", "json", "csv", "tsv"]),
    default="table",
    show_default=True,
)
@click.option("--list", "list_only", is_flag=True, help="List the stored queries.")
@click.pass_obj
@guarded
def query(
    obj: Context,
    name: str | None,
    sparql_text: str | None,
    params: tuple[str, ...],
    out_format: str,
    list_only: bool,
) -> None:
    """Run the stored query NAME (from queries/) with bound parameters, or --sparql TEXT."""
    if list_only or (not name and not sparql_text):
        for q in catalogue().values():
            args = " ".join(
                f"-p {p.name}=<{p.type}>" if p.required else f"[-p {p.name}=<{p.type}>]"
                for p in q.parameters
            )
            click.echo(f"{q.name}  {args}\n    {q.label('en')} / {q.label('nl')}")
        return
    bound: dict[str, str] = {}
    for item in params:
        if "=" not in item:
            fail(f"--param takes NAME=VALUE, got {item!r}", EXIT_USAGE)
        k, v = item.split("=", 1)
        bound[k] = v
    warn_about_store(obj.store)
    try:
        if sparql_text:
            result = obj.store.query(sparql_text)
        else:
            assert name is not None
            result = obj.store.run(name, bound)
    except SyntaxError as exc:
        fail(f"SPARQL syntax error: {exc}", EXIT_USAGE)
    if isinstance(result, bool) or type(result).__name__ == "QueryBoolean":
        click.echo("true" if bool(result) else "false")
        return
    if not hasattr(result, "variables"):
        sys.stdout.buffer.write(ox.serialize(result, format=ox.RdfFormat.TURTLE) or b"")
        return
    rows = solutions_to_rows(result)
    cols = [v.value for v in result.variables]
    _print_rows(rows, cols, out_format)


def _print_rows(rows: list[dict[str, Any]], cols: list[str], out_format: str) -> None:
    if out_format == "json":
        click.echo(
            json.dumps({"ok": True, "columns": cols, "rows": rows}, ensure_ascii=False, indent=2)
        )
    elif out_format in ("csv", "tsv"):
        writer = csv.writer(sys.stdout, delimiter="," if out_format == "csv" else "\t")
        writer.writerow(cols)
        for r in rows:
            writer.writerow(["" if r[c] is None else neutralise_cell(r[c]) for c in cols])
    else:
        widths = {c: max([len(c)] + [len(str(r[c] or "")) for r in rows]) for c in cols}
        widths = {c: min(w, 60) for c, w in widths.items()}
        click.echo("  ".join(c.ljust(widths[c]) for c in cols))
        click.echo("  ".join("-" * widths[c] for c in cols))
        for r in rows:
            click.echo(
                "  ".join(str(r[c] if r[c] is not None else "")[:60].ljust(widths[c]) for c in cols)
            )
        click.echo(f"({len(rows)} rows)")


@click.command()
@click.option("--output", "out_format", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@guarded
def stats(obj: Context, out_format: str) -> None:
    """Counts by kind, collaboration form, government role, source document and graph."""
    warn_about_store(obj.store)
    data = collect(obj.store)
    if out_format == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for section, rows in data.items():
        click.echo(f"\n{section}")
        for row in rows:
            click.echo(f"  {row['count']:>8}  {row['label']}")


@click.command()
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the dumps (default: <store>/downloads).",
)
@click.pass_obj
@guarded
def export(obj: Context, output_dir: Path | None) -> None:
    """Write dumps: N-Quads and Turtle (gzipped, with SHA-256), CSV per kind.

    The portal serves the default directory under /downloads/. Files are named for the date
    the data were published, so a new load gives a new release beside the old ones.
    """
    target = output_dir or dumps_dir(obj.settings)
    meter = Progress()
    meter.say(f"exporting into {target}")
    with meter.watch_dir(target):
        written = write_dumps(obj.store, target)
    for item in written:
        click.echo(f"{item['file']}  {item['bytes']} bytes  sha256 {item['sha256']}")
    if written:
        click.echo(f"release {written[0]['release']}: {len(written)} files in {target}", err=True)


COMMANDS = [load, validate, query, stats, export]
