"""Kiemen's core: settings, the store and its generations, namespaces and prefixes, the browse
and text indexes, spreadsheet reading. It imports nothing of ``loaders`` or ``portal`` (an
import-linter contract in ``pyproject.toml`` keeps it so), so every writer and reader builds on
one floor."""
