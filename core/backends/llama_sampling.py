"""SamplingParams mapped onto llama.cpp's own samplers.

One request builds one llama.cpp sampler chain, in the order of
`core/sampling.py`:

  logit bias -> penalties (repetition, frequency, presence) ->
  temperature -> top-k -> top-p -> min-p          (skipped when greedy)

and a separate picker (llama.cpp's `dist`, seeded) draws from what the chain
leaves, so the probabilities a request reports are those it sampled from.
The penalties see the prompt too (its tokens are "accepted" first), as ours
do. No-repeat n-gram has no llama.cpp sampler: it is applied to the logits
before the chain, in numpy. Greedy takes the arg-max of the shaped logits.
"""
from __future__ import annotations

import ctypes

import llama_cpp
import numpy as np

from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams


class LlamaSampling:
    def __init__(self, params: SamplingParams, n_vocab: int, history_limit: int,
                 prompt_ids: list[int]):
        self.greedy = params.greedy
        self.n_vocab = n_vocab
        self.chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        self.picker = None
        try:
            self._build(params, history_limit)
        except BaseException:
            self.close()
            raise
        for token in prompt_ids:
            llama_cpp.llama_sampler_accept(self.chain, token)
        self.no_repeat = params.no_repeat_ngram_size
        self.history = list(prompt_ids)
        self._data = (llama_cpp.llama_token_data * n_vocab)()
        self._records = np.ctypeslib.as_array(self._data)   # fields: id, logit, p
        self._ids = np.arange(n_vocab, dtype=np.int32)
        self._array = llama_cpp.llama_token_data_array(
            data=ctypes.cast(self._data, llama_cpp.llama_token_data_p), size=n_vocab,
            selected=-1, sorted=False)

    def _build(self, p: SamplingParams, history_limit: int) -> None:
        add = lambda s: llama_cpp.llama_sampler_chain_add(self.chain, s)  # noqa: E731
        if p.logit_bias:
            bad = [t for t in p.logit_bias if not 0 <= t < self.n_vocab]
            if bad:
                raise TextgenError(f"logit_bias token id {bad[0]} is outside the vocabulary "
                                   f"(0..{self.n_vocab - 1})")
            biases = (llama_cpp.llama_logit_bias * len(p.logit_bias))()
            for i, (token, value) in enumerate(p.logit_bias.items()):
                biases[i].token, biases[i].bias = token, value
            add(llama_cpp.llama_sampler_init_logit_bias(self.n_vocab, len(p.logit_bias), biases))
        if p.repetition_penalty != 1.0 or p.frequency_penalty or p.presence_penalty:
            add(llama_cpp.llama_sampler_init_penalties(
                self.n_vocab, history_limit, p.repetition_penalty, p.frequency_penalty,
                p.presence_penalty))
        if p.greedy:
            return
        if p.temperature != 1.0:
            add(llama_cpp.llama_sampler_init_temp(p.temperature))
        if p.top_k:
            add(llama_cpp.llama_sampler_init_top_k(p.top_k))
        if p.top_p < 1.0:
            add(llama_cpp.llama_sampler_init_top_p(p.top_p, 1))
        if p.min_p > 0:
            add(llama_cpp.llama_sampler_init_min_p(p.min_p, 1))
        self.picker = llama_cpp.llama_sampler_init_dist(p.resolved_seed() & 0xFFFFFFFF)

    def choose(self, logits: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
        """Pick the next token; return (token, candidate ids, their sampling probabilities)."""
        logits = np.array(logits, dtype=np.float32)
        if self.no_repeat:
            banned = banned_by_ngram(self.history, self.no_repeat)
            if banned:
                logits[list(banned)] = -np.inf
        records = self._records
        records["id"] = self._ids
        records["logit"] = logits
        records["p"] = 0.0
        self._array.size, self._array.selected, self._array.sorted = self.n_vocab, -1, False
        llama_cpp.llama_sampler_apply(self.chain, ctypes.byref(self._array))
        size = self._array.size
        ids = records["id"][:size].copy()
        shaped = records["logit"][:size].astype(np.float64)
        if self.greedy or self.picker is None:   # all the mass on the arg-max
            best = int(np.argmax(shaped))
            probs = np.zeros(size)
            probs[best] = 1.0
            return int(ids[best]), ids, probs
        probs = _softmax(shaped)
        llama_cpp.llama_sampler_apply(self.picker, ctypes.byref(self._array))
        token = int(records["id"][self._array.selected])
        return token, ids, probs

    def accept(self, token: int) -> None:
        llama_cpp.llama_sampler_accept(self.chain, token)
        if self.no_repeat:
            self.history.append(token)

    def close(self) -> None:
        for sampler in (self.chain, self.picker):
            if sampler is not None:
                llama_cpp.llama_sampler_free(sampler)
        self.chain = self.picker = None


def banned_by_ngram(history: list[int], n: int) -> set[int]:
    """Tokens that would complete an n-gram already present in `history`."""
    if len(history) < n:
        return set()
    prefix = tuple(history[len(history) - n + 1:]) if n > 1 else ()
    return {history[i + n - 1] for i in range(len(history) - n + 1)
            if tuple(history[i:i + n - 1]) == prefix}


def _softmax(x: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    if not finite.any():
        return np.full_like(x, 1.0 / len(x))
    top = x[finite].max()
    e = np.where(finite, np.exp(x - top), 0.0)
    return e / e.sum()


def log_softmax(logits: np.ndarray) -> np.ndarray:
    x = logits.astype(np.float64)
    top = x.max()
    return x - top - np.log(np.exp(x - top).sum())
