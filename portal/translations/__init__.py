"""The interface texts: gettext catalogues for Dutch and English, one ``messages.po`` each.

The msgid is the text's key (``nav.browse``), the msgstr its wording in that language
("monolingual gettext": ``en`` is the base file that translators' tools show as the source).
Keys rather than English msgids because the portal composes keys at run time
(``'kind.' ~ kind``), because a corrected English wording must not unlink the Dutch one, and
because every template already calls ``t(key)``.

The ``.po`` files are the only artefact: they are compiled in memory once, when the app is built
(Babel's own ``read_po``/``write_mo``), so there is no ``.mo`` to commit, build or let go stale,
and ``pip install`` needs only the ``.po`` files as package data. A missing or broken catalogue
stops ``create_app``; fuzzy entries are left out, as ``msgfmt`` does.
"""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations
from flask_babel import Domain, get_locale

from core.messages import (
    CATALOGUES,
    DOMAIN,
    LANGS,
    CatalogueError,
    Messages,
    bundled,
    catalogue_path,
    compile_catalogue,
)

#: Where the catalogues live: ``<lang>/LC_MESSAGES/messages.po`` (read by :mod:`core.messages`).
DIRECTORY = CATALOGUES

__all__ = [
    "DIRECTORY",
    "DOMAIN",
    "CatalogueError",
    "Catalogues",
    "catalogue_path",
    "compile_catalogue",
]


class Catalogues(Domain):  # type: ignore[misc]  # flask_babel ships no type hints
    """Flask-Babel's message domain, served from the ``.po`` files read at start.

    Each language falls back to the next in ``langs`` (Dutch to English), then to the key.
    :attr:`messages` renders the texts the lower layers give as keys (:mod:`core.messages`).
    """

    def __init__(self, langs: tuple[str, ...], directory: Path = DIRECTORY) -> None:
        super().__init__(translation_directories=[str(directory)], domain=DOMAIN)
        # The bundled catalogues are compiled once per process (core.messages.bundled), shared
        # with the texts the lower layers store in both languages.
        same = directory.resolve() == CATALOGUES.resolve() and langs == LANGS
        self.messages = bundled() if same else Messages(langs, directory)
        self.by_lang: dict[str, Translations] = self.messages.by_lang

    def get_translations(self) -> Translations | NullTranslations:
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        return self.by_lang.get(locale.language) or NullTranslations()
