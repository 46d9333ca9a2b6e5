"""Full-text search with tantivy: Dutch and English stemming, highlighted snippets, typo tolerance.

The index is built at load (``loaders/indexes.py``) into the generation's ``search/text``
directory, so it always matches the published store. Each document is one thing (initiative,
actor, place, concept, source document, literature reference) with:

* names and texts in a Dutch-stemmed and an English-stemmed field (``bewoner`` finds
  ``bewoners``, ``neighbourhood`` finds ``neighbourhoods``);
* the same words once more in an unstemmed field, because the Dutch stemmer mangles some words
  (``Gelderland`` becomes ``lderland``) and leaves the f/v alternation (``buurtinitiatief`` vs
  ``buurtinitiatieven``); typo tolerance is a fuzzy query on that field (edit distance 1, or 2
  for long words, with prefix matching for words of five letters and more);
* for initiatives, the names of their actors and places, so ``Leusden`` finds what happens there.

Every word the visitor types must match (in any field); quoted text is a phrase.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy
from rapidfuzz.distance import Levenshtein

from portal.facets import pick

TEXT_DIR = "text"
KINDS = ("initiative", "actor", "place", "concept", "document", "reference")
NAME_FIELDS = ("name_nl", "name_en")
TEXT_FIELDS = ("text_nl", "text_en")
PLAIN_FIELDS = ("plain", "related")
SEARCH_FIELDS = (*NAME_FIELDS, *TEXT_FIELDS, *PLAIN_FIELDS)
BOOSTS = {"name_nl": 3.0, "name_en": 3.0, "plain": 1.0, "related": 0.7}
MAX_QUERY_CHARS = 200
WORD = re.compile(r"[^\W_]+", re.UNICODE)


def schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("iri", stored=True, tokenizer_name="raw")
    sb.add_text_field("kind", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("item", stored=True, indexed=True, fast=True)
    sb.add_text_field("name_nl", stored=True, tokenizer_name="nl_stem")
    sb.add_text_field("name_en", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("text_nl", stored=True, tokenizer_name="nl_stem")
    sb.add_text_field("text_en", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("plain", stored=False, tokenizer_name="default")
    sb.add_text_field("related", stored=True, tokenizer_name="default")
    return sb.build()


@dataclass
class SearchDoc:
    """One thing as the text index sees it."""

    iri: str
    kind: str
    item: int | None = None
    names: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)


def build(docs: Iterable[SearchDoc], target: Path) -> int:
    """Write a new text index into ``target`` (a directory of a private generation)."""
    target.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema(), path=str(target))
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    count = 0
    for d in docs:
        doc = tantivy.Document()
        doc.add_text("iri", d.iri)
        doc.add_text("kind", d.kind)
        doc.add_unsigned("item", 0 if d.item is None else d.item + 1)
        for lang in ("nl", "en"):
            name = pick(d.names, lang)
            text = pick(d.texts, lang)
            doc.add_text(f"name_{lang}", name)
            doc.add_text(f"text_{lang}", text)
        doc.add_text("plain", " ".join([*d.names.values(), *d.texts.values()]))
        doc.add_text("related", " · ".join(d.related))
        writer.add_document(doc)
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


@dataclass
class Hit:
    iri: str
    kind: str
    item: int | None
    score: float
    label: str
    snippet: str  # safe HTML: escaped text with <mark> around matches


@dataclass
class Results:
    hits: list[Hit]
    total: int
    kinds: dict[str, int]


class TextIndex:
    """A read-only handle on one generation's text index."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.index = tantivy.Index.open(str(directory))
        self.schema = self.index.schema

    # -- queries ---------------------------------------------------------------------------
    def words(self, text: str) -> tuple[list[str], list[str]]:
        """Phrases (quoted) and single words of what the visitor typed."""
        text = text[:MAX_QUERY_CHARS]
        phrases = [p.strip() for p in re.findall(r'"([^"]+)"', text) if p.strip()]
        rest = re.sub(r'"[^"]*"', " ", text)
        return phrases, WORD.findall(rest)

    def _parse(self, text: str) -> tantivy.Query:
        return self.index.parse_query(text, list(SEARCH_FIELDS), field_boosts=BOOSTS)

    def query(self, text: str, kind: str | None = None) -> tantivy.Query | None:
        phrases, words = self.words(text)
        if not phrases and not words:
            return None
        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for phrase in phrases:
            inner = " ".join(WORD.findall(phrase))
            if inner:
                must.append((tantivy.Occur.Must, self._parse(f'"{inner}"')))
        searcher = self.index.searcher()
        for word in words:
            options: list[tuple[tantivy.Occur, tantivy.Query]] = [
                (tantivy.Occur.Should, self._parse(word))
            ]
            lowered = word.lower()
            known = any(searcher.doc_freq(name, lowered) for name in PLAIN_FIELDS)
            if not known and len(lowered) >= 4:
                # A word the index does not hold is probably misspelt (or inflected in a way
                # the stemmer leaves alone): accept near spellings, and longer words they begin.
                for name in PLAIN_FIELDS:
                    fuzzy = tantivy.Query.fuzzy_term_query(
                        self.schema,
                        name,
                        lowered,
                        distance=2 if len(lowered) >= 9 else 1,
                        transposition_cost_one=True,
                        prefix=len(lowered) >= 5,
                    )
                    options.append((tantivy.Occur.Should, tantivy.Query.boost_query(fuzzy, 0.3)))
            must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(options)))
        if kind:
            must.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "kind", kind)))
        return tantivy.Query.boolean_query(must)

    def search(
        self, text: str, lang: str, kind: str | None = None, limit: int = 20, offset: int = 0
    ) -> Results:
        query = self.query(text, kind)
        if query is None:
            return Results([], 0, {})
        searcher = self.index.searcher()
        found = searcher.search(query, limit=limit, offset=offset, count=True)
        kinds = self.kind_counts(text)
        _phrases, words = self.words(text)
        other = "en" if lang == "nl" else "nl"
        generators = []
        for name in (f"text_{lang}", f"text_{other}", "related"):
            generator = tantivy.SnippetGenerator.create(searcher, query, self.schema, name)
            generator.set_max_num_chars(220)
            generators.append(generator)
        hits = []
        for score, address in found.hits:
            doc = searcher.doc(address)
            hits.append(self._hit(generators, doc, float(score), lang, words))
        return Results(hits, int(getattr(found, "count", 0) or 0), kinds)

    def kind_counts(self, text: str) -> dict[str, int]:
        searcher = self.index.searcher()
        out = {}
        for kind in KINDS:
            q = self.query(text, kind)
            if q is None:
                continue
            n = getattr(searcher.search(q, limit=1, count=True), "count", 0) or 0
            if n:
                out[kind] = int(n)
        return out

    def matching_items(self, text: str, limit: int) -> list[int]:
        """Initiative item numbers (of the facet index) matching ``text``, best first."""
        query = self.query(text, "initiative")
        if query is None:
            return []
        searcher = self.index.searcher()
        found = searcher.search(query, limit=max(1, limit), count=False)
        values = searcher.fast_field_values("item", [address for _score, address in found.hits])
        return [int(v) - 1 for v in values if v]

    # -- snippets ------------------------------------------------------------------------
    def _hit(
        self,
        generators: list[tantivy.SnippetGenerator],
        doc: tantivy.Document,
        score: float,
        lang: str,
        words: list[str],
    ) -> Hit:
        other = "en" if lang == "nl" else "nl"
        label = doc.get_first(f"name_{lang}") or doc.get_first(f"name_{other}") or ""
        snippet = ""
        for generator in generators:
            found = generator.snippet_from_doc(doc)
            if found.highlighted():
                snippet = _mark(found.fragment(), [(h.start, h.end) for h in found.highlighted()])
                break
        if not snippet:
            text = doc.get_first(f"text_{lang}") or doc.get_first(f"text_{other}") or ""
            snippet = fuzzy_snippet(text, words)
        item = doc.get_first("item")
        return Hit(
            iri=str(doc.get_first("iri")),
            kind=str(doc.get_first("kind")),
            item=(int(item) - 1) if item else None,
            score=score,
            label=str(label),
            snippet=snippet,
        )


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _mark(fragment: str, ranges: list[tuple[int, int]]) -> str:
    """Escape a fragment and put <mark> around byte ranges (tantivy gives byte offsets)."""
    raw = fragment.encode("utf-8")
    out, last = [], 0
    for start, end in sorted(ranges):
        out.append(_esc(raw[last:start].decode("utf-8", "ignore")))
        out.append("<mark>" + _esc(raw[start:end].decode("utf-8", "ignore")) + "</mark>")
        last = end
    out.append(_esc(raw[last:].decode("utf-8", "ignore")))
    return "".join(out)


def fuzzy_snippet(text: str, words: list[str], width: int = 220) -> str:
    """A snippet around words that match the query with typos (tantivy does not mark those)."""
    if not text:
        return ""
    targets = [w.lower() for w in words if len(w) >= 3]
    spans = []
    for m in WORD.finditer(text):
        token = m.group(0).lower()
        for t in targets:
            limit = 2 if len(t) >= 9 else 1
            if (
                token.startswith(t)
                or Levenshtein.distance(token, t) <= limit
                or (len(t) >= 5 and Levenshtein.distance(token[: len(t)], t) <= limit)
            ):
                spans.append((m.start(), m.end()))
                break
    if not spans:
        return _esc(text[:width] + (" …" if len(text) > width else ""))
    first = spans[0][0]
    begin = max(0, first - width // 3)
    if begin:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < first else begin
    end = min(len(text), begin + width)
    out, last = [], begin
    for s, e in spans:
        if s < begin or e > end:
            continue
        out.append(_esc(text[last:s]))
        out.append("<mark>" + _esc(text[s:e]) + "</mark>")
        last = e
    out.append(_esc(text[last:end]))
    return ("… " if begin else "") + "".join(out) + (" …" if end < len(text) else "")


_CACHE: dict[str, TextIndex] = {}
_LOCK = threading.Lock()


def for_directory(directory: Path) -> TextIndex:
    """The text index of one generation, opened once."""
    key = str(directory)
    found = _CACHE.get(key)
    if found is None:
        with _LOCK:
            found = _CACHE.get(key)
            if found is None:
                found = TextIndex(directory)
                while len(_CACHE) >= 4:
                    del _CACHE[next(iter(_CACHE))]
                _CACHE[key] = found
    return found


def as_json(hit: Hit) -> dict[str, Any]:
    return {
        "iri": hit.iri,
        "kind": hit.kind,
        "label": hit.label,
        "score": round(hit.score, 4),
        "snippet_html": hit.snippet,
    }
