"""Close names for link suggestions: computed for a whole upload at once (rapidfuzz's cdist),
they must be exactly what asking rapidfuzz one name at a time gives (``process.extract`` with
the same scorer, cutoff and limit): the same labels, scores and order, ties included."""

from __future__ import annotations

import random

import numpy as np
from rapidfuzz import fuzz, process

from publishing import fuzzy, linking

WORDS = [
    "buurt",
    "tuin",
    "moestuin",
    "energie",
    "cooperatie",
    "zorg",
    "repair",
    "cafe",
    "voedselbank",
    "wijk",
    "huis",
    "deelauto",
    "bibliotheek",
    "jongeren",
    "ouderen",
    "taal",
    "school",
    "sport",
    "park",
    "groen",
    "stad",
    "dorp",
    "fiets",
    "markt",
    "kerk",
    "centrum",
    "stichting",
    "vereniging",
    "collectief",
    "netwerk",
    "platform",
]


def _pool(rng: random.Random, n: int) -> linking._Pool:
    cands = [linking.Candidate(f"https://example.org/c/{i}", "initiative") for i in range(n)]
    for c in cands:
        for _ in range(rng.randint(1, 3)):
            c.labels.add(" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))))
    return linking._pools(tuple(cands))["initiative"]


def _mutated(rng: random.Random, label: str) -> str:
    words = label.split()
    match rng.randint(0, 3):
        case 0:
            rng.shuffle(words)
        case 1 if len(words) > 1:
            words.pop(rng.randrange(len(words)))
        case 2:
            i = rng.randrange(len(words))
            w = words[i]
            words[i] = w[:-1] if len(w) > 3 else w + "e"
        case _:
            words.append(rng.choice(WORDS))
    return " ".join(words)


def test_close_names_are_what_extract_gives_one_name_at_a_time() -> None:
    rng = random.Random(18)
    prepared = _pool(rng, 2_500)
    names = [_mutated(rng, rng.choice(prepared.labels)) for _ in range(300)]
    names += [" ".join(rng.choice(WORDS) for _ in range(3)) for _ in range(100)]
    names.append("")
    close = linking.close_names(prepared, names)
    compared = ties = 0
    for name in {n for n in names if n}:
        expected = [
            (float(score), prepared.keys.index(key))
            for _choice, score, key in process.extract(
                name,
                prepared.choices,
                scorer=fuzz.token_set_ratio,
                score_cutoff=linking.FUZZY_MIN,
                limit=linking.CLOSE_LIMIT,
            )
        ]
        assert close.get(name, []) == expected, name
        compared += len(expected)
        ties += len(expected) - len({s for s, _ in expected})
    assert "" not in close
    assert compared > 1_000 and ties > 100  # the comparison reached many hits and many ties


def _typo(rng: random.Random, word: str) -> str:
    """The word with one letter changed, dropped or doubled: never the same word."""
    i = rng.randrange(len(word))
    match rng.randint(0, 2):
        case 0:
            return word[:i] + ("x" if word[i] != "x" else "y") + word[i + 1 :]
        case 1 if len(word) > 1:
            return word[:i] + word[i + 1 :]
        case _:
            return word[:i] + word[i] + word[i:]


def _plain_cdist(prepared: linking._Pool, names: list[str]) -> dict[str, list[tuple[float, int]]]:
    """Every name against every label with the token-set scorer, as before the prefilter."""
    scores = process.cdist(
        names,
        prepared.labels,
        scorer=fuzz.token_set_ratio,
        score_cutoff=linking.FUZZY_MIN,
        dtype=np.float64,
    )
    out = {}
    for name, row in zip(names, scores, strict=True):
        hits = np.flatnonzero(row >= linking.FUZZY_MIN)
        best = hits[np.lexsort((hits, -row[hits]))][: linking.CLOSE_LIMIT]
        out[name] = [(float(row[i]), int(i)) for i in best]
    return out


def test_close_names_are_the_plain_cdist_of_every_pair() -> None:
    """The prefilter keeps every label that can reach the cutoff: labels sharing a word with
    the name, and (sharing none) those whose plain ratio of distinct sorted words reaches it.
    Both kinds of hit must be there (names with every word misspelt reach labels through the
    second only), with the scores and order of the token-set scorer on every pair."""
    rng = random.Random(7)
    prepared = _pool(rng, 4_000)
    names = [_mutated(rng, rng.choice(prepared.labels)) for _ in range(300)]
    names += [
        " ".join(_typo(rng, w) for w in rng.choice(prepared.labels).split()) for _ in range(300)
    ]
    names += [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5))) for _ in range(100)]
    # a label's words but its longest, and a one-letter word: close by the shared words alone
    # (the token-set ratio's "intersection against one side"), far apart by the words not shared
    long = [lab.split() for lab in prepared.labels if len(set(lab.split())) >= 3][:300]
    names += [" ".join([*sorted(set(w), key=len)[:-1], "x"]) for w in long]
    names += ["stichting", "buurt buurt tuin", "x", "zzz qqq", "tuin buurt"]
    wanted = sorted(set(names))
    close = linking.close_names(prepared, names)
    assert close == _plain_cdist(prepared, wanted)
    apart = shared = 0
    for name, hits in close.items():
        for _score, i in hits:
            if set(name.split()) & set(prepared.labels[i].split()):
                shared += 1
            else:
                apart += 1
    assert shared > 1_000 and apart > 200, (shared, apart)


def test_labels_sharing_a_word_are_kept_when_they_can_reach_the_cutoff() -> None:
    """The bound on labels that share a word with a name keeps every one that scores at least
    the cutoff (checked against the scorer on every such pair) and leaves out most others."""
    rng = random.Random(11)
    prepared = _pool(rng, 2_000)
    long = [lab.split() for lab in prepared.labels if len(set(lab.split())) >= 3][:200]
    names = [" ".join([*sorted(set(w), key=len)[:-1], "x"]) for w in long]
    names += [_mutated(rng, rng.choice(prepared.labels)) for _ in range(200)]
    reached = left_out = 0
    for name in names:
        kept = set(fuzzy._sharing(prepared.index, name, linking.FUZZY_MIN).tolist())
        words = set(name.split())
        for i, label in enumerate(prepared.labels):
            if not words & set(label.split()):
                continue
            if fuzz.token_set_ratio(name, label) >= linking.FUZZY_MIN:
                assert i in kept, (name, label)
                reached += 1
            elif i not in kept:
                left_out += 1
    assert reached > 10_000 and left_out > 100_000, (reached, left_out)
