"""The store as an application resource: created once per app, shared by every request."""

from __future__ import annotations

from flask import Flask, current_app

from portal.config import Settings
from portal.store import KiemenStore


def init_app(app: Flask) -> None:
    settings: Settings = app.config["KIEMEN"]
    app.extensions["kiemen_store"] = KiemenStore(settings)


def get_store() -> KiemenStore:
    store: KiemenStore = current_app.extensions["kiemen_store"]
    return store


def get_settings() -> Settings:
    settings: Settings = current_app.config["KIEMEN"]
    return settings
