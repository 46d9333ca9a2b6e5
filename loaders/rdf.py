"""RDF files (Turtle, TriG, N-Triples, N-Quads, RDF/XML, JSON-LD, N3), plain or gzipped.

Triple formats stream through pyoxigraph's ``bulk_load`` (never the whole file in memory);
quad formats are re-graphed on the fly so that the source lands in its own named graph.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import IO, Any, ClassVar

import pyoxigraph as ox
from tqdm import tqdm

from loaders.base import LoadError, LoadStats, Problem, Source, sha256_file, slugify
from portal.config import Settings

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".n3": ox.RdfFormat.N3,
}
QUAD_FORMATS = {ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS}


def rdf_format(path: Path, explicit: str | None = None) -> ox.RdfFormat | None:
    """The RDF format of a file, from ``explicit`` (extension or media type) or its name."""
    if explicit:
        key = explicit if explicit.startswith(".") else "." + explicit
        if key in FORMATS:
            return FORMATS[key]
        try:
            return ox.RdfFormat.from_media_type(explicit)
        except Exception:
            return None
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return FORMATS.get(suffixes[-1]) if suffixes else None


class _Progress(io.RawIOBase):
    """A reader that advances a progress bar as pyoxigraph pulls bytes."""

    def __init__(self, raw: IO[bytes], bar: tqdm) -> None:
        self.raw = raw
        self.bar = bar

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.bar.update(n)
        return n


def open_source(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def syntax_problem(source: str, exc: BaseException) -> Problem:
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "offset", None)
    msg = str(getattr(exc, "msg", None) or exc)
    if isinstance(exc, UnicodeDecodeError) or "utf-8" in msg.lower() or "utf8" in msg.lower():
        msg = f"the file is not valid UTF-8 text ({msg}); save it as UTF-8 and load again"
    return Problem(source, f"not valid RDF: {msg}", rule="RDF syntax", line=line, column=col)


class RdfLoader:
    name: ClassVar[str] = "rdf"
    title: ClassVar[str] = "RDF file"

    @classmethod
    def accepts(cls, source: Source) -> bool:
        return not source.is_url and rdf_format(source.path, source.format) is not None

    def default_graph_name(self, source: Source) -> str:
        name = source.path.name
        for suffix in reversed(source.path.suffixes):
            name = name[: -len(suffix)]
        return "files/" + slugify(name)

    def write(
        self, source: Source, store: ox.Store, graph: ox.NamedNode, settings: Settings
    ) -> LoadStats:
        path = source.path
        if not path.exists():
            raise LoadError([Problem(source.display(), "no such file", rule="file exists")])
        if path.is_dir():
            raise LoadError([Problem(source.display(), "is a folder, not a file", rule="file")])
        if path.stat().st_size == 0:
            raise LoadError([Problem(source.display(), "the file is empty", rule="not empty")])
        fmt = rdf_format(path, source.format)
        if fmt is None:
            raise LoadError(
                [Problem(source.display(), "unknown RDF format; name the format with --format")]
            )
        stats = LoadStats(files=[(source.display(), sha256_file(path))])
        total = path.stat().st_size
        with (
            open_source(path) as raw,
            tqdm(
                total=total if path.suffix != ".gz" else None,
                unit="B",
                unit_scale=True,
                desc=f"load {path.name}",
                disable=None,
                leave=False,
            ) as bar,
        ):
            reader = io.BufferedReader(_Progress(raw, bar), buffer_size=1 << 20)
            try:
                if fmt in QUAD_FORMATS:
                    store.bulk_extend(
                        ox.Quad(q.subject, q.predicate, q.object, graph)
                        for q in ox.parse(reader, format=fmt, base_iri=source.options.get("base"))
                    )
                else:
                    store.bulk_load(
                        reader, format=fmt, to_graph=graph, base_iri=source.options.get("base")
                    )
            except SyntaxError as exc:
                raise LoadError([syntax_problem(source.display(), exc)]) from exc
            except (UnicodeDecodeError, ValueError, OSError, EOFError) as exc:
                raise LoadError([syntax_problem(source.display(), exc)]) from exc
        return stats
