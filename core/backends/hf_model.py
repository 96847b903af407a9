"""A Hugging Face causal LM seen through our LanguageModel interface.

`logits, state = model(idx, state)` with the state holding the HF cache
object and the number of positions it covers; `new_state`, `reorder_state`
(beam search) and `context_length` as our models have them. With that, the
shared decode loop and our beam search run HF models unchanged.

transformers renamed the cache argument from `past_key_values` to `cache`
(5.x); the adapter asks the model's forward which one it takes.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from types import SimpleNamespace

import torch


@dataclass
class HFState:
    cache: object = None     # transformers Cache, created by the first forward
    length: int = 0


class HFCausalLM:
    def __init__(self, hf_model):
        self.hf = hf_model.eval()
        config = hf_model.config
        params = inspect.signature(hf_model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        head = hf_model.get_output_embeddings()
        vocab = head.weight.shape[0] if head is not None else config.vocab_size
        self.config = SimpleNamespace(vocab_size=int(vocab))
        self.context_length = context_length_of(config)

    def __call__(self, idx: torch.Tensor, state: HFState | None = None):
        kwargs = {"input_ids": idx, "use_cache": state is not None}
        if state is not None and state.cache is not None:
            kwargs[self._cache_arg] = state.cache
        out = self.hf(**kwargs)
        if state is not None:
            state.cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
            state.length += idx.shape[1]
        return out.logits, state

    def new_state(self, batch_size: int, max_len: int | None = None) -> HFState:
        return HFState()

    def reorder_state(self, state: HFState, index: torch.Tensor) -> HFState:
        if state.cache is not None:
            state.cache.reorder_cache(index)
        return state

    def truncate_state(self, state: HFState, length: int):
        return None

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.hf.parameters())


def context_length_of(config) -> int | None:
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None
