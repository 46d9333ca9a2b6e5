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


@dataclass(frozen=True)
class Labels:
    """Labels prepared once for many names: as given, as distinct words, and by word."""

    texts: list[str]
    words: list[str]
    #: A word -> the indices of the labels that hold it, ascending.
    postings: dict[str, np.ndarray]

    @classmethod
    def of(cls, texts: Sequence[str]) -> Labels:
        by_word: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            for word in set(text.split()):
                by_word.setdefault(word, []).append(i)
        postings = {w: np.array(ix, dtype=np.int64) for w, ix in by_word.items()}
        return cls(list(texts), [distinct_words(t) for t in texts], postings)


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
    """The name scored against the labels that share a word with it and the ``near`` ones."""
    shared = [labels.postings[w] for w in set(name.split()) if w in labels.postings]
    kept = np.unique(np.concatenate([near, *shared])) if shared else near
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
