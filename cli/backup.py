"""``kiemen backup`` and ``kiemen restore``: a running portal's data, copied and brought back."""

from __future__ import annotations

from pathlib import Path

import click

from cli.base import EXIT_DATA, Context, fail, guarded
from portal.backup import BackupError, backup, restore
from portal.progress import Progress


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
@guarded
def backup_command(obj: Context, directory: Path) -> None:
    """Copy the published data into DIRECTORY (new or empty) while the portal keeps serving.

    The copy holds Oxigraph's own checkpoint of the published generation, its search and
    browse indexes, the publisher registry with versions and audit log, and the tokens: keep it
    as private as the store. Restore it with ``kiemen restore DIRECTORY``.
    """

    report = backup(obj.store, directory, meter=Progress())
    click.echo(
        f"backed up generation {report.generation}: {report.quads} quads, "
        f"{report.files} files, {report.bytes} bytes in {report.path}"
    )


@click.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.pass_obj
@guarded
def restore_command(obj: Context, directory: Path) -> None:
    """Bring back a backup made by ``kiemen backup`` as a new published generation.

    Every file is checked against the backup's manifest first; a damaged or incomplete backup
    changes nothing (exit code 1). Readers switch to the restored data at once, atomically.
    """

    try:
        name = restore(obj.store, directory, meter=Progress())
    except BackupError as exc:
        fail(f"{exc}; nothing was changed", EXIT_DATA)
        return
    click.echo(f"restored {directory} as generation {name}")


COMMANDS = [backup_command, restore_command]
