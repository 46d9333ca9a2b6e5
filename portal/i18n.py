"""Dutch and English: the visitor's language and the interface texts.

The language comes from ``?lang=`` (remembered in a cookie), then the cookie, then the
browser's Accept-Language, then Dutch. Data are shown in that language with fallback to the
other (see :func:`pick`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request

from portal.translations import TEXTS

LANGS = ("nl", "en")
DEFAULT_LANG = "nl"
COOKIE = "kiemen_lang"


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
    """The interface text ``key`` in the visitor's language."""
    entry = TEXTS.get(key)
    text = key if entry is None else entry.get(current_lang()) or entry.get("en") or key
    return text.format(**kwargs) if kwargs else text


def pick(values: Mapping[str, str] | None, lang: str | None = None) -> str:
    """A literal in the wanted language, else the other, else a language-less one."""
    if not values:
        return ""
    lang = lang or current_lang()
    for key in (lang, other_lang(lang), "", *values.keys()):
        if values.get(key):
            return values[key]
    return ""


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(t=t, pick=pick, current_lang=current_lang, other_lang=other_lang)

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
