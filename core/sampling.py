"""Sampling parameters and the small steps that turn logits into a choice.

A request's steps are resolved once (`build_pipeline`) and then applied in
this order on every token:

  1. logit bias            add fixed values to chosen token ids
  2. repetition penalty    divide positive / multiply negative logits of seen tokens
  3. presence / frequency  subtract a flat and a per-occurrence penalty (OpenAI style)
  4. no-repeat n-gram      forbid tokens that would repeat an n-gram
  5. temperature           scale logits (0 means greedy: steps 6-8 are skipped)
  6. top-k                 keep the k most likely tokens
  7. top-p                 keep the smallest set whose probability reaches p
  8. min-p                 drop tokens below min_p times the top probability

Steps 1-4 shape the distribution and also apply to beam search; 5-8 only
to sampling.
"""
from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Any

from textgen.core.errors import TextgenError


@dataclass
class SamplingParams:
    max_tokens: int = 200
    temperature: float = 0.8
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    no_repeat_ngram_size: int = 0
    logit_bias: dict[int, float] = field(default_factory=dict)
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    num_beams: int = 1
    length_penalty: float = 1.0
    early_stopping: bool = True
    logprobs: int = 0
    ignore_eos: bool = False

    def __post_init__(self):
        self.validate()

    def validate(self) -> "SamplingParams":
        def bad(name, why):
            raise TextgenError(f"invalid sampling parameter {name}={getattr(self, name)!r}: {why}")

        if not isinstance(self.max_tokens, int) or self.max_tokens < 0:
            bad("max_tokens", "must be an integer >= 0")
        if self.temperature < 0:
            bad("temperature", "must be >= 0 (0 means greedy)")
        if not isinstance(self.top_k, int) or self.top_k < 0:
            bad("top_k", "must be an integer >= 0 (0 turns it off)")
        if not 0 < self.top_p <= 1:
            bad("top_p", "must be in (0, 1]")
        if not 0 <= self.min_p < 1:
            bad("min_p", "must be in [0, 1)")
        if self.repetition_penalty <= 0:
            bad("repetition_penalty", "must be > 0 (1 turns it off)")
        for name in ("presence_penalty", "frequency_penalty"):
            if not -2 <= getattr(self, name) <= 2:
                bad(name, "must be in [-2, 2]")
        if not isinstance(self.no_repeat_ngram_size, int) or self.no_repeat_ngram_size < 0:
            bad("no_repeat_ngram_size", "must be an integer >= 0")
        if not isinstance(self.num_beams, int) or self.num_beams < 1:
            bad("num_beams", "must be an integer >= 1")
        if not isinstance(self.logprobs, int) or not 0 <= self.logprobs <= 20:
            bad("logprobs", "must be an integer in [0, 20]")
        if isinstance(self.stop, str):
            self.stop = [self.stop]
        if any(not isinstance(s, str) or not s for s in self.stop):
            bad("stop", "stop sequences must be non-empty strings")
        try:
            self.logit_bias = {int(k): float(v) for k, v in dict(self.logit_bias).items()}
        except (TypeError, ValueError):
            bad("logit_bias", "must map token ids to numbers")
        if self.seed is not None and not isinstance(self.seed, int):
            bad("seed", "must be an integer")
        return self

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def replace(self, **changes: Any) -> "SamplingParams":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "SamplingParams":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TextgenError(f"unknown sampling parameter(s): {', '.join(unknown)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def resolved_seed(self) -> int:
        return self.seed if self.seed is not None else random.randrange(2**31)


# --- steps -----------------------------------------------------------------
# Each step is a callable (logits[B, V], history) -> logits[B, V]. `history`
# is a TokenHistory: the ids seen so far per row, with counts on demand.


class TokenHistory:
    """Ids seen so far (prompt + generated) for each row of a batch."""

    def __init__(self, rows: list[list[int]], vocab_size: int, device="cpu"):
        import torch

        self.rows = [list(r) for r in rows]
        self.counts = torch.zeros(len(rows), vocab_size, device=device)
        for i, r in enumerate(rows):
            if r:
                ids = torch.tensor(r, device=device).clamp_(0, vocab_size - 1)
                self.counts[i].index_add_(0, ids, torch.ones(len(r), device=device))

    def append(self, tokens: list[int]) -> None:
        for i, t in enumerate(tokens):
            self.rows[i].append(t)
            if 0 <= t < self.counts.shape[1]:
                self.counts[i, t] += 1

    def reorder(self, index: list[int]) -> None:
        self.rows = [list(self.rows[i]) for i in index]
        self.counts = self.counts[index]


class LogitBias:
    def __init__(self, bias: dict[int, float], vocab_size: int):
        import torch

        self.vector = torch.zeros(vocab_size)
        for token, value in bias.items():
            if not 0 <= token < vocab_size:
                raise TextgenError(f"logit_bias token id {token} is outside the vocabulary (0..{vocab_size - 1})")
            self.vector[token] = value

    def __call__(self, logits, history):
        return logits + self.vector.to(logits.device)


class RepetitionPenalty:
    def __init__(self, penalty: float):
        self.penalty = penalty

    def __call__(self, logits, history):
        import torch

        seen = history.counts > 0
        scaled = torch.where(logits > 0, logits / self.penalty, logits * self.penalty)
        return torch.where(seen, scaled, logits)


class PresenceFrequencyPenalty:
    def __init__(self, presence: float, frequency: float):
        self.presence, self.frequency = presence, frequency

    def __call__(self, logits, history):
        counts = history.counts
        return logits - self.frequency * counts - self.presence * (counts > 0).to(logits.dtype)


class NoRepeatNGram:
    def __init__(self, n: int):
        self.n = n

    def __call__(self, logits, history):
        n = self.n
        for row, ids in enumerate(history.rows):
            if len(ids) < n:
                continue
            prefix = tuple(ids[len(ids) - n + 1:]) if n > 1 else ()
            banned = {ids[i + n - 1] for i in range(len(ids) - n + 1)
                      if tuple(ids[i:i + n - 1]) == prefix}
            if banned:
                logits[row, list(banned)] = float("-inf")
        return logits


class Temperature:
    def __init__(self, t: float):
        self.t = t

    def __call__(self, logits, history):
        return logits / self.t


class TopK:
    def __init__(self, k: int):
        self.k = k

    def __call__(self, logits, history):
        import torch

        k = min(self.k, logits.shape[-1])
        kth = torch.topk(logits, k, dim=-1).values[..., -1:]
        return logits.masked_fill(logits < kth, float("-inf"))


class TopP:
    def __init__(self, p: float):
        self.p = p

    def __call__(self, logits, history):
        import torch

        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = sorted_logits.softmax(-1)
        # drop a token when the mass before it already reaches p
        before = probs.cumsum(-1) - probs
        drop_sorted = before >= self.p
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        return logits.masked_fill(drop, float("-inf"))


class MinP:
    def __init__(self, p: float):
        self.p = p

    def __call__(self, logits, history):
        probs = logits.softmax(-1)
        threshold = probs.max(-1, keepdim=True).values * self.p
        return logits.masked_fill(probs < threshold, float("-inf"))


def build_pipeline(params: SamplingParams, vocab_size: int, for_beams: bool = False) -> list:
    """The steps a request needs, resolved once, in the documented order."""
    steps: list = []
    if params.logit_bias:
        steps.append(LogitBias(params.logit_bias, vocab_size))
    if params.repetition_penalty != 1.0:
        steps.append(RepetitionPenalty(params.repetition_penalty))
    if params.presence_penalty or params.frequency_penalty:
        steps.append(PresenceFrequencyPenalty(params.presence_penalty, params.frequency_penalty))
    if params.no_repeat_ngram_size:
        steps.append(NoRepeatNGram(params.no_repeat_ngram_size))
    if for_beams or params.greedy:
        return steps
    if params.temperature != 1.0:
        steps.append(Temperature(params.temperature))
    if params.top_k:
        steps.append(TopK(params.top_k))
    if params.top_p < 1.0:
        steps.append(TopP(params.top_p))
    if params.min_p > 0:
        steps.append(MinP(params.min_p))
    return steps


def apply_pipeline(steps: list, logits, history):
    for step in steps:
        logits = step(logits, history)
    return logits


def needs_history_counts(steps: list) -> bool:
    return any(isinstance(s, (RepetitionPenalty, PresenceFrequencyPenalty, NoRepeatNGram)) for s in steps)
