"""Each sampling step on hand-made logits."""
from __future__ import annotations

import math

import torch

from textgen.core.sampling import (MinP, NoRepeatNGram, PresenceFrequencyPenalty,
                                   RepetitionPenalty, SamplingParams, TokenHistory, TopK, TopP,
                                   build_pipeline)


def hist(rows, v=5):
    return TokenHistory(rows, v)


def test_top_k_keeps_k():
    logits = torch.tensor([[1.0, 5.0, 3.0, 4.0, 2.0]])
    out = TopK(2)(logits, hist([[]]))
    assert torch.isfinite(out).tolist() == [[False, True, False, True, False]]


def test_top_p_keeps_smallest_set():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    out = TopP(0.75)(probs.log(), hist([[]], 4))
    assert torch.isfinite(out).tolist() == [[True, True, False, False]]
    out = TopP(0.85)(probs.log(), hist([[]], 4))
    assert torch.isfinite(out).tolist() == [[True, True, True, False]]


def test_min_p_relative_threshold():
    probs = torch.tensor([[0.6, 0.3, 0.07, 0.03]])
    out = MinP(0.1)(probs.log(), hist([[]], 4))
    assert torch.isfinite(out).tolist() == [[True, True, True, False]]


def test_repetition_penalty_signs():
    logits = torch.tensor([[2.0, -2.0, 2.0, 0.0, 1.0]])
    out = RepetitionPenalty(2.0)(logits, hist([[0, 1]]))
    assert out.tolist() == [[1.0, -4.0, 2.0, 0.0, 1.0]]


def test_presence_frequency():
    logits = torch.zeros(1, 5)
    out = PresenceFrequencyPenalty(0.5, 0.25)(logits, hist([[2, 2, 3]]))
    assert out.tolist() == [[0.0, 0.0, -1.0, -0.75, 0.0]]


def test_no_repeat_ngram_bans_completion():
    logits = torch.zeros(1, 5)
    out = NoRepeatNGram(2)(logits, hist([[1, 2, 3, 1]]))
    assert out[0, 2] == -math.inf
    assert torch.isfinite(out[0, [0, 1, 3, 4]]).all()


def test_pipeline_order_and_greedy_skips_warpers():
    params = SamplingParams(temperature=0.5, top_k=3, top_p=0.9, min_p=0.1, repetition_penalty=1.2,
                            logit_bias={1: 2.0}, presence_penalty=0.1, no_repeat_ngram_size=3)
    names = [type(s).__name__ for s in build_pipeline(params, 10)]
    assert names == ["LogitBias", "RepetitionPenalty", "PresenceFrequencyPenalty", "NoRepeatNGram",
                     "Temperature", "TopK", "TopP", "MinP"]
    greedy = [type(s).__name__ for s in build_pipeline(params.replace(temperature=0), 10)]
    assert greedy == names[:4]
