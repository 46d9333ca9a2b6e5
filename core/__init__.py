"""Kiemen's core: settings, the store and its generations, namespaces and prefixes, media types,
tokens, spreadsheet reading, and the four parts every writer and reader shares: the write
pipeline with provenance and dumps (``core.write``), the SPARQL engine (``core.sparql``), the
validation against the shapes (``core.validation``) and the browse and text indexes
(``core.indexes``). It imports nothing of ``loaders`` or ``portal`` (an import-linter contract
in ``pyproject.toml`` keeps it so), so every writer and reader builds on one floor."""
