"""``kiemen token``: bearer tokens for writing named graphs over HTTP (SPARQL Update, GSP)."""

from __future__ import annotations

import json

import click

from cli.base import EXIT_USAGE, Context, fail, guarded
from core.tokens import DEFAULT_NAME, TokenError, TokenStore


@click.group("token")
def token() -> None:
    """Make, list and revoke write tokens (stored hashed in <store>/tokens.sqlite3)."""


@token.command("create")
@click.option(
    "--graph",
    "graphs",
    multiple=True,
    required=True,
    help="A graph the token may write: a name (→ <base>graph/NAME), an IRI, "
    f"'{DEFAULT_NAME}' for the store's default graph, or a prefix ending in '*'. Repeatable.",
)
@click.option("--note", default="", help="Who or what the token is for.")
@click.pass_obj
@guarded
def create(obj: Context, graphs: tuple[str, ...], note: str) -> None:
    """Make a token; it is printed once and cannot be shown again."""
    try:
        secret, info = TokenStore(obj.settings).create(graphs, note)
    except TokenError as exc:
        fail(str(exc), EXIT_USAGE)
        return
    click.echo(secret)
    click.echo(
        f"token {info.id} may write: " + ", ".join(g or "the default graph" for g in info.graphs),
        err=True,
    )
    click.echo("Send it as 'Authorization: Bearer <token>'. It is not shown again.", err=True)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@guarded
def list_tokens(obj: Context, as_json: bool) -> None:
    """List tokens (ids, graphs, dates; never the tokens themselves)."""
    items = TokenStore(obj.settings).list()
    if as_json:
        click.echo(json.dumps([info.__dict__ for info in items], indent=2))
        return
    for info in items:
        state = f"revoked {info.revoked}" if info.revoked else "active"
        graphs = ", ".join(g or DEFAULT_NAME for g in info.graphs)
        note = f"  ({info.note})" if info.note else ""
        click.echo(f"{info.id}  {state:28}  created {info.created}  {graphs}{note}")


@token.command("revoke")
@click.argument("token_id")
@click.pass_obj
@guarded
def revoke(obj: Context, token_id: str) -> None:
    """Revoke the token with id TOKEN_ID (from `kiemen token list`)."""
    try:
        info = TokenStore(obj.settings).revoke(token_id)
    except TokenError as exc:
        fail(str(exc), EXIT_USAGE)
        return
    click.echo(f"revoked {info.id}")


COMMANDS = [token]
