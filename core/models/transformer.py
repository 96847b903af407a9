"""Transformer language model in the original style: token embedding scaled
by sqrt(d), fixed sinusoidal positions, causal layers, untied output layer."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from textgen.core.models.base import LanguageModel
from textgen.core.models.layers import Block, KVCache, sinusoidal_positions


@dataclass
class TransformerConfig:
    vocab_size: int = 65
    context_length: int = 256
    n_layers: int = 4
    n_heads: int = 4
    d_model: int = 128
    d_ff: int = 512
    dropout: float = 0.1


class TransformerLM(LanguageModel):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        self.context_length = config.context_length
        c = config
        self.embedding = nn.Embedding(c.vocab_size, c.d_model)
        self.dropout = nn.Dropout(c.dropout)
        self.layers = nn.ModuleList(
            Block(c.d_model, c.n_heads, c.d_ff, True, c.dropout) for _ in range(c.n_layers)
        )
        self.norm = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.vocab_size)
        nn.init.normal_(self.embedding.weight, std=c.d_model ** -0.5)

    def forward(self, idx: torch.Tensor, state: KVCache | None = None):
        B, T = idx.shape
        start = state.length if state is not None else 0
        if start + T > self.context_length:
            raise ValueError(
                f"sequence of {start + T} tokens exceeds the context length {self.context_length}"
            )
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.embedding(idx) * math.sqrt(self.config.d_model)
        x = self.dropout(x + sinusoidal_positions(pos, self.config.d_model).to(x.dtype))
        for i, layer in enumerate(self.layers):
            x = layer(x, state, i)
        if state is not None:
            state.advance(T)
        return self.head(self.norm(x)), state

    def new_state(self, batch_size: int, max_len: int | None = None):
        c = self.config
        p = self.head.weight
        return KVCache(c.n_layers, batch_size, c.n_heads, max_len or c.context_length,
                       c.d_model // c.n_heads, p.dtype, p.device)

    def reorder_state(self, state: KVCache, index: torch.Tensor):
        return state.reorder(index)

    def truncate_state(self, state: KVCache, length: int):
        return state.truncate(length)
