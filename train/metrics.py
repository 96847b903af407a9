"""Text-generation metrics, as plain functions of numbers and strings.

- :func:`perplexity` = exp(total nats / tokens).
- :func:`bits_per_character` = total nats / characters / ln 2: the same text
  scored by a character, word or BPE model gives comparable figures, since
  the denominator does not depend on the tokenizer.
- :func:`bleu` (sacrebleu, 0-100) of generated texts against references.
- :func:`distinct_n`: distinct word n-grams / all word n-grams over a set of
  texts (Li et al., 2016): low values mean the texts say the same things.
- :func:`self_bleu`: the mean BLEU of each text against all the others
  (Zhu et al., 2018): high values mean the samples resemble each other.
- :func:`repetition_rate`: the share of word n-grams in a text that repeat
  an earlier n-gram of the same text, averaged over texts: loops and
  stutters push it up.

Words are whitespace-separated tokens, so the figures do not depend on any
model's tokenizer.
"""
from __future__ import annotations

import math
from typing import Sequence

from textgen.core.errors import TextgenError


def perplexity(total_nats: float, n_tokens: int) -> float:
    if n_tokens <= 0:
        return float("nan")
    return math.exp(min(total_nats / n_tokens, 700.0))


def bits_per_character(total_nats: float, n_chars: int) -> float:
    if n_chars <= 0:
        return float("nan")
    return total_nats / n_chars / math.log(2)


def words(text: str) -> list[str]:
    return text.split()


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    grams = [g for text in texts for g in ngrams(words(text), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition_rate(texts: Sequence[str], n: int = 4) -> float:
    rates = []
    for text in texts:
        grams = ngrams(words(text), n)
        if grams:
            rates.append(1.0 - len(set(grams)) / len(grams))
    return sum(rates) / len(rates) if rates else 0.0


def _bleu_class():
    try:
        from sacrebleu.metrics import BLEU
    except ImportError:
        raise TextgenError("BLEU needs the `sacrebleu` package: pip install sacrebleu") from None
    return BLEU


def bleu(hypotheses: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]]
         ) -> float:
    """Corpus BLEU; ``references`` holds one reference per hypothesis, or a list each."""
    if len(hypotheses) != len(references):
        raise TextgenError(f"BLEU needs one reference per text ({len(hypotheses)} texts, "
                           f"{len(references)} references)")
    if not hypotheses:
        return 0.0
    per_text = [[r] if isinstance(r, str) else list(r) for r in references]
    width = max(len(r) for r in per_text)
    # sacrebleu wants reference streams: stream k holds the k-th reference of every text
    streams = [[refs[k] if k < len(refs) else "" for refs in per_text] for k in range(width)]
    return float(_bleu_class()().corpus_score(list(hypotheses), streams).score)


def self_bleu(texts: Sequence[str]) -> float:
    if len(texts) < 2:
        return 0.0
    scorer = _bleu_class()(effective_order=True)
    scores = [scorer.sentence_score(text, [t for j, t in enumerate(texts) if j != i]).score
              for i, text in enumerate(texts)]
    return sum(scores) / len(scores)


def sample_metrics(samples: Sequence[str], references: Sequence[str] | None = None) -> dict:
    """Every sample-based figure at once (BLEU only with references)."""
    out = {"count": len(samples),
           "distinct_1": distinct_n(samples, 1), "distinct_2": distinct_n(samples, 2),
           "distinct_3": distinct_n(samples, 3), "self_bleu": self_bleu(samples),
           "repetition_rate": repetition_rate(samples)}
    if references is not None:
        out["bleu"] = bleu(samples, references)
    return out
