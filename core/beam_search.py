"""Beam search over any LanguageModel, batched: all beams run as one batch
and the model state is reordered after each step.

With num_beams=1 it picks the arg-max at every step, i.e. it equals greedy.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from textgen.core.sampling import SamplingParams, TokenHistory, apply_pipeline, build_pipeline


@dataclass
class BeamResult:
    token_ids: list[int]
    score: float
    stop_reason: str   # eos | length | context


def beam_search(model, prompt_ids: list[int], params: SamplingParams, eos_id: int | None,
                vocab_size: int, cancelled=lambda: False) -> BeamResult:
    with torch.inference_mode():
        return _beam_search(model, prompt_ids, params, eos_id, vocab_size, cancelled)


def _beam_search(model, prompt_ids, params, eos_id, vocab_size, cancelled) -> BeamResult:
    n = params.num_beams
    steps = build_pipeline(params, vocab_size, for_beams=True)
    limit = model.context_length
    state = model.new_state(1)
    logits, state = model(torch.tensor([prompt_ids]), state)
    logits = logits[:, -1, :].expand(n, -1).float()
    state = model.reorder_state(state, torch.zeros(n, dtype=torch.long))
    history = TokenHistory([prompt_ids] * n, logits.shape[-1])
    beam_tokens: list[list[int]] = [[] for _ in range(n)]
    beam_scores = torch.full((n,), float("-inf"))
    beam_scores[0] = 0.0  # all beams start identical: expand only the first
    finished: list[tuple[float, list[int]]] = []
    length = len(prompt_ids)
    stop_reason = "length"

    def normalised(score: float, tokens: int) -> float:
        return score / (max(tokens, 1) ** params.length_penalty)

    for step in range(params.max_tokens):
        if cancelled():
            break
        scores = apply_pipeline(steps, logits, history).log_softmax(-1) + beam_scores[:, None]
        flat = scores.view(-1)
        top_scores, top_ids = flat.topk(min(2 * n, flat.numel()))
        next_beams, next_tokens, next_scores = [], [], []
        for score, flat_id in zip(top_scores.tolist(), top_ids.tolist()):
            beam, token = divmod(flat_id, scores.shape[-1])
            if score == float("-inf"):
                break
            if eos_id is not None and token == eos_id and not params.ignore_eos:
                finished.append((normalised(score, step + 1), beam_tokens[beam]))
                continue
            next_beams.append(beam)
            next_tokens.append(token)
            next_scores.append(score)
            if len(next_beams) == n:
                break
        if params.early_stopping and len(finished) >= n:
            stop_reason = "eos"
            break
        if not next_beams:
            stop_reason = "eos"
            break
        while len(next_beams) < n:  # pad with dead copies so the batch keeps its size
            next_beams.append(next_beams[0])
            next_tokens.append(next_tokens[0])
            next_scores.append(float("-inf"))
        if not params.early_stopping and finished:
            best_done = max(s for s, _ in finished)
            best_live = normalised(max(next_scores), step + 1)
            if params.length_penalty <= 0 and best_live < best_done:
                stop_reason = "eos"
                break
        index = torch.tensor(next_beams)
        beam_tokens = [beam_tokens[b] + [t] for b, t in zip(next_beams, next_tokens)]
        beam_scores = torch.tensor(next_scores)
        history.reorder(next_beams)
        history.append(next_tokens)
        state = model.reorder_state(state, index)
        length += 1
        if step + 1 == params.max_tokens:
            break
        if limit is not None and length >= limit:
            stop_reason = "context"
            break
        logits, state = model(torch.tensor(next_tokens).unsqueeze(1), state)
        logits = logits[:, -1, :].float()

    live = [(normalised(s, len(t)), t) for s, t in zip(beam_scores.tolist(), beam_tokens)
            if s != float("-inf")]
    candidates = finished + ([] if (params.early_stopping and len(finished) >= n) else live)
    if not candidates:
        return BeamResult([], 0.0, stop_reason)
    score, tokens = max(candidates, key=lambda c: c[0])
    stop_reason = "eos" if any(t is tokens for _, t in finished) else stop_reason
    return BeamResult(tokens, score, stop_reason)
