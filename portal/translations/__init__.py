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

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import NullTranslations, Translations
from flask_babel import Domain, get_locale

#: Where the catalogues live: ``<lang>/LC_MESSAGES/messages.po``.
DIRECTORY = Path(__file__).resolve().parent
DOMAIN = "messages"


class CatalogueError(RuntimeError):
    """A catalogue that is missing or cannot be read."""


def catalogue_path(lang: str, directory: Path = DIRECTORY) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogue(lang: str, directory: Path = DIRECTORY) -> Translations:
    """The catalogue of ``lang`` as gettext translations, compiled in memory."""
    path = catalogue_path(lang, directory)
    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang, domain=DOMAIN, abort_invalid=True)
    except (OSError, ValueError, PoFileError) as exc:
        raise CatalogueError(f"cannot read the {lang} catalogue {path}: {exc}") from exc
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class Catalogues(Domain):  # type: ignore[misc]  # flask_babel ships no type hints
    """Flask-Babel's message domain, served from the ``.po`` files read at start.

    Each language falls back to the next in ``langs`` (Dutch to English), then to the key.
    """

    def __init__(self, langs: tuple[str, ...], directory: Path = DIRECTORY) -> None:
        super().__init__(translation_directories=[str(directory)], domain=DOMAIN)
        self.by_lang: dict[str, Translations] = {}
        for lang in reversed(langs):
            translations = compile_catalogue(lang, directory)
            if self.by_lang:
                translations.add_fallback(self.by_lang[langs[-1]])
            self.by_lang[lang] = translations

    def get_translations(self) -> Translations | NullTranslations:
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        return self.by_lang.get(locale.language) or NullTranslations()
