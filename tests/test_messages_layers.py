"""Texts of the layers below the portal: keys with values (core.messages), worded at the edge.

Publishing, the loaders and the core say what happened as ``msg("key", ...)``; the portal words
it in the visitor's language (and in both where the JSON API promises both), the CLI in the
language of ``kiemen --lang``. The keys are extracted by ``make pot`` like the portal's own, so a
key without a text fails ``make messages-check``.
"""

from __future__ import annotations

import ast
import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from babel.messages.pofile import read_po, write_po
from conftest import kiemen_cmd, kiemen_env
from publishing_helpers import Server, example_files, example_text, publishing_server

from core.messages import LANGS, ByLang, CatalogueError, Messages, Text, catalogue_path, msg
from publishing.template import TABLES

ROOT = Path(__file__).resolve().parent.parent
BIN = str(Path(sys.executable).parent)
#: The packages ``make pot`` searches (MESSAGE_SOURCES in the Makefile).
SOURCES = ("portal", "publishing", "loaders", "core", "cli")
#: A merged municipality (Uden, into Maashorst in 2022): an upload's cell and the CLI refuse it.
MERGED = "GM0856"


def copy_catalogues(tmp_path: Path) -> Path:
    target = tmp_path / "translations"
    for lang in LANGS:
        dest = catalogue_path(lang, target)
        dest.parent.mkdir(parents=True)
        shutil.copy(catalogue_path(lang), dest)
    return target


def drop_entry(directory: Path, lang: str, key: str) -> None:
    path = catalogue_path(lang, directory)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    assert catalog.get(key) is not None, key
    del catalog[key]
    with path.open("wb") as fh:
        write_po(fh, catalog, no_location=True, sort_output=True, width=76)


def messages_check(tmp_path: Path, catalogues: Path) -> subprocess.CompletedProcess[str]:
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


# -------------------------------------------------------------------------------------------------
# extraction and the catalogues


def test_a_publishing_key_without_a_text_fails_the_check(tmp_path: Path) -> None:
    # upload.error.not_utf8 is used only in publishing/template.py: extraction must see it there.
    copied = copy_catalogues(tmp_path)
    assert messages_check(tmp_path, copied).returncode == 0
    drop_entry(copied, "nl", "upload.error.not_utf8")
    done = messages_check(tmp_path, copied)
    assert done.returncode != 0 and "out of date" in done.stderr


def test_the_extracted_keys_include_every_layer(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        ["make", "-s", "pot", f"BIN={BIN}", f"POT={pot}"], cwd=ROOT, check=True, timeout=300
    )
    with pot.open("rb") as fh:
        keys = {m.id for m in read_po(fh) if m.id}
    for key in (
        "upload.error.not_utf8",  # publishing/template.py
        "publisher.error.merged",  # publishing/publishers.py
        "report.published",  # publishing/checks.py
        "template.column.roles.role",  # the template's column documentation
        "dumps.nquads.title",  # core/write/dumps.py
        "places.link.no_city",  # loaders/links_out.py
    ):
        assert key in keys, key


def _msg_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "msg":
            yield node


def test_every_key_is_written_out_where_it_is_used() -> None:
    # Extraction reads the first argument of msg() as a literal; a computed key
    # (msg(f"x.{y}"), msg(a if b else c)) or one inside an f-string would never reach the
    # catalogues.
    hidden = []
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for call in _msg_calls(tree):
                first = call.args[0] if call.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    hidden.append(f"{path.relative_to(ROOT)}:{call.lineno}")
            for node in ast.walk(tree):
                if isinstance(node, ast.FormattedValue):
                    hidden += [
                        f"{path.relative_to(ROOT)}:{c.lineno} (f-string)"
                        for c in _msg_calls(node.value)
                    ]
    assert hidden == []


#: The packages whose modules may hold no texts for people in pairs of languages.
PACKAGES = ("core", "loaders", "publishing", "portal", "cli")
#: Words written in the code (a constant, an f-string, a concatenation or a tuple of them), not
#: data read from somewhere (a subscript, a name, a call).
WORDED = ast.Constant | ast.JoinedStr | ast.BinOp | ast.Tuple


def _is_words(node: ast.expr) -> bool:
    return isinstance(node, WORDED) and not (
        isinstance(node, ast.Constant) and not isinstance(node.value, str)
    )


def _names_a_language(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Constant) and n.value in ("nl", "en") for n in ast.walk(node))


def _language_pairs(path: Path) -> list[str]:
    """Texts for people written in the code once per language, where a catalogue key belongs.

    Dicts (``{...}`` or ``dict(...)``) of words keyed nl and en, a choice between two words on
    the language (``"regels" if lang == "nl" else "lines"``), and functions taking words as
    ``en``/``nl`` arguments. Pairs of data (``{"nl": v["name_nl"], ...}``) are not texts.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        pairs: dict[object, ast.expr] = {}
        if isinstance(node, ast.Dict):
            pairs = {
                k.value: v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant)
            }
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "dict"
        ):
            pairs = {k.arg: k.value for k in node.keywords}
        if {"nl", "en"} <= {k for k, v in pairs.items() if _is_words(v)}:
            found.append(f"{path.name}:{node.lineno} dict")
        if (
            isinstance(node, ast.IfExp)
            and _names_a_language(node.test)
            and _is_words(node.body)
            and _is_words(node.orelse)
            and not {_value(node.body), _value(node.orelse)} <= {"nl", "en"}
        ):
            found.append(f"{path.name}:{node.lineno} if-lang")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = {a.arg for a in node.args.args + node.args.kwonlyargs}
            if {"nl", "en"} <= names:
                found.append(f"{path.name}:{node.lineno} {node.name}(en, nl)")
    return found


def _value(node: ast.expr) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def test_no_text_pairs_left_in_python_modules() -> None:
    # Interface texts and the texts Kiemen writes into data live in the catalogues; labels of
    # other vocabularies' terms in data/reference/vocabulary-labels.ttl.
    pairs = [
        f"{path.parent.name}/{p}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for p in _language_pairs(path)
    ]
    assert pairs == []


def test_the_pair_finder_finds_pairs(tmp_path: Path) -> None:
    # The test above cannot pass by finding nothing at all.
    source = tmp_path / "old.py"
    source.write_text(
        'T = {"nl": "Hallo", "en": "Hello"}\n'
        "def error(en: str, nl: str) -> None:\n"
        "    pass\n"
        'U = dict(nl=f"Graaf {g}", en="Graph " + g)\n'
        'W = "regels" if lang == "nl" else "lines"\n'
        'K = {"nl": ("een", "twee"), "en": ("one", "two")}\n'
        # data and language codes are not texts
        'D = {"nl": v["name_nl"], "en": name_en}\n'
        'O = "en" if lang == "nl" else "nl"\n'
        'N = {"nl": 1, "en": 2}\n'
    )
    assert sorted(_language_pairs(source)) == [
        "old.py:1 dict",
        "old.py:2 error(en, nl)",
        "old.py:4 dict",
        "old.py:5 if-lang",
        "old.py:6 dict",
    ]


# -------------------------------------------------------------------------------------------------
# rendering


def test_texts_render_with_their_values_in_each_language() -> None:
    words = Messages()
    hint = msg("upload.hint.bad_byte", line=3)
    text = msg("upload.error.not_utf8", file="initiatives.csv", hint=hint)
    assert words.render(text, "en") == (
        "initiatives.csv is not UTF-8 text (the first bad byte is on line 3; it looks like "
        "Windows-1252/ANSI); in Excel choose 'Save as' → 'CSV UTF-8 (comma delimited)', or "
        "upload the .xlsx workbook itself"
    )
    assert words.render(text, "nl").startswith(
        "initiatives.csv is geen UTF-8-tekst (de eerste foute byte staat op regel 3; "
    )
    listed = msg(
        "upload.error.unknown_column", column="x", table="roles", known=["a", "b"], hint=""
    )
    assert words.render(listed, "en") == "unknown column x: the table roles has the columns a, b"
    shape = msg("upload.shape.value", said=ByLang(nl="Te lang", en="Too long"), value="x")
    assert words.both(shape) == {"nl": "Te lang (waarde: x)", "en": "Too long (value: x)"}
    # A text is a value: equal keys and values are the same text (uploads drop doubles so).
    assert msg("report.would", added=1, changed=2, removed=3) == msg(
        "report.would", removed=3, changed=2, added=1
    )
    assert isinstance(hint, Text) and "line=3" in str(hint)


def test_a_text_missing_in_dutch_falls_back_to_english_then_to_its_key(tmp_path: Path) -> None:
    copied = copy_catalogues(tmp_path)
    drop_entry(copied, "nl", "upload.error.no_file")
    words = Messages(LANGS, copied)
    assert words.render(msg("upload.error.no_file"), "nl").startswith("no file was sent")
    assert words.render(msg("no.such.key"), "nl") == "no.such.key"


def test_a_missing_catalogue_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError):
        Messages(LANGS, tmp_path)


def test_the_template_documentation_is_worded_in_both_languages() -> None:
    words = Messages()
    form = TABLES["initiatives"].column("form")
    assert form is not None
    assert words.render(form.doc, "nl").endswith(
        "Meerdere waarden scheidt u met een puntkomma (;)."
    )
    assert words.render(form.doc, "en").endswith("Separate several values with a semicolon (;).")
    for spec in TABLES.values():
        for col in spec.columns:
            both = words.both(col.doc)
            assert all(both.values()) and both["nl"] != col.doc.key, col.name


# -------------------------------------------------------------------------------------------------
# the edges: the HTTP API, the upload page and the CLI


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with publishing_server(tmp_path_factory.mktemp("messages"), {"GM0344": ()}) as srv:
        yield srv


def _with_merged_code() -> bytes:
    text = example_text("initiatives")
    assert ",GM0344," in text
    return text.replace(",GM0344,", f",{MERGED},", 1).encode("utf-8")


@pytest.mark.slow
def test_an_upload_error_in_both_languages_through_the_api_the_page_and_the_cli(
    server: Server,
) -> None:
    # The API: message in English, message_nl in Dutch, as before the texts became keys.
    answer = requests.post(
        f"{server.url}/publish/api/GM0344/validate",
        files=example_files(initiatives=_with_merged_code()),
        headers=server.auth("GM0344"),
        timeout=120,
    )
    assert answer.status_code == 422, answer.text
    rows = [r for r in answer.json()["rows"] if r.get("rule") == "municipality code"]
    assert rows, answer.json()["rows"]
    en, nl = rows[0]["message"], rows[0]["message_nl"]
    assert en.startswith(f"{MERGED} (Uden) no longer exists: it merged into GM1991 (Maashorst)")
    assert nl.startswith(f"{MERGED} (Uden) bestaat niet meer: de gemeente ging op 2022-01-01 op in")
    assert answer.json()["summary_nl"].endswith("er is niets gepubliceerd.")

    # The upload page: the visitor's language.
    for lang, said in (("en", en), ("nl", nl)):
        page = requests.post(
            f"{server.url}/publish/upload?lang={lang}",
            data={"token": server.tokens["GM0344"], "action": "check"},
            files=[
                ("files", (name, io.BytesIO(data), "text/csv"))
                for name, data in (
                    ("initiatives.csv", _with_merged_code()),
                    ("actors.csv", example_text("actors").encode()),
                    ("roles.csv", example_text("roles").encode()),
                )
            ],
            timeout=120,
        )
        assert page.status_code == 422, page.text[:500]
        assert said.split(":")[0] in page.text

    # The CLI: the same text, in the language asked for (English by default).
    env = kiemen_env(server.store, server.base)
    args = ["publisher", "add", MERGED, "--contact-name", "Team", "--contact-email", "a@b.nl"]
    for extra, said in (([], en), (["--lang", "nl"], nl), (["--lang", "en"], en)):
        done = subprocess.run(
            [*kiemen_cmd(), *extra, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 2 and done.stderr.strip() == f"kiemen: {said}", done.stderr
    dutch = subprocess.run(
        [*kiemen_cmd(), *args],
        env={**env, "KIEMEN_LANG": "nl"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert dutch.stderr.strip() == f"kiemen: {nl}"
