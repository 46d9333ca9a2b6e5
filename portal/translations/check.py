"""Check the nl and en catalogues against each other: what ``make messages`` ends with.

Both hold the same keys; every entry (each plural form) has a text and none is fuzzy; the
placeholders (``{n}``, ``{name}``) of an entry are the same in both languages, so a translation
cannot drop or invent one (with key msgids gettext's own ``python-brace-format`` check has no
source text to compare with, so this is where that check lives)::

    .venv/bin/python -m portal.translations.check [DIRECTORY]
"""

from __future__ import annotations

import sys
from pathlib import Path
from string import Formatter

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from portal.translations import DIRECTORY, catalogue_path

LANGS = ("nl", "en")


def placeholders(text: str) -> set[str]:
    """The fields ``str.format`` fills in ``text`` (``{n}``, or ``{0.attr}`` as written)."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def forms(message: Message) -> list[str]:
    string = message.string
    return [s or "" for s in string] if isinstance(string, (list, tuple)) else [string or ""]


def key_of(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _entry_problems(key: str, by_lang: dict[str, Message]) -> list[str]:
    found: list[str] = []
    fields: dict[str, set[str]] = {}
    for lang, message in by_lang.items():
        if "fuzzy" in message.flags:
            found.append(f"{lang}: {key} is fuzzy (check it, then drop the flag)")
        texts = forms(message)
        if not all(texts):
            found.append(f"{lang}: {key} has no text")
            continue
        try:
            per_form = [placeholders(text) for text in texts]
        except ValueError as exc:
            found.append(f"{lang}: {key} is not a valid format string ({exc})")
            continue
        reaching = sorted(f for f in set().union(*per_form) if not f.isidentifier())
        if reaching:
            # {n.__class__} or {0[x]} would read into the values t() is given: names only.
            found.append(f"{lang}: {key}: placeholders must be plain names, not {reaching}")
        # The singular may leave the number out ("one initiative"); the other forms may not.
        fields[lang] = per_form[-1]
        if any(not f <= per_form[-1] for f in per_form):
            found.append(f"{lang}: {key}: a plural form has a placeholder the others lack")
        if message.pluralizable and "n" not in per_form[-1]:
            found.append(f"{lang}: {key}: the plural form does not show {{n}}")
    if len(fields) == len(LANGS) and fields["nl"] != fields["en"]:
        nl, en = sorted(fields["nl"]), sorted(fields["en"])
        found.append(f"{key}: placeholders differ: nl {nl}, en {en}")
    kinds = {lang: m.pluralizable for lang, m in by_lang.items()}
    if len(set(kinds.values())) > 1:
        found.append(f"{key}: plural in one language only ({kinds})")
    return found


def load(lang: str, directory: Path = DIRECTORY) -> Catalog:
    with catalogue_path(lang, directory).open("rb") as fh:
        return read_po(fh, locale=lang, abort_invalid=True)


def problems(directory: Path = DIRECTORY) -> list[str]:
    """Everything wrong with the catalogues under ``directory``, one line each."""
    catalogues = {lang: {key_of(m): m for m in load(lang, directory) if m.id} for lang in LANGS}
    found: list[str] = []
    keys = set().union(*catalogues.values())
    for key in sorted(keys):
        by_lang = {lang: cat[key] for lang, cat in catalogues.items() if key in cat}
        missing = [lang for lang in LANGS if lang not in by_lang]
        if missing:
            found.append(f"{key} is missing from {', '.join(missing)}")
        found.extend(_entry_problems(key, by_lang))
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else DIRECTORY
    found = problems(directory)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s) in {directory}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
