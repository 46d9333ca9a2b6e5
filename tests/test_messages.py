"""The interface texts as gettext catalogues: complete, in line with the code, served in nl and en.

``make messages-check`` is run as it is (pybabel extract over portal/ with babel.cfg, then
``pybabel update --check``), so a key added to code or a template without a text in both
catalogues fails here, and so does a text left in the catalogues that nothing uses.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from core.indexes import facets, search
from portal import i18n, textkeys
from portal.features import default_wiring
from portal.i18n import LANGS, t, text_in, tn
from portal.translations import DIRECTORY, CatalogueError, Catalogues, check, from_dicts
from portal.views import home

ROOT = Path(__file__).resolve().parent.parent
BIN = str(Path(sys.executable).parent)
#: The extraction keywords (BABEL_KEYWORDS in the Makefile).
KEYWORDS = ("t", "tn", "text_in", "N_")


def messages_check(
    tmp_path: Path, catalogues: Path = DIRECTORY
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "make",
            "-s",
            "messages-check",
            f"BIN={BIN}",
            f"POT={tmp_path / 'pot' / 'messages.pot'}",
            f"CATALOGUES={catalogues}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def copy_catalogues(tmp_path: Path) -> Path:
    target = tmp_path / "translations"
    for lang in LANGS:
        dest = from_dicts.catalogue_path(target, lang)
        dest.parent.mkdir(parents=True)
        shutil.copy(from_dicts.catalogue_path(DIRECTORY, lang), dest)
    return target


def edit(directory: Path, lang: str, key: str, text: str | None, *, fuzzy: bool = False) -> None:
    """Change (or with ``text=None`` remove) one entry of a copied catalogue."""
    catalog = from_dicts.load(directory, lang)
    if text is None:
        del catalog[key]
    else:
        catalog[key].string = text
        if fuzzy:
            catalog[key].flags.add("fuzzy")
    from_dicts.save(catalog, from_dicts.catalogue_path(directory, lang))


def test_catalogues_are_in_line_with_code_and_templates(tmp_path: Path) -> None:
    done = messages_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_key_without_a_text_fails_the_check(tmp_path: Path) -> None:
    # As if a template had gained t('nav.browse') with no entry in the catalogues.
    copied = copy_catalogues(tmp_path)
    edit(copied, "nl", "nav.browse", None)
    done = messages_check(tmp_path, copied)
    assert done.returncode != 0 and "out of date" in done.stderr


def test_a_text_nothing_uses_fails_the_check(tmp_path: Path) -> None:
    copied = copy_catalogues(tmp_path)
    source = tmp_path / "extra.py"
    source.write_text('TEXTS.update({"nowhere.used": {"nl": "Nergens", "en": "Nowhere"}})\n')
    assert from_dicts.main([str(source), "--catalogues", str(copied)]) == 0
    done = messages_check(tmp_path, copied)
    assert done.returncode != 0 and "out of date" in done.stderr


def test_every_entry_has_both_texts_with_the_same_placeholders() -> None:
    assert check.problems() == []
    en = {check.key_of(m): m for m in check.load("en") if m.id}
    assert len(en) > 400
    plural = [key for key, m in en.items() if m.pluralizable]
    assert "ld.downloads.rows" in plural and len(plural) >= 10


@pytest.mark.parametrize(
    ("lang", "key", "text", "fuzzy", "complaint"),
    [
        ("nl", "ld.showing", "{first}–{last} van {total}", False, "placeholders differ"),
        ("en", "nav.browse", "", False, "has no text"),
        ("nl", "nav.browse", "Bladeren", True, "is fuzzy"),
        ("nl", "search.none", "Niets voor ‘{q’", False, "not a valid format string"),
        ("en", "search.none", "Nothing for {q.__class__}", False, "plain names"),
        ("nl", "nav.browse", "Verkennen {}", False, "plain names"),
    ],
)
def test_the_catalogue_check_finds_what_a_translator_broke(
    tmp_path: Path, lang: str, key: str, text: str, fuzzy: bool, complaint: str
) -> None:
    copied = copy_catalogues(tmp_path)
    edit(copied, lang, key, text, fuzzy=fuzzy)
    found = check.problems(copied)
    assert any(key in line and complaint in line for line in found), found
    assert check.main([str(copied)]) == 1


def test_keys_composed_from_data_cover_that_data() -> None:
    en = {check.key_of(m) for m in check.load("en") if m.id}
    declared = {
        *textkeys.FACET,
        *textkeys.SORT,
        *textkeys.KIND,
        *textkeys.KIND_ONE,
        *(key for _, key in default_wiring().nav),
    }
    assert declared <= en, declared - en
    assert {f"facet.{key}" for key in facets.FACET_KEYS} <= set(textkeys.FACET)
    assert {f"sort.{key}" for key in facets.SORTS} <= set(textkeys.SORT)
    assert {f"kind.{key}" for key in search.KINDS} <= set(textkeys.KIND)
    assert {f"kindone.{key}" for key in search.KINDS} <= set(textkeys.KIND_ONE)
    assert {f"kind.{key}" for _, key in home.KINDS} <= set(textkeys.KIND)


def test_no_text_dictionaries_left_in_python_modules() -> None:
    # A module that still does TEXTS.update({...}) must be converted with from_dicts.
    holders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "portal").rglob("*.py"))
        if from_dicts.read_dicts(path)
    ]
    assert holders == []


def test_no_text_call_hides_in_an_f_string() -> None:
    # Babel's extractor does not look inside f-strings (Python 3.11), so such a key would be
    # dropped from the catalogues by make messages.
    hidden = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FormattedValue):
                for call in ast.walk(node.value):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Name)
                        and call.func.id in KEYWORDS
                    ):
                        hidden.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert hidden == []


def test_texts_plurals_and_fallback_in_a_request(tmp_path: Path) -> None:
    app = Flask(__name__)
    copied = copy_catalogues(tmp_path)
    edit(copied, "nl", "nav.search", None)  # missing in Dutch: the English text stands in
    i18n.init_app(app, copied)
    with app.test_request_context("/?lang=nl"):
        assert t("nav.browse") == "Verkennen"
        assert t("nav.search") == "Search"
        assert tn("ld.downloads.rows", 1) == "1 rij"
        assert tn("ld.downloads.rows", 12) == "12 rijen"
        assert tn("search.results", 1, q="x") == "1 resultaat voor ‘x’"
        assert text_in("en", "ld.downloads.title") == "Downloads"
        assert t("ld.showing", first=1, last=2, count=3) == "1–2 van 3"
        assert t("no.such.key") == "no.such.key"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert t("nav.browse") == "Browse"
        assert tn("ld.downloads.rows", 1) == "1 row" and tn("ld.downloads.rows", 0) == "0 rows"
        assert text_in("nl", "nav.browse") == "Verkennen"
        with pytest.raises(ValueError):
            text_in("de", "nav.browse")


def test_a_missing_or_broken_catalogue_stops_the_app(tmp_path: Path) -> None:
    copied = copy_catalogues(tmp_path)
    from_dicts.catalogue_path(copied, "nl").unlink()
    with pytest.raises(CatalogueError, match="nl"):
        Catalogues(LANGS, copied)
    for broken in (b'msgid "a"\nmsgstr "b"\nnot po at all\n', b'msgid "a"\nmsgstr "\xff"\n'):
        from_dicts.catalogue_path(copied, "nl").write_bytes(broken)
        with pytest.raises(CatalogueError, match="nl"):
            Catalogues(LANGS, copied)


def test_pages_count_in_both_languages(app) -> None:  # type: ignore[no-untyped-def]
    nl = app.test_client().get("/?lang=nl").get_data(as_text=True)
    en = app.test_client().get("/?lang=en").get_data(as_text=True)
    assert "initiatieven verkennen" in nl and "Browse all" in en
    assert "nav.browse" not in nl and "home.all" not in en


def test_converter_moves_a_dict_module_into_both_catalogues(tmp_path: Path) -> None:
    copied = copy_catalogues(tmp_path)
    module = tmp_path / "texts_new.py"
    module.write_text(
        "from portal.translations import TEXTS\n"
        "TEXTS.update(\n"
        "    {\n"
        '        "pub.new": {"nl": "Nieuw: {n} rijen "\n'
        '                    "gelezen", "en": "New: {n} rows read"},\n'
        '        "nav.browse": {"nl": "Bladeren", "en": "Browse"},\n'
        "    }\n"
        ")\n",
        encoding="utf-8",
    )
    assert from_dicts.main([str(module), "--catalogues", str(copied)]) == 0
    nl, en = from_dicts.load(copied, "nl"), from_dicts.load(copied, "en")
    assert nl["pub.new"].string == "Nieuw: {n} rijen gelezen"
    assert en["pub.new"].string == "New: {n} rows read"
    assert nl["nav.browse"].string == "Bladeren"  # a changed text replaces the old one
    assert check.problems(copied) == []
    before = {lang: from_dicts.catalogue_path(copied, lang).read_bytes() for lang in LANGS}
    assert from_dicts.main([str(module), "--catalogues", str(copied)]) == 0
    assert before == {lang: from_dicts.catalogue_path(copied, lang).read_bytes() for lang in LANGS}


@pytest.mark.parametrize(
    "body",
    [
        'TEXTS.update({"x.y": {"nl": "Alleen Nederlands"}})\n',
        'TEXTS.update({"x.y": {"nl": NAME, "en": "English"}})\n',
        'TEXTS.update({"x.y": {"nl": "", "en": "English"}})\n',
    ],
)
def test_converter_refuses_an_entry_it_cannot_convert_and_changes_nothing(
    tmp_path: Path, body: str
) -> None:
    copied = copy_catalogues(tmp_path)
    module = tmp_path / "texts_bad.py"
    module.write_text(body, encoding="utf-8")
    before = {lang: from_dicts.catalogue_path(copied, lang).read_bytes() for lang in LANGS}
    assert from_dicts.main([str(module), "--catalogues", str(copied)]) == 1
    assert before == {lang: from_dicts.catalogue_path(copied, lang).read_bytes() for lang in LANGS}
