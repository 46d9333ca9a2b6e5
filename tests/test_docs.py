"""The README keeps up with the code: every setting and every subcommand is documented."""

from __future__ import annotations

import re
import tomllib

from conftest import REPO

from cli.main import main

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    used: set[str] = set()
    for folder in ("cli", "core", "loaders", "portal"):
        for path in (REPO / folder).rglob("*.py"):
            used |= set(re.findall(r"KIEMEN_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8")))
    assert used, "the code reads settings from KIEMEN_* variables"
    missing = sorted(v for v in used if f"`{v}`" not in README)
    assert not missing, f"README's settings table lacks {missing}"


def test_every_subcommand_is_documented() -> None:
    missing = sorted(name for name in main.commands if f"`kiemen {name}" not in README)
    assert not missing, f"README's command table lacks {missing}"


def test_two_commands_come_first() -> None:
    first_code = README.index("```")
    block = README[first_code : README.index("```", first_code + 3)]
    assert "make run" in block and "make test" in block


def test_layout_diagram_matches_the_import_contract() -> None:
    """The README's layer diagram names the packages in the order the contract enforces."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    layout = README[README.index("## Layout") :]
    block = layout[layout.index("```") + 3 :]
    block = block[: block.index("```")]
    drawn = [line.split()[0] for line in block.splitlines() if line.strip() and line[0].isalpha()]
    assert drawn[: len(contract["layers"])] == contract["layers"], drawn
