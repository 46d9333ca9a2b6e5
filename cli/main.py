"""The ``kiemen`` command: one group, its subcommands listed here from their modules.

Exit codes are a promise: 0 ok, 1 data problems found, 2 usage or environment error.
The list below is the whole command: nothing adds itself on import, and a missing module is an
import error, not a subcommand silently gone.
"""

from __future__ import annotations

import click

from cli import backup, data, deploy, publishers, serve, tokens
from cli.base import Context
from core.messages import LANGS
from core.write.pipeline import use_index_hooks
from portal.features import INDEX_HOOKS

#: Every feature module that brings subcommands, in the order ``kiemen --help`` lists them.
FEATURES = (data, serve, tokens, publishers, deploy, backup)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kiemen")
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="en",
    show_default=True,
    envvar="KIEMEN_LANG",
    help="Language of the messages about publishers and uploads (also KIEMEN_LANG).",
)
@click.pass_context
def main(ctx: click.Context, lang: str) -> None:
    """Kiemen: a knowledge graph of social innovation.

    The store is KIEMEN_STORE (default var/kiemen.oxigraph); IRIs are minted under
    KIEMEN_BASE_URI. Exit codes: 0 ok, 1 data problems, 2 usage or environment error.
    """
    use_index_hooks(INDEX_HOOKS)
    ctx.obj = Context(lang)


for _feature in FEATURES:
    for _command in _feature.COMMANDS:
        main.add_command(_command)
