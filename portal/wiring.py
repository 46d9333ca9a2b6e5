"""What the app is made of, in one object the app owns: blueprints, navigation, page providers,
index hooks.

``create_app`` builds a :class:`Wiring` from the visible lists in
:func:`portal.features.default_wiring` and keeps it in ``app.extensions``; views ask
:func:`wiring` for it. Nothing registers itself on import,
and a missing module is an ImportError at start, never a feature silently left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from flask import Flask, current_app

from core.store import KiemenStore
from core.write.pipeline import IndexHook, use_index_hooks

#: Extra context for a kind of resource page: ``(kstore, iri, lang) -> dict``.
KindProvider = Callable[[KiemenStore, str, str], Any]

KEY = "kiemen.wiring"


@dataclass(frozen=True)
class Wiring:
    #: Feature modules, each with a blueprint ``bp`` and optionally ``init_app(app)``.
    features: tuple[ModuleType, ...]
    #: The main navigation: (endpoint, text key); entries whose endpoint is absent are skipped.
    nav: tuple[tuple[str, str], ...]
    #: Kind-specific context of the ``/page/...`` view, by kind.
    kind_context: dict[str, KindProvider] = field(default_factory=dict)
    #: What every write runs on its new generation after the browse and search indexes.
    index_hooks: tuple[IndexHook, ...] = ()


def init_app(app: Flask, plan: Wiring) -> None:
    """Register every feature of ``plan`` and keep ``plan`` for the views."""
    app.extensions[KEY] = plan
    use_index_hooks(plan.index_hooks)
    for module in plan.features:
        app.register_blueprint(module.bp)
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)


def wiring() -> Wiring:
    """The running app's wiring."""
    plan: Wiring = current_app.extensions[KEY]
    return plan
