"""Build data/mappings/participedia-options.json from a checkout of participedia/api.

Participedia's export writes a controlled value sometimes as its key (``non_profit_non_gov``)
and sometimes as its label, in the entry's language (``Non-Profit or Non Governmental``). The
keys are in ``api/helpers/shared-field-options.js``, the labels in ``locales/*.js`` (as
``"name:{field}-key:{key}": label``) and the country names in ``api/helpers/countries.js``.
This script reads those files at one commit (with Node, since they are JavaScript) and writes
the facts as JSON, naming the repository, commit and files, so the loader maps both forms.

It evaluates those two JavaScript files in Node: run it on a checkout of Participedia's public
repository, never on files from elsewhere. The locale files are read as JSON.

Usage: python loaders/participedia_options.py /path/to/participedia-api-git-dir OUT.json
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FILES = ["api/helpers/shared-field-options.js", "api/helpers/countries.js"]
LANGS = ["en", "fr", "es", "pt", "it", "de", "nl", "zh"]


def show(git_dir: str, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", git_dir, "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def node_eval(source: str, expr: str) -> object:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "m.js"
        f.write_text(source + f"\nconsole.log(JSON.stringify({expr}));\n", encoding="utf-8")
        out = subprocess.run(["node", str(f)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _kind_order(name: str) -> int:
    for i, kind in enumerate(("case_", "organization_", "method_")):
        if name.startswith(kind):
            return i
    return 3


def main(git_dir: str, out: str) -> None:
    commit = subprocess.run(
        ["git", "-C", git_dir, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    options = node_eval(
        show(git_dir, commit, FILES[0]).replace("module.exports =", "const options ="), "options"
    )
    countries_src = re.sub(r"module\.exports[^;]*;?", "", show(git_dir, commit, FILES[1]))
    countries = node_eval(countries_src, "countries")
    assert isinstance(options, dict) and isinstance(countries, list)
    fields: dict[str, dict[str, dict[str, str]]] = {
        f: {k: {} for k in keys} for f, keys in options.items() if isinstance(keys, list)
    }
    pattern = re.compile(r"^name:([a-z_]+)-key:(.+)$")
    column_label = re.compile(r"^(case|organization|method)_view_([a-z_0-9]+)_label$")
    columns: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        strings = json.loads(show(git_dir, commit, f"locales/{lang}.js"))
        for name, label in sorted(strings.items(), key=lambda kv: _kind_order(kv[0])):
            if not isinstance(label, str) or not label.strip():
                continue
            m = pattern.match(name)
            if m:
                fields.setdefault(m.group(1), {}).setdefault(m.group(2), {})[lang] = label.strip()
            c = column_label.match(name)
            if c:  # a column's label as the entry pages show it (case's wording first)
                columns.setdefault(c.group(2), {}).setdefault(lang, label.strip())
    data = {
        "source": {
            "repository": "https://github.com/participedia/api",
            "commit": commit,
            "files": [*FILES, *(f"locales/{lang}.js" for lang in LANGS)],
            "note": "Keys and labels of Participedia's controlled fields, the labels of its "
            "columns (from {case,organization,method}_view_{column}_label), its country list.",
        },
        "fields": {f: dict(sorted(v.items())) for f, v in sorted(fields.items())},
        "columns": dict(sorted(columns.items())),
        "countries": {c["value"]: c["key"] for c in countries},
    }
    Path(out).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
