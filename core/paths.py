"""Where the bundled packages of data live, in a checkout and in an installed wheel alike."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_dir(package: str) -> Path:
    """The folder of a bundled package (``ontology``, ``queries``, ``kiemen_data``)."""
    return Path(str(resources.files(package)))
