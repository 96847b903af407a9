"""Near-duplicate detection for suggestions, by word n-gram Jaccard similarity."""
from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def word_ngrams(text: str, n: int = 2) -> set[tuple[str, ...]]:
    """The set of lower-cased word n-grams; texts shorter than n words give
    their words as one n-gram each, so short texts still compare."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {(w,) for w in words}
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str, n: int = 2) -> float:
    """|A ∩ B| / |A ∪ B| over word n-grams; 1.0 for two empty texts."""
    sa, sb = word_ngrams(a, n), word_ngrams(b, n)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def is_near_duplicate(text: str, kept: list[str], threshold: float, n: int = 2) -> bool:
    """Whether ``text`` is at least ``threshold`` similar to any kept text."""
    return any(jaccard(text, other, n) >= threshold for other in kept)
