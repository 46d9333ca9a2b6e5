"""Texts for people as keys with parameters; the catalogues that word them in Dutch and English.

The layers below the portal never compose sentences: they say *what* happened as a
:class:`Text`, a key of the gettext catalogues (``upload.error.not_utf8``) with the values it
names (``msg("upload.error.not_utf8", file=name, hint=msg("upload.hint.utf16"))``). The edge
that knows the reader's language renders it: the portal in the visitor's language (and in both
where the JSON API promises both), the CLI in the language it was asked for. A parameter may be
another :class:`Text` (rendered in the same language), a list (its items rendered and joined
with ", "), :class:`ByLang` (a text that comes from data in both languages, such as a shape's
message) or a plain value (``str.format`` shows it as it is).

:func:`msg` is the extraction keyword: ``make pot`` finds every ``msg("key", ...)`` in the code,
so ``make messages-check`` fails when a key has no text in a catalogue.

Where a lower layer stores a text as data in both languages (the DCAT entry of a publisher's
graph, the links graph's descriptions, the GeoNames no-link reasons, the template files), it
words it itself with :func:`bundled` (``bundled().both(text)``): data, not a message to someone.

The catalogues are the portal's package data (``portal/translations/<lang>/LC_MESSAGES/
messages.po``, see :mod:`portal.translations`); they are read here by path, without importing
the web app, so that the CLI and the texts the publishing layer stores in the graph (in both
languages) use the same wording. :class:`Messages` compiles them in memory once.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import NullTranslations, Translations

#: The languages of the catalogues, the first the default; each falls back to the last.
LANGS = ("nl", "en")
#: Where the catalogues live (the package data of ``portal.translations``, read by path).
CATALOGUES = Path(__file__).resolve().parent.parent / "portal" / "translations"
DOMAIN = "messages"


class CatalogueError(RuntimeError):
    """A catalogue that is missing or cannot be read."""


@dataclass(frozen=True)
class ByLang:
    """A text that exists in the data in both languages (a shape's message, a label)."""

    nl: str
    en: str

    def get(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class Text:
    """A text for people: a catalogue key and the values its placeholders name."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)

    def with_values(self, **params: Any) -> Text:
        """The same key with these values (for a text chosen from a table of keys)."""
        return _text(self.key, self.values | params)

    def __str__(self) -> str:
        """The key and its values, for logs and tracebacks (people get :meth:`Messages.render`)."""
        shown = ", ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.key}({shown})" if shown else self.key


def msg(key: str, **params: Any) -> Text:
    """The text ``key`` with the values of its placeholders (the extraction keyword)."""
    return _text(key, params)


def _text(key: str, params: dict[str, Any]) -> Text:
    return Text(key, tuple((k, _frozen(v)) for k, v in sorted(params.items())))


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def catalogue_path(lang: str, directory: Path = CATALOGUES) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogue(lang: str, directory: Path = CATALOGUES) -> Translations:
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


class Messages:
    """The catalogues of ``langs`` under ``directory``, and :meth:`render` to word a text.

    Each language falls back to the last of ``langs`` (Dutch to English), then to the key.
    """

    def __init__(self, langs: tuple[str, ...] = LANGS, directory: Path = CATALOGUES) -> None:
        self.langs = langs
        self.by_lang: dict[str, Translations] = {}
        for lang in reversed(langs):
            translations = compile_catalogue(lang, directory)
            if self.by_lang:
                translations.add_fallback(self.by_lang[langs[-1]])
            self.by_lang[lang] = translations

    def translations(self, lang: str) -> Translations | NullTranslations:
        return self.by_lang.get(lang) or NullTranslations()

    def render(self, value: Any, lang: str) -> str:
        """``value`` worded in ``lang``: a :class:`Text`, its parameters, lists, data texts."""
        if isinstance(value, Text):
            wording = str(self.translations(lang).gettext(value.key))
            if not value.params:
                return wording
            return wording.format(**{k: self.render(v, lang) for k, v in value.params})
        if isinstance(value, (tuple, list)):
            return ", ".join(self.render(v, lang) for v in value)
        if isinstance(value, ByLang):
            return value.get(lang)
        return str(value)

    def both(self, value: Any) -> dict[str, str]:
        """``value`` in every language, by language."""
        return {lang: self.render(value, lang) for lang in self.langs}


@functools.cache
def bundled() -> Messages:
    """The bundled catalogues, read once per process (for texts stored in both languages)."""
    return Messages()


def render(value: Any, lang: str) -> str:
    """``value`` in ``lang`` from the bundled catalogues."""
    return bundled().render(value, lang)
