"""Deployment commands: ``kiemen migrate-base`` (and ``kiemen push``, see portal/push.py)."""

from __future__ import annotations

import click

from portal.cli import Context, guarded


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
    from portal.config import check_base
    from portal.rebasing import migrate_base as run

    source, count = run(
        obj.store,
        check_base(old) if old else None,
        say=lambda m: click.echo(m, err=True),
    )
    if count == 0:
        click.echo(f"nothing to rewrite: the store already uses <{obj.settings.base_uri}>")
    else:
        click.echo(f"rewrote {count} quads from <{source}> to <{obj.settings.base_uri}>")


COMMANDS = [migrate_base]
