"""Dutch and English: the visitor's language and the interface texts.

The language comes from ``?lang=`` (remembered in a cookie), then the cookie, then the
browser's Accept-Language, then Dutch. Data are shown in that language with fallback to the
other (see :func:`pick`). Interface texts come from the gettext catalogues in
:mod:`portal.translations` through Flask-Babel; :func:`t` looks one up by its key, :func:`tn`
one that counts something (its plural form follows ``n``). ``make messages`` extracts the keys
used in code and templates (the calls below are the extraction keywords). The layers below the
portal give their texts as keys with values (:class:`core.messages.Text`); :func:`say` words one
in the visitor's language, :func:`say_in` in a given one, from the same catalogues.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_babel import Babel, force_locale, get_translations

from core.messages import Messages
from portal.translations import DIRECTORY, Catalogues

LANGS = ("nl", "en")
DEFAULT_LANG = "nl"
COOKIE = "kiemen_lang"
#: Where the app keeps its :class:`~core.messages.Messages` (``app.extensions``).
MESSAGES = "kiemen.messages"


def current_lang() -> str:
    lang = g.get("lang")
    if lang:
        return str(lang)
    chosen = request.args.get("lang")
    if chosen not in LANGS:
        chosen = request.cookies.get(COOKIE)
    if chosen not in LANGS:
        chosen = request.accept_languages.best_match(LANGS) or DEFAULT_LANG
    g.lang = chosen
    return str(chosen)


def other_lang(lang: str | None = None) -> str:
    return "en" if (lang or current_lang()) == "nl" else "nl"


def t(key: str, **kwargs: Any) -> str:
    """The interface text ``key`` in the visitor's language (the key itself if unknown)."""
    text = str(get_translations().gettext(key))
    return text.format(**kwargs) if kwargs else text


def tn(key: str, n: int, **kwargs: Any) -> str:
    """The text ``key`` in the plural form for ``n`` things; ``{n}`` in it is the number."""
    text = str(get_translations().ngettext(key, key, n))
    return text.format(n=n, **kwargs)


def text_in(lang: str, key: str, **kwargs: Any) -> str:
    """The text ``key`` in ``lang`` whatever the visitor's language (for data in both)."""
    if lang not in LANGS:
        raise ValueError(f"no catalogue for {lang!r}")
    with force_locale(lang):
        return t(key, **kwargs)


def messages() -> Messages:
    """The app's catalogues, to word the texts the lower layers give as keys."""
    found: Messages = current_app.extensions[MESSAGES]
    return found


def say(value: Any) -> str:
    """A :class:`~core.messages.Text` (or plain value) in the visitor's language."""
    return messages().render(value, current_lang())


def say_in(lang: str, value: Any) -> str:
    """A :class:`~core.messages.Text` in ``lang`` whatever the visitor's language."""
    if lang not in LANGS:
        raise ValueError(f"no catalogue for {lang!r}")
    return messages().render(value, lang)


def N_(key: str) -> str:
    """Mark ``key`` for extraction where the portal composes it at run time; returns it as is."""
    return key


def pick(values: Mapping[str, str] | None, lang: str | None = None) -> str:
    """A literal in the wanted language, else the other, else a language-less one."""
    if not values:
        return ""
    lang = lang or current_lang()
    for key in (lang, other_lang(lang), "", *values.keys()):
        if values.get(key):
            return values[key]
    return ""


def init_app(app: Flask, catalogues: Path = DIRECTORY) -> None:
    """Language selection, the catalogues under ``catalogues`` and the template globals."""
    babel = Babel(
        app, configure_jinja=False, default_locale=DEFAULT_LANG, locale_selector=current_lang
    )
    # Flask-Babel itself would read .mo files; this domain serves the .po files, compiled at start.
    domain = Catalogues(LANGS, catalogues)
    babel.domain_instance = domain
    app.extensions[MESSAGES] = domain.messages
    app.jinja_env.globals.update(
        t=t,
        tn=tn,
        say=say,
        say_in=say_in,
        pick=pick,
        current_lang=current_lang,
        other_lang=other_lang,
    )

    @app.after_request
    def remember(response: Response) -> Response:
        chosen = request.args.get("lang")
        if chosen in LANGS and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
        if "Content-Language" not in response.headers and response.mimetype == "text/html":
            response.headers["Content-Language"] = current_lang()
        vary = response.headers.get("Vary", "")
        if "Cookie" not in vary and response.mimetype == "text/html":
            response.headers["Vary"] = ", ".join(v for v in (vary, "Accept-Language, Cookie") if v)
        return response
