"""The ``kiemen`` command.

Exit codes are a promise: 0 ok, 1 data problems found, 2 usage or environment error.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from core.config import ConfigError, Settings
from core.store import KiemenStore, StoreError
from core.tables import neutralise_cell

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._store: KiemenStore | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    @property
    def store(self) -> KiemenStore:
        if self._store is None:
            self._store = KiemenStore(self.settings)
        return self._store


def _echo_warnings(warnings: list[Any], verbose: bool) -> None:
    """Warnings are advice: list them with --verbose, otherwise just say how many."""
    if verbose:
        for p in warnings:
            click.echo(f"warning: {p}", err=True)
    elif warnings:
        click.echo(f"{len(warnings)} warning(s) (advice); list them with --verbose", err=True)


def _warn_about_store(kstore: KiemenStore) -> None:
    """Say so when reads would silently find nothing (another canonical base, an empty store)."""
    for text in kstore.warnings():
        click.echo(f"warning: {text}", err=True)


def fail(message: str, code: int) -> None:
    click.echo(f"kiemen: {message}", err=True)
    sys.exit(code)


def guarded(fn: F) -> F:
    """Turn known failures into clear messages and the promised exit codes."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from loaders.base import LoadError
        from queries import QueryParameterError

        try:
            return fn(*args, **kwargs)
        except LoadError as exc:
            errors = [p for p in exc.problems if p.severity == "error"]
            for p in errors:
                click.echo(f"error: {p}", err=True)
            _echo_warnings([p for p in exc.problems if p.severity != "error"], verbose=False)
            fail(
                f"{len(errors)} problem(s) found; nothing was written, the store is as it was",
                EXIT_DATA,
            )
        except (ConfigError, StoreError) as exc:
            fail(str(exc), EXIT_USAGE)
        except QueryParameterError as exc:
            fail(str(exc), EXIT_USAGE)
        except KeyError as exc:
            fail(str(exc.args[0]) if exc.args else str(exc), EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kiemen")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Kiemen: a knowledge graph of social innovation.

    The store is KIEMEN_STORE (default var/kiemen.oxigraph); IRIs are minted under
    KIEMEN_BASE_URI. Exit codes: 0 ok, 1 data problems, 2 usage or environment error.
    """
    ctx.obj = Context()


@main.command()
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
    fmt: str | None,
    dry_run: bool,
    verbose: bool,
) -> None:
    """Load SOURCES (files or URLs) each into its own named graph; none: all bundled data.

    Every load is validated with the SHACL shapes before anything is published, and replaces
    its graph atomically: readers see the old graph or the new one, never a mix.
    """
    import loaders
    from loaders.base import Source

    if graph and len(sources) > 1:
        fail("--graph names one graph: give one source with it", EXIT_USAGE)
    if graph:
        from core.store import graph_iri

        try:
            graph_iri(obj.settings, graph)
        except ValueError as exc:
            fail(f"--graph: {exc}", EXIT_USAGE)
    if sources:
        items = [Source(s, graph=graph, mapping=mapping, format=fmt) for s in sources]
    else:
        items = loaders.bundled_sources()
    from portal.progress import Progress

    report = loaders.load(obj.store, items, dry_run=dry_run, meter=Progress())
    _echo_warnings(report.warnings, verbose)
    verb = "would load" if dry_run else "loaded"
    for g in report.graphs:
        click.echo(f"{verb} {g.triples} triples from {g.location} into <{g.graph}>")
    if dry_run:
        click.echo("dry run: valid; nothing was written")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
@guarded
def validate(obj: Context, files: tuple[Path, ...]) -> None:
    """Validate FILES (or, with none, the bundled data) against the SHACL shapes.

    Reports each violation in plain words with file and line; exit code 1 when any is found.
    """
    import loaders
    from loaders.base import Source

    items = [Source(str(f)) for f in files] if files else loaders.bundled_sources()
    report = loaders.load(obj.store, items, dry_run=True)
    for p in report.warnings:
        click.echo(f"warning: {p}", err=True)
    click.echo(f"valid: {sum(g.triples for g in report.graphs)} triples checked")


def raise_open_files(wanted: int) -> None:
    """Lift the soft limit on open files so that ``max_connections`` sockets fit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@main.command()
@click.option("--host", default=None, help="Interface to listen on (KIEMEN_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (KIEMEN_PORT, 5000).")
@click.option(
    "--threads",
    type=int,
    default=32,
    show_default=True,
    help="Request threads; a request waiting for a query worker holds one.",
)
@click.pass_obj
@guarded
def serve(obj: Context, host: str | None, port: int | None, threads: int) -> None:
    """Serve the portal, the SPARQL endpoint and the linked data with waitress."""
    from waitress import serve as waitress_serve

    from portal import create_app

    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = Settings.from_env(**overrides)
    raise_open_files(settings.max_connections + 256)
    app = create_app(settings)
    _warn_about_store(KiemenStore(settings))
    # Dumps of the loaded data are written in the background (not waited for); see dumps.py.
    from os import environ

    app.config["KIEMEN_AUTO_DUMPS"] = environ.get("KIEMEN_AUTO_DUMPS", "1") != "0"
    if app.config["KIEMEN_AUTO_DUMPS"] and "kiemen_dumps_start" in app.extensions:
        app.extensions["kiemen_dumps_start"]()
    click.echo(f"Kiemen serving on http://{settings.host}:{settings.port}/", err=True)
    # X-Forwarded-* reach the app, where portal/proxy.py (ProxyFix) turns them into correct
    # absolute URLs; waitress would otherwise drop X-Forwarded-Proto and -Host on its own.
    waitress_serve(
        app,
        host=settings.host,
        port=settings.port,
        threads=threads,
        ident="kiemen",
        clear_untrusted_proxy_headers=False,
        # Refuse giant bodies while reading them instead of buffering up to 1 GB; bodies just
        # over the limit still reach the app, which answers 413 in the format asked for.
        max_request_body_size=2 * settings.max_body_bytes + (1 << 20),
        # Slow and idle clients: many cheap sockets, each closed after channel_timeout seconds
        # without progress, so a few hundred idle connections never lock other clients out.
        connection_limit=settings.max_connections,
        channel_timeout=settings.channel_timeout,
        cleanup_interval=max(1, min(10, settings.channel_timeout // 3)),
        max_request_header_size=settings.max_query_bytes * 3 + 16 * 1024,
    )


@main.command()
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
    from core.store import solutions_to_rows
    from queries import catalogue

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
    _warn_about_store(obj.store)
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
        import pyoxigraph as ox

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


@main.command()
@click.option("--output", "out_format", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@guarded
def stats(obj: Context, out_format: str) -> None:
    """Counts by kind, collaboration form, government role, source document and graph."""
    from core.statistics import collect

    _warn_about_store(obj.store)
    data = collect(obj.store)
    if out_format == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for section, rows in data.items():
        click.echo(f"\n{section}")
        for row in rows:
            click.echo(f"  {row['count']:>8}  {row['label']}")


@main.command()
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
    from portal.dumps import dumps_dir, write_dumps
    from portal.progress import Progress

    target = output_dir or dumps_dir(obj.settings)
    meter = Progress()
    meter.say(f"exporting into {target}")
    with meter.watch_dir(target):
        written = write_dumps(obj.store, target)
    for item in written:
        click.echo(f"{item['file']}  {item['bytes']} bytes  sha256 {item['sha256']}")
    if written:
        click.echo(f"release {written[0]['release']}: {len(written)} files in {target}", err=True)


def _add_feature_commands() -> None:
    """Subcommands that belong to a feature live in that feature's module (``cli_*.py``); they
    are listed here, so a missing module is an error rather than a command silently gone."""
    from portal import cli_backup, cli_deploy, cli_publishers, cli_tokens

    for module in (cli_tokens, cli_publishers, cli_deploy, cli_backup):
        for command in module.COMMANDS:
            main.add_command(command)


if __name__ == "__main__":  # pragma: no cover - python -m portal.cli
    # Run the imported module's group, so the feature modules (which import portal.cli) see
    # one module with every command, not this __main__ copy.
    from portal.cli import main as imported_main

    imported_main()
else:
    _add_feature_commands()
