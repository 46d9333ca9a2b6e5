"""The store as an application resource: created once per app, shared by every request."""

from __future__ import annotations

from flask import Flask, current_app, g

from core.config import Settings
from core.store import KiemenStore


def init_app(app: Flask) -> None:
    settings: Settings = app.config["KIEMEN"]
    app.extensions["kiemen_store"] = KiemenStore(settings)
    app.before_request(_pin_generation)
    app.teardown_request(_unpin_generation)


def _pin_generation() -> None:
    """One generation per request: resolved once, read by every model the view asks."""
    pin = get_store().one_generation()
    pin.__enter__()
    g.kiemen_pin = pin


def _unpin_generation(_exc: BaseException | None) -> None:
    pin = g.pop("kiemen_pin", None)
    if pin is not None:
        pin.__exit__(None, None, None)


def get_store() -> KiemenStore:
    store: KiemenStore = current_app.extensions["kiemen_store"]
    return store


def get_settings() -> Settings:
    settings: Settings = current_app.config["KIEMEN"]
    return settings
