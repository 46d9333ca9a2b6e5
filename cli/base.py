"""What every ``kiemen`` subcommand shares: the context, the exit codes, and error handling.

Exit codes are a promise: 0 ok, 1 data problems found, 2 usage or environment error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from core.config import ConfigError, Settings
from core.messages import LANGS, bundled
from core.store import KiemenStore, StoreError
from loaders.base import LoadError
from queries import QueryParameterError

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self, lang: str = "en") -> None:
        if lang not in LANGS:
            raise ValueError(f"no catalogue for {lang!r}")
        self._settings: Settings | None = None
        self._store: KiemenStore | None = None
        #: The language of the texts the lower layers give as keys (``kiemen --lang``).
        self.lang = lang

    def say(self, value: Any) -> str:
        """A :class:`~core.messages.Text` (or plain value) in the command's language."""
        return bundled().render(value, self.lang)

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


def echo_warnings(warnings: list[Any], verbose: bool) -> None:
    """Warnings are advice: list them with --verbose, otherwise just say how many."""
    if verbose:
        for p in warnings:
            click.echo(f"warning: {p}", err=True)
    elif warnings:
        click.echo(f"{len(warnings)} warning(s) (advice); list them with --verbose", err=True)


def warn_about_store(kstore: KiemenStore) -> None:
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
        try:
            return fn(*args, **kwargs)
        except LoadError as exc:
            errors = [p for p in exc.problems if p.severity == "error"]
            for p in errors:
                click.echo(f"error: {p}", err=True)
            echo_warnings([p for p in exc.problems if p.severity != "error"], verbose=False)
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
