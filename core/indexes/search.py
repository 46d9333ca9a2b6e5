"""Full-text search with tantivy that never fails: normalised words, one Dutch stemmer, corrections.

The index is built at load (``core/indexes/build.py``) into the generation's ``search/text``
directory, so it always matches the published store. Each document is one thing (initiative,
actor, place, concept, source document, literature reference) with:

* names and texts per language (stored: snippets come from them); the English ones through
  tantivy's English stemmer (``neighbourhood`` finds ``neighbourhoods``), the Dutch ones
  unstemmed, because Dutch has one stemmer here, :func:`stem_nl`;
* the same words *normalised* (:func:`normalise`: case and accents folded, hyphenated and
  apostrophe compounds joined, other punctuation dropped) in an unstemmed field ``plain``, with
  the parts of each compound beside the joined form, so ``riot cleanup``, ``riot clean-up`` and
  ``cleanup`` meet; the unstemmed field also finds names a stemmer mangles (``Gelderland``);
* those normalised words through :func:`stem_nl` in ``stem``: one Dutch stemmer in Python,
  applied identically to the index and to the query (``faciliteert``, ``faciliteren`` and
  ``gefaciliteerd``... meet, and ``buurtinitiatief`` meets ``buurtinitiatieven``);
* for initiatives, the names of their actors and places, so ``Leusden`` finds what happens there.

Queries are parsed here, never by tantivy's query parser, so no input can be a syntax error:
``AND``, ``OR``, ``NOT``, ``-word`` and ``"phrases"`` are used when they are well-formed and
searched as plain words otherwise. Every other word must match (in any field). A word the index
does not know is replaced by the nearest known word (the result says so: "showing results for")
or, when none is near, matched fuzzily; a search without results suggests ones that have some.
"""

from __future__ import annotations

import html
import json
import re
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import snowballstemmer
import tantivy
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from core.indexes.facets import pick

TEXT_DIR = "text"
VOCABULARY = "kiemen-vocabulary.json"
#: After an incremental update: the facet-index item of each stored ``item`` key (-1: gone).
#: Keys stay put when initiatives come and go, so unchanged documents are never rewritten.
ITEM_MAP = "kiemen-item-map.npy"
KINDS = ("initiative", "actor", "place", "concept", "document", "reference")
NAME_FIELDS = ("name_nl", "name_en")
TEXT_FIELDS = ("text_nl", "text_en")
STEMMED_FIELDS = (*NAME_FIELDS, *TEXT_FIELDS)
#: Fields holding normalised words (plain: names and texts; near: names of related things).
PLAIN_FIELDS = ("plain", "near")
BOOSTS = {"name_nl": 3.0, "name_en": 3.0}
MAX_QUERY_CHARS = 200
#: Words (operands) of one query that are searched; the rest are ignored (cost stays bounded).
MAX_QUERY_WORDS = 16
#: tantivy's default tokenizer drops longer tokens; the Python side does the same.
MAX_TOKEN_CHARS = 40
WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: A word with hyphens or apostrophes inside (clean-up, auto's); en and em dashes separate.
_COMPOUND = re.compile(r"[^\W_]+(?:[-\u2010\u2011'\u2019][^\W_]+)*", re.UNICODE)
_JOINERS = re.compile(r"(?<=[^\W_])[-\u2010\u2011'\u2019](?=[^\W_])", re.UNICODE)
_RAW_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
OPERATORS = ("AND", "OR", "NOT")
#: A key in a corrections map that asks for the words exactly as typed (no near spellings).
EXACT = ""


# -- normalisation: the same at index and query time ----------------------------------------------
def fold(text: str) -> str:
    """Lower case without accents (``Coöperatie`` → ``cooperatie``)."""
    if text.isascii():  # no accents to take off, and casefold() is lower() (most text)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise(text: str) -> str:
    """Text as the search compares it: folded, compounds joined, punctuation gone, one space.

    ``normalise("Riot Clean-up!")`` is ``"riot cleanup"``. The reconciliation service uses it
    too, so that a name matches there exactly when it matches here.
    """
    return " ".join(WORD.findall(_JOINERS.sub("", fold(text))))


#: ASCII text's characters that no word or compound holds, as spaces (see :func:`_tokens_of`).
_ASCII_GAPS = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not (c.isalnum() and c != "_") and c not in "-'"}
)


def _tokens_of(folded: str) -> Iterator[str]:
    """``_COMPOUND.findall(folded)``: for ASCII text (most), the gaps made spaces and the text
    split, then only a piece with a joiner in it searched (the Unicode pattern over all of it
    was the text index's largest cost). No match spans a gap, and the pattern looks neither
    back nor ahead, so the pieces' matches are the text's."""
    if not folded.isascii():
        yield from _COMPOUND.findall(folded)
        return
    for piece in folded.translate(_ASCII_GAPS).split():
        if piece.isalnum():
            yield piece
        else:
            yield from _COMPOUND.findall(piece)


def index_words(text: str) -> Iterator[str]:
    """The words an index keeps of ``text``: normalised, each compound joined *and* in parts."""
    for token in _tokens_of(fold(text)):
        if token.isalnum():  # one word (most tokens): WORD would find just it again
            yield token[:MAX_TOKEN_CHARS]
            continue
        parts = WORD.findall(token)
        if len(parts) > 1:
            yield "".join(parts)[:MAX_TOKEN_CHARS]
        for part in parts:
            yield part[:MAX_TOKEN_CHARS]


_SNOWBALL = threading.local()
_LONG_VOWEL = re.compile(r"([aeou])\1([^aeiouy])$")


@lru_cache(maxsize=65536)
def stem_nl(word: str) -> str:
    """One Dutch stem for a normalised word, the same for the index and the query.

    Snowball's Porter-style Dutch stemmer (it keeps ``ge-``, which the newer one strips from
    ``Gelderland``), then what it leaves apart: the ``-eert``/``-eerd`` verb forms
    (``faciliteert`` = ``faciliteren``), ``-heid``/``-heden`` kept whole (``overheden`` =
    ``overheid``, never ``over``), long vowels in a closed last syllable (``faciliteer``
    = ``faciliter``) and the f/v and s/z alternations (``initiatief`` = ``initiatieven``).
    """
    stemmer = getattr(_SNOWBALL, "nl", None)
    if stemmer is None:
        stemmer = _SNOWBALL.nl = snowballstemmer.stemmer("dutch_porter")
    if len(word) < 4 or not word.isalpha():
        return word
    if len(word) > 7 and word.endswith("heden"):
        word = word[:-5] + "heid"
    if word.endswith("heid"):
        return word  # Snowball strips -heid: "overheid" would meet every "over"
    stem = str(stemmer.stemWord(word))
    if len(stem) > 5 and stem.endswith(("eert", "eerd")):
        stem = stem[:-1]
    if len(stem) > 4:
        stem = _LONG_VOWEL.sub(r"\1\2", stem)
    if len(stem) > 3 and stem[-1] in "vz":
        stem = stem[:-1] + ("f" if stem[-1] == "v" else "s")
    return stem


def stems(words: Iterable[str]) -> str:
    return " ".join(map(stem_nl, words))


def schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("iri", stored=True, tokenizer_name="raw")
    sb.add_text_field("kind", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("item", stored=True, indexed=True, fast=True)
    # Dutch texts are tokenised unstemmed here: their one stemmer is stem_nl (field "stem").
    sb.add_text_field("name_nl", stored=True, tokenizer_name="default")
    sb.add_text_field("name_en", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("text_nl", stored=True, tokenizer_name="default")
    sb.add_text_field("text_en", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("plain", stored=False, tokenizer_name="default")
    sb.add_text_field("stem", stored=False, tokenizer_name="default")
    sb.add_text_field("near", stored=False, tokenizer_name="default")
    sb.add_text_field("near_stem", stored=False, tokenizer_name="default")
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


def words_of(d: SearchDoc) -> tuple[list[str], list[str]]:
    """The index words of ``d``'s own names and texts, and of what it is related to.

    :func:`document` and :func:`doc_words` both need them; computed once, they are half the
    text work of an index build.
    """
    # Text by text: no word spans two, and each is folded on its own, most as ASCII (the
    # " · " that joins the related names is not, and took them all down the slow path).
    own = [w for text in (*d.names.values(), *d.texts.values()) for w in index_words(text)]
    near = [w for text in d.related for w in _name_words(text)]
    return own, near


@lru_cache(maxsize=65536)
def _name_words(name: str) -> tuple[str, ...]:
    """:func:`index_words` of a related name: the same few thousand names (actors, places,
    forms, themes) recur in the documents of every initiative that names them."""
    return tuple(index_words(name))


def document(
    d: SearchDoc, key: int | None = None, words: tuple[list[str], list[str]] | None = None
) -> tantivy.Document:
    """The tantivy document of ``d``; ``key`` (default: its item) goes into the ``item`` field;
    ``words``: :func:`words_of` ``d``, if already known."""
    item = d.item if key is None else key
    doc = tantivy.Document()
    doc.add_text("iri", d.iri)
    doc.add_text("kind", d.kind)
    doc.add_unsigned("item", 0 if item is None else item + 1)
    for lang in ("nl", "en"):
        doc.add_text(f"name_{lang}", pick(d.names, lang))
        doc.add_text(f"text_{lang}", pick(d.texts, lang))
    own, near = words if words is not None else words_of(d)
    doc.add_text("plain", " ".join(own))
    doc.add_text("stem", stems(own))
    doc.add_text("near", " ".join(near))
    doc.add_text("near_stem", stems(near))
    doc.add_text("related", " · ".join(d.related))
    return doc


def doc_words(d: SearchDoc, words: tuple[list[str], list[str]] | None = None) -> set[str]:
    """The words of ``d`` that the vocabulary of corrections counts (once per document)."""
    own, near = words if words is not None else words_of(d)
    return {w for w in (*own, *near) if len(w) >= 3 and w.isalpha()}


def write_vocabulary(target: Path, vocabulary: Counter[str]) -> None:
    pairs = sorted((w, n) for w, n in vocabulary.items() if n > 0)
    (target / VOCABULARY).write_text(json.dumps(pairs, ensure_ascii=False), encoding="utf-8")


def build(docs: Iterable[SearchDoc], target: Path) -> int:
    """Write a new text index into ``target`` (a directory of a private generation), with the
    vocabulary (normalised words and in how many documents each occurs) that corrections use."""
    target.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema(), path=str(target))
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    vocabulary: Counter[str] = Counter()
    count = 0
    for d in docs:
        words = words_of(d)
        vocabulary.update(doc_words(d, words))
        writer.add_document(document(d, words=words))
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    write_vocabulary(target, vocabulary)
    return count


# -- the query: parsed here, so that no input is a syntax error ------------------------------
@dataclass
class Operand:
    """One thing the visitor typed: a word (possibly several after normalisation) or a phrase."""

    words: list[str]
    phrase: bool = False
    negated: bool = False


@dataclass
class Parsed:
    """What a query means: groups that must all match (each group: any of its operands)."""

    groups: list[list[Operand]]
    excluded: list[Operand]

    def positive_words(self) -> list[str]:
        return [w for g in self.groups for o in g for w in o.words]


def _operand(raw: str, phrase: bool = False) -> Operand | None:
    words = normalise(raw).split()
    return Operand(words, phrase=phrase and len(words) > 1) if words else None


def parse(text: str) -> Parsed:
    """Read a query: operators where they are well-formed, plain words everywhere else.

    ``a OR b`` (either), ``a AND b`` (both: the default anyway), ``NOT a`` and ``-a`` (without:
    only beside something wanted), ``"a b"`` (a phrase; an unclosed quote runs to the end).
    An operator without its operands (``AND``, ``OR x``, ``-``) is searched as a word.
    """
    groups, excluded = _group(_resolve(_tokens(text)))
    if not groups:
        # Nothing wanted, only exclusions: search for the excluded words themselves.
        groups = [[Operand(o.words, o.phrase)] for o in excluded]
        excluded = []
    return Parsed(_within_budget(groups), excluded[:MAX_QUERY_WORDS])


def _tokens(text: str) -> list[Operand | str]:
    """Operands and operator words, in the order typed."""
    items: list[Operand | str] = []
    for m in _RAW_TOKEN.finditer(text[:MAX_QUERY_CHARS]):
        quoted, bare = m.group(1), m.group(2)
        if quoted is not None:
            found = _operand(quoted, phrase=True)
        elif bare in OPERATORS:
            items.append(bare)
            continue
        elif bare.startswith("-") and len(bare) > 1 and WORD.match(bare[1:]):
            found = _operand(bare[1:])
            if found:
                found.negated = True
        else:
            found = _operand(bare)
        if found:
            items.append(found)
    return items


def _resolve(items: list[Operand | str]) -> list[Operand | str]:
    """Keep an operator only where it is well-formed: between (AND, OR) or before (NOT) operands.

    Any other operator is searched as a plain word; a kept NOT negates the operand after it.
    """
    resolved: list[Operand | str] = []
    for n, item in enumerate(items):
        if isinstance(item, str):
            before = resolved[-1] if resolved else None
            after = items[n + 1] if n + 1 < len(items) else None
            operand_before = isinstance(before, Operand) and not before.negated
            operand_after = isinstance(after, Operand) and not after.negated
            if (item == "NOT" and operand_after) or (
                item in ("AND", "OR") and operand_before and operand_after
            ):
                resolved.append(item)
                continue
            item = Operand([item.lower()])
        if resolved and resolved[-1] == "NOT":
            resolved.pop()
            item.negated = True
        resolved.append(item)
    return resolved


def _group(resolved: list[Operand | str]) -> tuple[list[list[Operand]], list[Operand]]:
    """Groups that must all match (each: any of its operands, joined by OR), and exclusions."""
    groups: list[list[Operand]] = []
    excluded: list[Operand] = []
    joined = False
    for item in resolved:
        if isinstance(item, str):
            joined = item == "OR"
            continue
        if item.negated:
            excluded.append(item)
        elif joined and groups:
            groups[-1].append(item)
        else:
            groups.append([item])
        joined = False
    return groups, excluded


def _within_budget(groups: list[list[Operand]]) -> list[list[Operand]]:
    """Bound the work: at most MAX_QUERY_WORDS words in all."""
    budget = MAX_QUERY_WORDS
    kept: list[list[Operand]] = []
    for group in groups:
        ops = []
        for o in group:
            if budget <= 0:
                break
            o.words = o.words[:budget]
            budget -= len(o.words)
            ops.append(o)
        if ops:
            kept.append(ops)
    return kept


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
    #: The query as it was searched when a word was replaced by a known one, else None.
    corrected: str | None = None
    #: Queries that find something, offered when this one found nothing.
    suggestions: list[str] = field(default_factory=list)


#: The address of a ``(score, address)`` hit (``map`` with it: no Python frame per hit).
_ADDRESS = itemgetter(1)

#: The value of a hit ordered by a fast field (``(value, address)``).
_VALUE = itemgetter(0)

#: How many queries' matches one text index keeps (least recently asked go first).
MATCHES_KEPT = 32

#: Hits of a query's best that one search gives and the index keeps (a page's top, mostly).
HEAD = 256

#: Most keys one search of a match set covers: no search hands back more hits than this, so
#: the Python objects of one search stay bounded (~10 MB) whatever the size of the index.
MATCH_CHUNK = 100_000


class TextIndex:
    """A read-only handle on one generation's text index."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.index = tantivy.Index.open(str(directory))
        self.schema = self.index.schema
        self._vocabulary: tuple[list[str], list[int]] | None = None
        mapped = directory / ITEM_MAP
        self._item_map: np.ndarray | None = np.load(mapped) if mapped.exists() else None
        # The matches of recent queries: the index never changes, and a list page, its facets,
        # its map and its exports ask for the same words' matches. An entry is a query's best
        # 256, its matches as bits (N/8 bytes) or a longer ranking (an int a hit asked for).
        self._matches: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self._matches_lock = threading.Lock()
        # A flag per item for every initiative, the highest stored key, and how many
        # initiatives: read once (see initiatives()).
        self._initiatives: tuple[np.ndarray, int] | None = None
        self._initiative_count = 0

    def item_of(self, stored: Any) -> int | None:
        """The facet-index item of a stored ``item`` value (0 and unknown keys: None)."""
        if not stored:
            return None
        key = int(stored) - 1
        if self._item_map is None:
            return key
        if key >= len(self._item_map) or self._item_map[key] < 0:
            return None
        return int(self._item_map[key])

    # -- words the index knows ------------------------------------------------------------
    @property
    def vocabulary(self) -> tuple[list[str], list[int]]:
        if self._vocabulary is None:
            path = self.directory / VOCABULARY
            pairs = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
            self._vocabulary = ([w for w, _n in pairs], [int(n) for _w, n in pairs])
        return self._vocabulary

    def known(self, word: str) -> bool:
        searcher = self.index.searcher()
        if any(searcher.doc_freq(name, word) for name in PLAIN_FIELDS):
            return True
        stem = stem_nl(word)
        return any(searcher.doc_freq(name, stem) for name in ("stem", "near_stem"))

    def correction(self, word: str) -> str | None:
        """The known word nearest to an unknown one (the most frequent of the nearest), if any
        is within edit distance 1 (2 for words of nine letters and more)."""
        if len(word) < 4 or not word.isalpha():
            return None
        words, counts = self.vocabulary
        limit = 2 if len(word) >= 9 else 1
        found = process.extract(
            word, words, scorer=Levenshtein.distance, score_cutoff=limit, limit=20
        )
        if not found:
            return None
        best = min(found, key=lambda f: (f[1], -counts[f[2]], f[0]))
        return str(best[0])

    def words(self, text: str) -> tuple[list[str], list[str]]:
        """Phrases and words of what the visitor typed (normalised)."""
        parsed = parse(text)
        ops = [o for g in parsed.groups for o in g]
        return [" ".join(o.words) for o in ops if o.phrase], [
            w for o in ops if not o.phrase for w in o.words
        ]

    # -- building queries --------------------------------------------------------------------
    def _term(self, name: str, value: str, boost: float = 1.0) -> tantivy.Query:
        query = tantivy.Query.term_query(self.schema, name, value)
        return tantivy.Query.boost_query(query, boost) if boost != 1.0 else query

    def _stemmed(self, text: str) -> tantivy.Query | None:
        """The language fields through tantivy's own analysers (for English stems and for the
        snippets). ``text`` is normalised: lower-case letters and digits only, never syntax."""
        try:
            return self.index.parse_query(text, list(STEMMED_FIELDS), field_boosts=BOOSTS)
        except ValueError:
            return None

    def _word(self, word: str) -> tantivy.Query:
        options: list[tuple[tantivy.Occur, tantivy.Query]] = [
            (tantivy.Occur.Should, self._term("plain", word)),
            (tantivy.Occur.Should, self._term("stem", stem_nl(word))),
            (tantivy.Occur.Should, self._term("near", word, 0.7)),
            (tantivy.Occur.Should, self._term("near_stem", stem_nl(word), 0.5)),
        ]
        stemmed = self._stemmed(word)
        if stemmed is not None:
            options.append((tantivy.Occur.Should, stemmed))
        return tantivy.Query.boolean_query(options)

    def _fuzzy(self, word: str) -> tantivy.Query:
        """Near spellings of a word the index does not hold, and longer words it begins."""
        options = []
        for name in PLAIN_FIELDS:
            fuzzy = tantivy.Query.fuzzy_term_query(
                self.schema,
                name,
                word,
                distance=2 if len(word) >= 9 else 1,
                transposition_cost_one=True,
                prefix=len(word) >= 5,
            )
            options.append((tantivy.Occur.Should, tantivy.Query.boost_query(fuzzy, 0.3)))
        return tantivy.Query.boolean_query(options)

    def _phrase(self, words: list[str]) -> tantivy.Query:
        options = [
            (
                tantivy.Occur.Should,
                tantivy.Query.phrase_query(
                    self.schema, "plain", list[str | tuple[int, str]](words)
                ),
            )
        ]
        stemmed = self._stemmed('"' + " ".join(words) + '"')
        if stemmed is not None:
            options.append((tantivy.Occur.Should, stemmed))
        return tantivy.Query.boolean_query(options)

    def _operand(self, op: Operand, fixes: dict[str, str]) -> tantivy.Query:
        if op.phrase:
            return self._phrase(op.words)
        clauses: list[tantivy.Query] = []
        words = op.words
        n = 0
        while n < len(words):
            word = words[n]
            # "clean up" also finds "cleanup" when the index holds the joined word.
            if n + 1 < len(words) and self.known(word + words[n + 1]):
                both = tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Must, self._single(word, fixes)),
                        (tantivy.Occur.Must, self._single(words[n + 1], fixes)),
                    ]
                )
                clauses.append(
                    tantivy.Query.boolean_query(
                        [
                            (tantivy.Occur.Should, both),
                            (tantivy.Occur.Should, self._word(word + words[n + 1])),
                        ]
                    )
                )
                n += 2
                continue
            clauses.append(self._single(word, fixes))
            n += 1
        if len(clauses) == 1:
            return clauses[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, c) for c in clauses])

    def _single(self, word: str, fixes: dict[str, str]) -> tantivy.Query:
        if word in fixes:
            return self._word(fixes[word])
        if EXACT not in fixes and len(word) >= 4 and not self.known(word):
            # Unknown and nothing near enough to correct it to: near spellings and prefixes.
            return tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, self._word(word)),
                    (tantivy.Occur.Should, self._fuzzy(word)),
                ]
            )
        return self._word(word)

    def corrections(self, parsed: Parsed) -> dict[str, str]:
        """Unknown words of the query with the known word each is replaced by."""
        fixes = {}
        for group in parsed.groups:
            for op in group:
                if op.phrase:
                    continue
                for word in op.words:
                    if word not in fixes and len(word) >= 4 and not self.known(word):
                        fixed = self.correction(word)
                        if fixed:
                            fixes[word] = fixed
        return fixes

    def build_query(
        self, parsed: Parsed, kind: str | None, fixes: dict[str, str]
    ) -> tantivy.Query | None:
        if not parsed.groups:
            return None
        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for group in parsed.groups:
            queries = [self._operand(op, fixes) for op in group]
            if len(queries) == 1:
                must.append((tantivy.Occur.Must, queries[0]))
            else:
                must.append(
                    (
                        tantivy.Occur.Must,
                        tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries]),
                    )
                )
        for op in parsed.excluded:
            must.append((tantivy.Occur.MustNot, self._operand(op, {})))
        if kind:
            must.append((tantivy.Occur.Must, self._term("kind", kind)))
        return tantivy.Query.boolean_query(must)

    def query(self, text: str, kind: str | None = None) -> tantivy.Query | None:
        parsed = parse(text)
        return self.build_query(parsed, kind, self.corrections(parsed))

    # -- searching ------------------------------------------------------------------------------
    def count(self, query: tantivy.Query | None) -> int:
        if query is None:
            return 0
        found = self.index.searcher().search(query, limit=1, count=True)
        return int(getattr(found, "count", 0) or 0)

    def search(
        self,
        text: str,
        lang: str,
        kind: str | None = None,
        limit: int = 20,
        offset: int = 0,
        exact: bool = False,
    ) -> Results:
        """One page of hits; ``exact`` searches the words as typed, without corrections."""
        parsed = parse(text)
        fixes = {EXACT: EXACT} if exact else self.corrections(parsed)
        query = self.build_query(parsed, kind, fixes)
        if query is None:
            return Results([], 0, {})
        searcher = self.index.searcher()
        found = searcher.search(query, limit=limit, offset=offset, count=True)
        total = int(getattr(found, "count", 0) or 0)
        kinds = self._kind_counts(parsed, fixes)
        words = [fixes.get(w, w) for w in parsed.positive_words()]
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
        corrected = _rewrite(text, fixes) if fixes and not exact and total else None
        suggestions = [] if total or kinds else self.suggest(parsed, kind)
        return Results(hits, total, kinds, corrected, suggestions)

    def suggest(self, parsed: Parsed, kind: str | None, most: int = 3) -> list[str]:
        """Queries near this one that find something: each word corrected, or one word left
        out (at most a few counted, so a search without results stays cheap)."""
        words = parsed.positive_words()
        candidates: list[str] = []
        fixed = [self.correction(w) or w for w in words]
        if fixed != words:
            candidates.append(" ".join(fixed))
        if len(words) > 1:
            candidates += [" ".join(words[:n] + words[n + 1 :]) for n in range(len(words))]
        out: list[str] = []
        for candidate in dict.fromkeys(candidates):
            if len(out) >= most:
                break
            if not candidate or all(len(w) < 2 for w in candidate.split()):
                continue
            if self.count(self.query(candidate, kind)):
                out.append(candidate)
        return out[:most]

    def _kind_counts(self, parsed: Parsed, fixes: dict[str, str]) -> dict[str, int]:
        out = {}
        for kind in KINDS:
            n = self.count(self.build_query(parsed, kind, fixes))
            if n:
                out[kind] = n
        return out

    def kind_counts(self, text: str) -> dict[str, int]:
        parsed = parse(text)
        return self._kind_counts(parsed, self.corrections(parsed))

    def corrected(self, text: str) -> str | None:
        """``text`` with its corrected words, when any word was corrected (else None)."""
        fixes = self.corrections(parse(text))
        return _rewrite(text, fixes) if fixes else None

    def _kept(self, key: tuple[str, int], make: Callable[[], Any]) -> Any:
        """What ``make`` gives for ``key``, made once and kept for the next asker (the index
        never changes; the least recently asked go first)."""
        with self._matches_lock:
            if key in self._matches:
                self._matches.move_to_end(key)
                return self._matches[key]
        found = make()
        with self._matches_lock:
            self._matches[key] = found
            while len(self._matches) > MATCHES_KEPT:
                self._matches.popitem(last=False)
        return found

    def matching_items(self, text: str, limit: int) -> np.ndarray:
        """Initiative item numbers (of the facet index) matching ``text``, best first (a
        read-only array, kept for the next asker of the same words). Up to :data:`HEAD`
        hits, the first of the kept best :data:`HEAD`: the top ``k`` by score is the first
        ``k`` of any longer top."""
        if limit <= HEAD:
            stored, _count = self.head(text)
            return _frozen(self._items_of(stored[:limit]))
        found: np.ndarray = self._kept((text, limit), lambda: _frozen(self._match(text, limit)))
        return found

    def head(self, text: str) -> tuple[np.ndarray, int]:
        """The stored ``item`` values of the best :data:`HEAD` initiatives matching ``text``,
        best first, and how many match in all (one search: the count comes with the top)."""

        def make() -> tuple[np.ndarray, int]:
            query = self.query(text, "initiative")
            if query is None:
                return np.zeros(0, dtype=np.int64), 0
            searcher = self.index.searcher()
            found = searcher.search(query, limit=HEAD, count=True)
            stored = searcher.fast_field_values("item", list(map(_ADDRESS, found.hits)))
            return _frozen(np.asarray(stored, dtype=np.int64)), int(getattr(found, "count", 0) or 0)

        head: tuple[np.ndarray, int] = self._kept((text, -2), make)
        return head

    def _match(self, text: str, limit: int) -> np.ndarray:
        """Mapped as one array (the same rule as :meth:`item_of`): a broad word matches most of
        200,000 initiatives, and a Python step per hit cost ~20 ms there."""
        query = self.query(text, "initiative")
        if query is None:
            return np.zeros(0, dtype=np.int32)
        searcher = self.index.searcher()
        found = searcher.search(query, limit=max(1, limit), count=False)
        stored = searcher.fast_field_values("item", list(map(_ADDRESS, found.hits)))
        return self._items_of(np.asarray(stored, dtype=np.int64))

    def _items_of(self, stored: np.ndarray) -> np.ndarray:
        """Facet-index items of stored ``item`` values, in their order (0 and unknown: left out)."""
        keys: np.ndarray = stored - 1
        keys = keys[keys >= 0]
        if self._item_map is None:
            return keys.astype(np.int32)
        keys = keys[keys < len(self._item_map)]
        items: np.ndarray = self._item_map[keys].astype(np.int32)
        return items[items >= 0]

    # -- every match, without a score ---------------------------------------------------------
    def match_bits(self, text: str) -> np.ndarray:
        """Every initiative matching ``text``: a bit per item (``np.packbits`` order; kept
        like :meth:`matching_items`, N/8 bytes a query: 1.25 MB at 10 M initiatives). The same
        query as :meth:`matching_items`, all of its matches.

        tantivy-py hands back a Python object per hit, ~0.2 µs each: a broad word matches
        165,000 of 200,000 initiatives. So the hits are gathered without scores, ordered by
        the ``item`` fast field, at most :data:`MATCH_CHUNK` a search (see :meth:`_stored`),
        and when more than half of the initiatives match, the initiatives that do *not*
        match are gathered instead and taken from all of them (35,000 hits, not 165,000).
        Both are exact: a boolean query's matches and its ``MUST_NOT`` complement.
        """
        found: np.ndarray = self._kept((text, -1), lambda: _frozen(self._match_bits(text)))
        return found

    def match_mask(self, text: str, size: int) -> np.ndarray:
        """:meth:`match_bits` as a boolean array over ``size`` items (a new one)."""
        return np.unpackbits(self.match_bits(text), count=size).view(bool)

    def match_count(self, text: str) -> int:
        """How many items :meth:`match_bits` holds."""
        return int(np.count_nonzero(np.unpackbits(self.match_bits(text))))

    def match_set(self, text: str) -> np.ndarray:
        """The items of :meth:`match_bits`, ascending."""
        bits = self.match_bits(text)
        return np.flatnonzero(np.unpackbits(bits)).astype(np.int32)

    def _match_bits(self, text: str) -> np.ndarray:
        query = self.query(text)
        every, top = self.initiatives()
        if query is None:
            return np.packbits(np.zeros(len(every), dtype=bool))
        searcher = self.index.searcher()
        kind = self._term("kind", "initiative")
        wanted = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, kind)]
        )
        _best, count = self.head(text)  # the same query's count, with the page's top
        # A flag per item, not np.unique/np.setdiff1d: those hash or sort (~30 ms at 200,000).
        if 2 * count <= self._initiative_count:
            flags = np.zeros(len(every), dtype=bool)
            flags[self._items_of(self._stored(searcher, wanted, top, count))] = True
        else:
            others = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, kind), (tantivy.Occur.MustNot, query)]
            )
            flags = every.copy()
            unwanted = self._stored(searcher, others, top, self._initiative_count - count)
            flags[self._items_of(unwanted)] = False
        return np.packbits(flags)

    def initiatives(self) -> tuple[np.ndarray, int]:
        """A flag per item, set for every initiative the index holds, and the highest stored
        key (read once)."""
        if self._initiatives is None:
            searcher = self.index.searcher()
            kind = self._term("kind", "initiative")
            highest = searcher.aggregate(kind, {"m": {"max": {"field": "item"}}})
            top = int(highest["m"]["value"] or 0)
            found = self._items_of(self._stored(searcher, kind, top))
            every = np.zeros(int(found.max()) + 1 if len(found) else 0, dtype=bool)
            every[found] = True
            self._initiative_count = int(np.count_nonzero(every))
            self._initiatives = (_frozen(every), top)
        return self._initiatives

    def _stored(
        self, searcher: tantivy.Searcher, query: tantivy.Query, top: int, expected: int = -1
    ) -> np.ndarray:
        """The stored ``item`` values of every match of ``query`` (keys 1 to ``top``).

        ``expected`` (the count of matches, if known) below :data:`MATCH_CHUNK`: one search
        for one hit more, checked to hand back exactly that many. Otherwise (or when the check
        fails) one search per :data:`MATCH_CHUNK` keys, which holds at most that many hits.
        """
        if 0 <= expected < MATCH_CHUNK:
            hits = searcher.search(
                query, limit=expected + 1, count=False, order_by_field="item"
            ).hits
            if len(hits) == expected:
                return np.fromiter(map(_VALUE, hits), dtype=np.int64, count=len(hits))
        parts = [np.zeros(0, dtype=np.int64)]
        for lower in range(1, top + 1, MATCH_CHUNK):
            upper = min(top + 1, lower + MATCH_CHUNK)
            within = tantivy.Query.range_query(
                self.schema, "item", tantivy.FieldType.Unsigned, lower, upper, True, False
            )
            ranged = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, within)]
            )
            hits = searcher.search(
                ranged, limit=upper - lower, count=False, order_by_field="item"
            ).hits
            parts.append(np.fromiter(map(_VALUE, hits), dtype=np.int64, count=len(hits)))
        return np.concatenate(parts)

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
            item=self.item_of(item),
            score=score,
            label=str(label),
            snippet=snippet,
        )


def _frozen(found: np.ndarray) -> np.ndarray:
    found.setflags(write=False)
    return found


def _rewrite(text: str, fixes: dict[str, str]) -> str:
    """The visitor's query with each corrected word replaced (the rest as typed)."""

    def swap(m: re.Match[str]) -> str:
        return fixes.get(normalise(m.group(0)), m.group(0))

    return re.sub(r"[^\s\"]+", swap, text[:MAX_QUERY_CHARS]).strip()


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
    stemmed = {stem_nl(t) for t in targets}
    spans = []
    for m in WORD.finditer(text):
        token = m.group(0).lower()
        if stem_nl(fold(token)) in stemmed:
            spans.append((m.start(), m.end()))
            continue
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
