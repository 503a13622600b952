"""How alike two complaints are: cosine of IDF-weighted words and character trigrams, robust to misspelling.

Sets rather than a fitted vectorizer: comparing a new report with a couple of hundred open ones runs on
every submission, and plain sets do it several times faster than building TF-IDF matrices.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from classifier.text import normalise, tokens


@lru_cache(maxsize=4096)
def features(text: str) -> frozenset[str]:
    """The text's words and the character trigrams of each word (with its boundaries).

    Cached: the same open grievances are compared with every new report in their area.
    """
    words = tokens(normalise(text))
    found = set(words)
    for word in words:
        padded = f" {word} "
        found.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return frozenset(found)


def similarity(text: str, others: Sequence[str]) -> list[float]:
    """Cosine similarity (0–1) of `text` to each of `others`, features weighted by rarity among these texts."""
    if not others:
        return []
    sets = [features(other) for other in others]
    mine = features(text)
    counts: Counter[str] = Counter(mine)
    for found in sets:
        counts.update(found)
    n = len(sets) + 1
    weight = {feature: (math.log((n + 1) / (count + 1)) + 1) ** 2 for feature, count in counts.items()}
    mine_norm = math.sqrt(sum(weight[f] for f in mine))
    scores = []
    for found in sets:
        norm = mine_norm * math.sqrt(sum(weight[f] for f in found))
        scores.append(sum(weight[f] for f in mine & found) / norm if norm else 0.0)
    return scores
