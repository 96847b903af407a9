"""AdamW with weight decay on weight matrices only, and the learning-rate
schedules: linear warmup, then cosine, linear or constant.

Biases, LayerNorm gains and other 1-D parameters are not decayed: shrinking
them towards zero only hurts (the usual GPT-2 / nanoGPT practice).
"""
from __future__ import annotations

import math


def build_optimizer(model, optim, device_type: str = "cpu"):
    import torch

    decay, no_decay, seen = [], [], set()
    for p in model.parameters():
        if not p.requires_grad or id(p) in seen:
            continue
        seen.add(id(p))
        (decay if p.dim() >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": optim.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    extra = {"fused": True} if device_type == "cuda" else {}
    return torch.optim.AdamW(groups, lr=optim.lr, betas=(optim.beta1, optim.beta2),
                             eps=optim.eps, **extra)


def lr_at(step: int, optim, max_steps: int) -> float:
    """Learning rate for the update that follows ``step`` finished updates."""
    warmup = optim.warmup_steps
    if warmup and step < warmup:
        return optim.lr * (step + 1) / (warmup + 1)
    if optim.schedule == "constant":
        return optim.lr
    end = optim.decay_steps or max_steps
    if end <= warmup:
        return optim.lr
    progress = min(1.0, (step - warmup) / (end - warmup))
    if optim.schedule == "linear":
        factor = 1.0 - progress
    else:
        factor = 0.5 * (1.0 + math.cos(math.pi * progress))
    return optim.min_lr + factor * (optim.lr - optim.min_lr)


def curriculum_seq_len(step: int, full: int, start: int, steps: int) -> int:
    """Sequence length for ``step`` when a length curriculum is on: from
    ``start`` up to ``full`` over ``steps`` updates, in multiples of 8."""
    if not start or not steps or start >= full or step >= steps:
        return full
    length = start + (full - start) * step / steps
    return max(start, min(full, int(length) // 8 * 8 or start))
