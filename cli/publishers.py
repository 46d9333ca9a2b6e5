"""``kiemen publisher``: register governments that publish their own data, and issue tokens."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from cli.base import EXIT_DATA, EXIT_USAGE, Context, fail, guarded
from publishing.publishers import LICENCES, PublisherError, Registry
from publishing.versions import audit_log


@click.group("publisher")
def publisher() -> None:
    """Publishers: municipalities and provinces that publish their own data (see /publish)."""


def _expiry(expires: str | None, days: float | None) -> dt.datetime | None:
    if expires and days is not None:
        fail("give --expires or --valid-days, not both", EXIT_USAGE)
    if days is not None:
        return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    if not expires:
        return None
    try:
        when = dt.datetime.fromisoformat(expires)
    except ValueError:
        fail(f"--expires takes an ISO 8601 date or time, got {expires!r}", EXIT_USAGE)
        raise  # unreachable: fail exits
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


def _show_token(secret: str, code: str, token_id: str, expiry: dt.datetime | None) -> None:
    click.echo(secret)
    until = f", valid until {expiry.isoformat(timespec='seconds')}" if expiry else ""
    click.echo(
        f"token {token_id} of {code} may write graph/publishers/{code}/…{until}. "
        "It is shown once: hand it to the publisher's data officer.",
        err=True,
    )


@publisher.command("add")
@click.argument("code")
@click.option("--name", help="Display name; default 'Gemeente <name>' from the CBS list.")
@click.option("--contact-name", required=True, help="Contact point: a team or role.")
@click.option("--contact-email", required=True, help="Contact point's e-mail address.")
@click.option("--contact-url", default="", help="Contact point's web page (optional).")
@click.option(
    "--licence",
    type=click.Choice(sorted(LICENCES)),
    default="cc0-1.0",
    show_default=True,
    help="Licence of the publisher's data.",
)
@click.option("--expires", help="Expiry of the first token (ISO 8601), default: none.")
@click.option("--valid-days", type=float, help="Or: the first token's validity in days.")
@click.pass_obj
@guarded
def add(
    obj: Context,
    code: str,
    name: str | None,
    contact_name: str,
    contact_email: str,
    contact_url: str,
    licence: str,
    expires: str | None,
    valid_days: float | None,
) -> None:
    """Register the municipality or province with CBS code CODE and print its first token."""
    registry = Registry(obj.settings)
    expiry = _expiry(expires, valid_days)
    try:
        pub = registry.add(
            code,
            name=name,
            contact_name=contact_name,
            contact_email=contact_email,
            contact_url=contact_url,
            licence=licence,
        )
        secret, info = registry.issue_token(pub.code, expires=expiry)
    except PublisherError as exc:
        fail(obj.say(exc.text), EXIT_USAGE)
        return
    click.echo(f"registered {pub.code} {pub.name} (licence {pub.licence.key})", err=True)
    _show_token(secret, pub.code, info.id, expiry)


@publisher.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@guarded
def list_publishers(obj: Context, as_json: bool) -> None:
    """List the registered publishers and their tokens (never the secrets)."""
    registry = Registry(obj.settings)
    items: list[dict[str, Any]] = []
    for pub in registry.all():
        entry: dict[str, Any] = dict(pub.as_json(obj.settings))
        entry["tokens"] = [
            {"id": t.id, "created": t.created, "revoked": t.revoked, "expires": exp}
            for t, exp in registry.tokens(pub.code)
        ]
        items.append(entry)
    if as_json:
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    for entry in items:
        active = len([t for t in entry["tokens"] if not t["revoked"]])
        click.echo(
            f"{entry['code']}  {entry['name']}  licence {entry['licence']}  "
            f"contact {entry['contact_name']} <{entry['contact_email']}>  "
            f"{active} active token(s)"
        )


@publisher.command("token")
@click.argument("code")
@click.option("--expires", help="Expiry (ISO 8601 date or time), default: none.")
@click.option("--valid-days", type=float, help="Or: validity in days.")
@click.option("--note", default="", help="Who the token is for.")
@click.pass_obj
@guarded
def token(
    obj: Context, code: str, expires: str | None, valid_days: float | None, note: str
) -> None:
    """Issue a new token for publisher CODE (revoke old ones with `kiemen token revoke ID`)."""
    expiry = _expiry(expires, valid_days)
    try:
        secret, info = Registry(obj.settings).issue_token(code.upper(), expires=expiry, note=note)
    except PublisherError as exc:
        fail(obj.say(exc.text), EXIT_USAGE)
        return
    _show_token(secret, code.upper(), info.id, expiry)


@publisher.command("audit")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@guarded
def audit(obj: Context, code: str, as_json: bool) -> None:
    """The audit log of publisher CODE: who uploaded what, when, and what it changed."""

    if Registry(obj.settings).get(code) is None:
        fail(f"{code} is not a registered publisher", EXIT_DATA)
    entries = audit_log(obj.settings, code.upper())
    if as_json:
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        return
    for e in entries:
        version = f"v{e['version']}" if e["version"] else "-"
        click.echo(
            f"{e['at']}  token {e['token_id']}  {e['action']:<10} {e['outcome']:<9} {version:<5}"
            f" +{e['added']} -{e['removed']}  errors {e['errors']}  {e['detail']}"
        )


COMMANDS = [publisher]
