"""What every architecture provides, so generation and training need no
per-architecture branches.

    logits, state = model(idx, state)

`idx` is a (batch, time) LongTensor. `state` is None for a fresh start, or
what the previous call returned: a KV cache for attention models, hidden
tensors for recurrent ones. Feeding tokens one call at a time with the state
gives the same logits as one call over the whole sequence.
"""
from __future__ import annotations

import torch
import torch.nn as nn


class LanguageModel(nn.Module):
    #: longest sequence the model can attend over; None for recurrent models
    context_length: int | None = None

    def new_state(self, batch_size: int, max_len: int | None = None):
        """A fresh state for incremental decoding (None where zeros are implied)."""
        return None

    def reorder_state(self, state, index: torch.Tensor):
        """Select/duplicate batch rows of a state (beam search)."""
        raise NotImplementedError

    def truncate_state(self, state, length: int):
        """Cut a state back to its first `length` tokens, or None if impossible."""
        return None

    def num_parameters(self) -> int:
        seen, total = set(), 0
        for p in self.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                total += p.numel()
        return total
