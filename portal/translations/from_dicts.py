"""Move interface texts from old-style dictionaries into the nl and en catalogues.

Texts used to be ``TEXTS.update({"key": {"nl": ..., "en": ...}})`` blocks (or a ``TEXTS = {...}``
assignment) in Python modules. This reads such a module *without importing it* (its dictionaries
are parsed as literals), and writes each key into ``nl/LC_MESSAGES/messages.po`` and
``en/LC_MESSAGES/messages.po`` with the key as msgid. New keys are added, changed texts replace
the old ones (each change is printed), and nothing else in the catalogues is touched::

    .venv/bin/python -m portal.translations.from_dicts portal/texts_publish.py

Then delete the dictionary block from the module and run ``make messages``.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

LANGS = ("nl", "en")
HERE = Path(__file__).resolve().parent
#: Output settings shared with ``pybabel update`` in ``make messages`` (its defaults), so the
#: files stay byte-stable whichever of the two wrote them last.
WIDTH = 76


class ConversionError(ValueError):
    """A dictionary entry that cannot become a catalogue entry."""


def _is_texts(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "TEXTS"


def _dict_literals(tree: ast.Module) -> list[ast.expr]:
    """The dictionary literals a module puts into ``TEXTS`` (update, assignment, item)."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and _is_texts(node.func.value)
            and node.args
        ):
            found.append(node.args[0])
        elif isinstance(node, ast.Assign) and any(_is_texts(t) for t in node.targets):
            found.append(node.value)
        elif isinstance(node, ast.AnnAssign) and _is_texts(node.target):
            found.extend([node.value] if node.value else [])
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _is_texts(target.value):
                    found.append(ast.Dict(keys=[target.slice], values=[node.value]))
    return found


def read_dicts(path: Path) -> dict[str, dict[str, str]]:
    """Every ``key -> {"nl": text, "en": text}`` the module at ``path`` declares."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    texts: dict[str, dict[str, str]] = {}
    for literal in _dict_literals(tree):
        try:
            value = ast.literal_eval(literal)
        except ValueError as exc:
            raise ConversionError(f"{path}:{literal.lineno}: not a plain literal ({exc})") from exc
        if not isinstance(value, dict):
            raise ConversionError(f"{path}:{literal.lineno}: TEXTS gets a non-dictionary")
        for key, entry in value.items():
            if not isinstance(key, str) or not isinstance(entry, dict):
                raise ConversionError(f"{path}: entry {key!r} is not key -> {{lang: text}}")
            missing = [lang for lang in LANGS if not isinstance(entry.get(lang), str)]
            if missing or not all(entry[lang] for lang in LANGS):
                raise ConversionError(f"{path}: {key!r} lacks a text in {missing or LANGS}")
            if key in texts and texts[key] != entry:
                raise ConversionError(f"{path}: {key!r} is declared twice with different texts")
            texts[key] = {lang: entry[lang] for lang in LANGS}
    return texts


def catalogue_path(root: Path, lang: str) -> Path:
    return root / lang / "LC_MESSAGES" / "messages.po"


def load(root: Path, lang: str) -> Catalog:
    path = catalogue_path(root, lang)
    if not path.exists():
        return Catalog(locale=lang, project="Kiemen", version="", fuzzy=False)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def save(catalog: Catalog, path: Path) -> None:
    """Write atomically: a sibling temporary file renamed over the catalogue."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".po.tmp")
    with tmp.open("wb") as fh:
        write_po(fh, catalog, width=WIDTH, sort_output=True)
    tmp.replace(path)


def merge(texts: dict[str, dict[str, str]], root: Path = HERE) -> list[str]:
    """Put ``texts`` into the catalogues under ``root``; returns what changed, one line each."""
    report: list[str] = []
    for lang in LANGS:
        catalog = load(root, lang)
        for key, entry in texts.items():
            old = catalog.get(key)
            if old is not None and old.string == entry[lang] and "fuzzy" not in old.flags:
                continue
            if old is not None and isinstance(old.id, tuple):
                raise ConversionError(f"{key!r} is a plural entry in {lang}; edit it by hand")
            if old is None:
                catalog[key] = Message(key, entry[lang])
                report.append(f"{lang}: added {key}")
            else:  # (assigning a Message to a present key would keep the old text)
                old.string = entry[lang]
                old.flags.discard("fuzzy")
                report.append(f"{lang}: changed {key}")
        save(catalog, catalogue_path(root, lang))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", type=Path, help="Python modules with TEXTS dicts")
    parser.add_argument("--catalogues", type=Path, default=HERE, help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        texts: dict[str, dict[str, str]] = {}
        for module in args.modules:
            for key, entry in read_dicts(module).items():
                if key in texts and texts[key] != entry:
                    raise ConversionError(f"{key!r} differs between the given modules")
                texts[key] = entry
        report = merge(texts, args.catalogues)
    except (ConversionError, SyntaxError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report) or "nothing to change")
    print(f"{len(texts)} keys read; now remove the TEXTS blocks and run: make messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
