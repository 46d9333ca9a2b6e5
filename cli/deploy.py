"""Deployment commands: ``kiemen migrate-base`` and ``kiemen push`` (see portal/push.py)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.base import EXIT_USAGE, Context, fail, guarded
from core.config import check_base
from portal.push import Target, push
from portal.rebasing import migrate_base as run
from portal.replicas import ship


@click.command("migrate-base")
@click.option(
    "--from",
    "old",
    default=None,
    help="The base to rewrite (default: the one the store was made with).",
)
@click.pass_obj
@guarded
def migrate_base(obj: Context, old: str | None) -> None:
    """Rewrite the store's IRIs from its old canonical base to KIEMEN_BASE_URI, once.

    Writers refuse a store made under another base; this is the explicit way to carry it over.
    Every IRI that starts with the old base is rewritten in a new generation, then published.
    """

    source, count = run(
        obj.store,
        check_base(old) if old else None,
        say=lambda m: click.echo(m, err=True),
    )
    if count == 0:
        click.echo(f"nothing to rewrite: the store already uses <{obj.settings.base_uri}>")
    else:
        click.echo(f"rewrote {count} quads from <{source}> to <{obj.settings.base_uri}>")


@click.command("push")
@click.argument("store_url")
@click.option(
    "--graph",
    "graphs",
    multiple=True,
    help="Push only this named graph (an IRI; repeat for more). Default: every graph.",
)
@click.option(
    "--graph-param",
    default="graph",
    show_default=True,
    help="Query parameter naming the graph (Virtuoso's /sparql-graph-crud uses graph-uri).",
)
@click.option("--user", default=None, help="User name for HTTP authentication.")
@click.option(
    "--digest", is_flag=True, help="HTTP Digest instead of Basic authentication (Virtuoso)."
)
@click.option(
    "--timeout",
    type=float,
    default=600.0,
    show_default=True,
    help="Seconds one graph may take to upload.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing.")
@click.pass_obj
@guarded
def push_command(
    obj: Context,
    store_url: str,
    graphs: tuple[str, ...],
    graph_param: str,
    user: str | None,
    digest: bool,
    timeout: float,
    dry_run: bool,
) -> None:
    """Send every named graph, provenance included, to a SPARQL 1.1 Graph Store at STORE_URL.

    Each graph replaces its namesake on the server (HTTP PUT ?graph=IRI, N-Triples); the
    provenance graph goes last. The password comes from KIEMEN_PUSH_PASSWORD, a bearer token
    from KIEMEN_PUSH_TOKEN (never on the command line, where other users could read it).
    """

    if not store_url.startswith(("http://", "https://")):
        fail(f"STORE_URL must be an http(s) URL, got {store_url!r}", EXIT_USAGE)
    target = Target(
        url=store_url,
        graph_param=graph_param,
        token=os.environ.get("KIEMEN_PUSH_TOKEN") or None,
        user=user,
        password=os.environ.get("KIEMEN_PUSH_PASSWORD"),
        digest=digest,
        timeout=timeout,
    )
    for text in obj.store.warnings():
        click.echo(f"warning: {text}", err=True)
    done = push(
        obj.store,
        target,
        list(graphs) or None,
        dry_run=dry_run,
        say=lambda m: click.echo(m, err=True),
    )
    verb = "would push" if dry_run else "pushed"
    for item in done:
        click.echo(f"{verb} {item.triples} triples ({item.bytes} bytes) into <{item.graph}>")
    total = sum(item.triples for item in done)
    click.echo(f"{verb} {len(done)} graphs, {total} triples to {store_url}", err=True)


@click.command("ship")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
@guarded
def ship_command(obj: Context, dest: Path) -> None:
    """Give the replica store directory DEST this store's published generation.

    The generation is copied under a temporary name, renamed, and made current with one atomic
    rename: a `kiemen serve` on DEST switches to it without dropping a request. For another
    machine, mount DEST or follow the same three steps with rsync (README, "Deploying").
    """

    name, copied = ship(obj.store, dest)
    verb = "shipped" if copied else "already there; made current"
    click.echo(f"{name}: {verb} in {dest}")


COMMANDS = [migrate_base, push_command, ship_command]
