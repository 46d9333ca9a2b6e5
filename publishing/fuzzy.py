"""Close names among many labels: rapidfuzz's token-set ratio, scored only where it can reach
the cutoff.

Why: scoring each name of an upload against every candidate label (~200 x 60,000 pairs) with
``fuzz.token_set_ratio`` took ~2 CPU-s an upload, as that scorer splits and sorts a label's
words again for every pair. Its score depends only on the two sets of words, and when they
share no word it *is* the Indel ratio (``fuzz.ratio``) of their distinct words, sorted and
joined by single spaces: rapidfuzz defines it as the ratio of the two sets' differences, here
all their words, over the sum of those joined lengths (``rapidfuzz.fuzz_py.token_set_ratio``,
which the compiled scorer mirrors). So a label can reach the cutoff only if it shares a word
with the name, or if that plain ratio reaches it; ``cdist`` with ``fuzz.ratio`` over the labels'
words prepared once finds those for all pairs at a small part of the cost. Only the labels so
kept are scored, with ``fuzz.token_set_ratio`` itself: scores and order are the scorer's own.

The texts are words of letters and digits separated by single spaces (what
:func:`publishing.linking.normalise_name` makes), so Python's ``split`` and rapidfuzz's agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

#: Points below the cutoff the screen still keeps: its scores come rounded to whole points, and
#: its floating-point division is not the token-set scorer's (the same fraction either way).
SLACK = 2
#: Names screened against every label at once (a names x labels matrix of bytes per chunk).
CHUNK = 256


def distinct_words(text: str) -> str:
    """The text's distinct words, sorted, joined by single spaces."""
    return " ".join(sorted(set(text.split())))


#: The characters counted for the bound on labels that share a word (any others are left out:
#: a count over fewer characters is still a lower bound of the distance).
COUNTED = "abcdefghijklmnopqrstuvwxyz0123456789"
_CODES = np.full(256, -1, dtype=np.int64)
_CODES[np.frombuffer(COUNTED.encode(), dtype=np.uint8)] = np.arange(len(COUNTED))


def char_counts(texts: Sequence[str]) -> np.ndarray:
    """How often each of :data:`COUNTED` occurs in each text (a texts x 36 matrix)."""
    encoded = [t.encode() for t in texts]
    codes = _CODES[np.frombuffer(b"".join(encoded), dtype=np.uint8)]
    owner = np.repeat(np.arange(len(texts)), [len(e) for e in encoded])
    found = codes >= 0
    flat = np.bincount(
        owner[found] * len(COUNTED) + codes[found], minlength=len(texts) * len(COUNTED)
    )
    return flat.reshape(len(texts), len(COUNTED)).astype(np.int32)


@dataclass(frozen=True)
class Labels:
    """Labels prepared once for many names: as given, as distinct words, and by word."""

    texts: list[str]
    words: list[str]
    #: A word -> the indices of the labels that hold it, ascending.
    postings: dict[str, np.ndarray]
    #: Of each label's distinct words joined: its length, how many words, its characters.
    lengths: np.ndarray
    counts: np.ndarray
    chars: np.ndarray

    @classmethod
    def of(cls, texts: Sequence[str]) -> Labels:
        by_word: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            for word in set(text.split()):
                by_word.setdefault(word, []).append(i)
        postings = {w: np.array(ix, dtype=np.int64) for w, ix in by_word.items()}
        words = [distinct_words(t) for t in texts]
        lengths = np.array([len(w) for w in words], dtype=np.int64)
        counts = np.array([len(w.split()) for w in words], dtype=np.int64)
        return cls(list(texts), words, postings, lengths, counts, char_counts(words))


def close(
    labels: Labels, names: Iterable[str], minimum: float, limit: int
) -> dict[str, list[tuple[float, int]]]:
    """Each name's labels with ``fuzz.token_set_ratio`` at ``minimum`` or more: (score, index
    into ``labels.texts``), best first, ties by index, at most ``limit`` — what
    ``process.extract(name, labels.texts, scorer=fuzz.token_set_ratio, score_cutoff=minimum,
    limit=limit)`` gives one name at a time."""
    wanted = sorted({n for n in names if n})
    out: dict[str, list[tuple[float, int]]] = {}
    if not labels.texts:
        return out
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        screen = process.cdist(
            [distinct_words(n) for n in part],
            labels.words,
            scorer=fuzz.ratio,
            score_cutoff=max(0.0, minimum - SLACK),
            dtype=np.uint8,
            workers=-1,
        )
        for name, row in zip(part, screen, strict=True):
            out[name] = _best(labels, name, np.flatnonzero(row), minimum, limit)
    return out


def _best(
    labels: Labels, name: str, near: np.ndarray, minimum: float, limit: int
) -> list[tuple[float, int]]:
    """The name scored against the ``near`` labels and those sharing a word with it that can
    reach ``minimum`` (:func:`_sharing`)."""
    shared = _sharing(labels, name, minimum)
    kept = np.unique(np.concatenate([near, shared])) if len(shared) else near
    if not len(kept):
        return []
    scores = process.cdist(
        [name],
        [labels.texts[i] for i in kept],
        scorer=fuzz.token_set_ratio,
        score_cutoff=minimum,
        dtype=np.float64,
        workers=1,
    )[0]
    hit = np.flatnonzero(scores >= minimum)
    found, at = scores[hit], kept[hit]
    order = np.lexsort((at, -found))[:limit]
    return [(float(found[i]), int(at[i])) for i in order]


def _sharing(labels: Labels, name: str, minimum: float) -> np.ndarray:
    """The labels that share a word with ``name`` and may reach ``minimum``.

    rapidfuzz's token-set ratio of two word sets A and B sharing k words (joined: length s) is
    100 when one holds the other (then a or b is s: the first term below is 100 too), else the
    best of three: ``100 - 100 (a - s) / (a + s)``, the
    same with b, and ``100 - 100 d / (a + b)``, where a and b are the lengths of A's and B's
    words joined and d the Indel distance of the words each has alone, joined. The first two
    are exact from k, s, a and b; d is at least the difference of the two texts' character
    counts (the shared words' characters cancel out) plus the difference of their spaces.
    """
    words = set(name.split())
    found = [(labels.postings[w], len(w)) for w in words if w in labels.postings]
    if not found:
        return np.zeros(0, dtype=np.int64)
    every = np.concatenate([ix for ix, _n in found])
    sizes = np.concatenate([np.full(len(ix), n, dtype=np.int64) for ix, n in found])
    at, where = np.unique(every, return_inverse=True)
    k = np.bincount(where, minlength=len(at))
    s = np.bincount(where, weights=sizes, minlength=len(at)) + k - 1
    mine = distinct_words(name)
    a, b = len(mine), labels.lengths[at]
    n_a, n_b = len(words), labels.counts[at]
    d = np.abs(labels.chars[at] - char_counts([mine])[0]).sum(axis=1) + np.abs(n_a - n_b)
    bound = np.maximum(
        np.maximum(100 - 100 * (a - s) / (a + s), 100 - 100 * (b - s) / (b + s)),
        100 - 100 * d / (a + b),
    )
    kept: np.ndarray = at[bound >= minimum - SLACK]
    return kept
