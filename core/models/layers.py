"""Building blocks shared by the attention models: a preallocated KV cache
and causal self-attention that works with and without it."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class KVCache:
    """Keys and values of every layer, preallocated and written in place.

    Growing a cache with `torch.cat` copies it on every token; writing into a
    buffer of the model's context length does not.
    """

    def __init__(self, n_layers: int, batch: int, n_heads: int, max_len: int,
                 head_dim: int, dtype: torch.dtype, device: torch.device | str = "cpu"):
        shape = (n_layers, batch, n_heads, max_len, head_dim)
        self.k = torch.zeros(shape, dtype=dtype, device=device)
        self.v = torch.zeros(shape, dtype=dtype, device=device)
        self.length = 0
        self.max_len = max_len

    def update(self, layer: int, k_new: torch.Tensor, v_new: torch.Tensor):
        """Store the new keys/values of one layer; return all keys/values so far."""
        start, end = self.length, self.length + k_new.shape[2]
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: {end} > {self.max_len}")
        self.k[layer, :, :, start:end] = k_new
        self.v[layer, :, :, start:end] = v_new
        return self.k[layer, :, :, :end], self.v[layer, :, :, :end]

    def advance(self, n: int) -> None:
        self.length += n

    def reorder(self, index: torch.Tensor) -> "KVCache":
        self.k = self.k.index_select(1, index)
        self.v = self.v.index_select(1, index)
        return self

    def truncate(self, length: int) -> "KVCache":
        self.length = min(self.length, length)
        return self

    @property
    def batch_size(self) -> int:
        return self.k.shape[1]


def causal_mask(q_len: int, kv_len: int, device) -> torch.Tensor | None:
    """Boolean mask (True = may attend) for q_len new queries after kv_len - q_len cached keys."""
    if q_len == 1:
        return None
    offset = kv_len - q_len
    rows = torch.arange(q_len, device=device).unsqueeze(1) + offset
    cols = torch.arange(kv_len, device=device).unsqueeze(0)
    return cols <= rows


class CausalSelfAttention(nn.Module):
    """Multi-head causal attention with fused q/k/v projection (GPT-2 names)."""

    def __init__(self, d_model: int, n_heads: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not divisible by n_heads {n_heads}")
        self.n_heads = n_heads
        self.c_attn = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.c_proj = nn.Linear(d_model, d_model, bias=bias)
        self.dropout = dropout
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        shape = (B, T, self.n_heads, C // self.n_heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            k, v = cache.update(layer, k, v)
        kv_len = k.shape[2]
        dropout = self.dropout if self.training else 0.0
        if kv_len == T:
            # Same length: the built-in causal flag is correct (and fastest).
            y = F.scaled_dot_product_attention(q, k, v, is_causal=T > 1, dropout_p=dropout)
        else:
            # is_causal aligns top-left, which is wrong with a cached prefix.
            mask = causal_mask(T, kv_len, x.device)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        self.c_fc = nn.Linear(d_model, d_ff, bias=bias)
        # tanh-approximate GELU, as GPT-2 and llama.cpp compute it.
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(d_ff, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-LayerNorm transformer block."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, bias: bool = True,
                 dropout: float = 0.0, eps: float = 1e-5):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model, eps=eps, bias=bias)
        self.attn = CausalSelfAttention(d_model, n_heads, bias, dropout)
        self.ln_2 = nn.LayerNorm(d_model, eps=eps, bias=bias)
        self.mlp = MLP(d_model, d_ff, bias, dropout)

    def forward(self, x, cache: KVCache | None = None, layer: int = 0):
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


def sinusoidal_positions(positions: torch.Tensor, d_model: int) -> torch.Tensor:
    """Fixed sine/cosine position encodings for arbitrary integer positions."""
    half = d_model // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device) / half)
    angles = positions.float().unsqueeze(-1) * freqs
    enc = torch.cat([angles.sin(), angles.cos()], dim=-1)
    if d_model % 2:
        enc = F.pad(enc, (0, 1))
    return enc
