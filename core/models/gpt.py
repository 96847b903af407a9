"""GPT-2 layout: learned positions, pre-LayerNorm blocks, GELU MLP, tied head.

Parameter names follow Hugging Face `GPT2LMHeadModel` one to one
(`transformer.h.0.attn.c_attn.weight`, ...); only the Linear weights are
stored transposed relative to its Conv1D layers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from textgen.core.models.base import LanguageModel
from textgen.core.models.layers import Block, KVCache


@dataclass
class GPTConfig:
    vocab_size: int = 65
    context_length: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True
    layer_norm_eps: float = 1e-5


class GPT(LanguageModel):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.context_length = config.context_length
        c = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c.vocab_size, c.n_embd),
            wpe=nn.Embedding(c.context_length, c.n_embd),
            drop=nn.Dropout(c.dropout),
            h=nn.ModuleList(
                Block(c.n_embd, c.n_head, 4 * c.n_embd, c.bias, c.dropout, c.layer_norm_eps)
                for _ in range(c.n_layer)
            ),
            ln_f=nn.LayerNorm(c.n_embd, eps=c.layer_norm_eps, bias=c.bias),
        ))
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):  # scaled residual init, as GPT-2
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * c.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: torch.Tensor, state: KVCache | None = None):
        B, T = idx.shape
        start = state.length if state is not None else 0
        if start + T > self.context_length:
            raise ValueError(
                f"sequence of {start + T} tokens exceeds the context length {self.context_length}"
            )
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for i, block in enumerate(self.transformer.h):
            x = block(x, state, i)
        if state is not None:
            state.advance(T)
        x = self.transformer.ln_f(x)
        return self.lm_head(x), state

    def new_state(self, batch_size: int, max_len: int | None = None):
        c = self.config
        p = self.lm_head.weight
        return KVCache(c.n_layer, batch_size, c.n_head, max_len or c.context_length,
                       c.n_embd // c.n_head, p.dtype, p.device)

    def reorder_state(self, state: KVCache, index: torch.Tensor):
        return state.reorder(index)

    def truncate_state(self, state: KVCache, length: int):
        return state.truncate(length)
