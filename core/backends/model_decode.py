"""The decode loop shared by every backend that runs a PyTorch model itself.

A backend mixes this in next to `Generator` and provides `self.model` (the
LanguageModel interface of core/models/base.py: `logits, state =
model(idx, state)`, `new_state`, `reorder_state`, `context_length`,
`config.vocab_size`), `encode`, `eos_id` and `_piece(token_id)`. Our own
models fit directly; a Hugging Face model fits through a small adapter.

The loop is where the speed is won: one forward pass per new token over a
KV cache (or recurrent state), no re-encoding of the prefix, inference
mode, and sampling steps resolved once per request.
"""
from __future__ import annotations

from typing import Iterator

import torch

from textgen.core.backends.context_window import context_window
from textgen.core.generator import RawToken, TokenAlternative, TokenStream
from textgen.core.sampling import (SamplingParams, TokenHistory, apply_pipeline, build_pipeline,
                                   needs_history_counts)


class ModelDecodeLoop:
    model: object

    def _piece(self, token_id: int) -> str:
        raise NotImplementedError

    def _start_ids(self, prompt_ids: list[int]) -> list[int]:
        """A model needs at least one token to condition on."""
        if prompt_ids:
            return list(prompt_ids)
        if self.eos_id is not None:
            return [self.eos_id]
        try:
            return self.encode("\n")[-1:] or [0]
        except Exception:  # a vocabulary without newline
            return [0]

    @torch.inference_mode()
    def _forward(self, ids: list[int] | torch.Tensor, state):
        idx = ids if isinstance(ids, torch.Tensor) else torch.tensor([ids])
        logits, state = self.model(idx, state)
        return logits[:, -1, :].float(), state

    @torch.inference_mode()
    def _prefill(self, ids: list[int]):
        """Run the prompt (cut to the context window); return last logits and state."""
        state = self.model.new_state(1)
        return self._forward(ids, state)

    def _window(self, ids: list[int], max_new: int) -> list[int]:
        return context_window(ids, max_new, self.model.context_length)

    def _token_ids(self, prompt_ids: list[int], params: SamplingParams,
                   stream: TokenStream) -> Iterator[RawToken]:
        ids = self._start_ids(prompt_ids)
        if params.num_beams > 1:
            yield from self._beam_tokens(ids, params, stream)
            return
        vocab = self.model.config.vocab_size
        steps = build_pipeline(params, vocab)
        history = TokenHistory([ids], vocab) if needs_history_counts(steps) else None
        rng = torch.Generator().manual_seed(params.resolved_seed())
        limit = self.model.context_length
        logits, state = self._prefill(self._window(ids, params.max_tokens))
        want_top = params.logprobs
        while not stream.cancelled:
            with torch.inference_mode():
                processed = apply_pipeline(steps, logits.clone() if steps else logits, history)
                if params.greedy:
                    token = int(processed.argmax(-1))
                    probs = None
                else:
                    probs = processed.softmax(-1)
                    token = int(torch.multinomial(probs, 1, generator=rng))
                logprobs = logits.log_softmax(-1)
                raw = RawToken(token, float(logprobs[0, token]))
                if want_top:
                    raw.top = self._alternatives(logprobs[0], processed[0], probs, want_top)
            yield raw
            ids.append(token)
            if history is not None:
                history.append([token])
            if limit is not None and state.length >= limit:
                logits, state = self._prefill(self._window(ids, limit // 4))
            else:
                logits, state = self._forward(torch.tensor([[token]]), state)

    def _alternatives(self, logprobs, processed, probs, k: int) -> list[TokenAlternative]:
        if probs is None:  # greedy: all mass on the arg-max
            probs = torch.zeros_like(processed)
            probs[processed.argmax()] = 1.0
        else:
            probs = probs[0]
        values, indices = logprobs.topk(min(k, logprobs.shape[-1]))
        return [TokenAlternative(i, self._piece(i), v, float(probs[i]))
                for v, i in zip(values.tolist(), indices.tolist())]

    def _beam_tokens(self, ids: list[int], params: SamplingParams, stream: TokenStream):
        from textgen.core.beam_search import beam_search

        result = beam_search(self.model, self._window(ids, params.max_tokens), params,
                             None if params.ignore_eos else self.eos_id,
                             self.model.config.vocab_size, lambda: stream.cancelled)
        for token in result.token_ids:
            yield RawToken(token)
        if result.stop_reason == "eos" and self.eos_id is not None:
            yield RawToken(self.eos_id)
