"""Total negative log-likelihood of a token array under a model.

Attention models read non-overlapping windows of ``seq_len`` tokens (every
token is predicted, from the tokens before it in its window); recurrent
models read the array as parallel streams in consecutive chunks with their
state carried over, as they are trained. The result is a sum of nats and a
token count, so ranks can add their shares and callers can divide by tokens
(perplexity) or by characters (bits per character).
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F

from textgen.train.batches import _window, detach_state, eval_windows, window_batch


@torch.no_grad()
def score_tokens(model, data: np.ndarray, seq_len: int, batch_size: int, recurrent: bool,
                 max_windows: int = 0, rank: int = 0, world: int = 1,
                 autocast=contextlib.nullcontext, device="cpu") -> tuple[float, int]:
    if len(data) < 2:
        return 0.0, 0
    if recurrent:
        return _score_streams(model, data, seq_len, batch_size, max_windows, rank, world,
                              autocast, device)
    starts = eval_windows(len(data), seq_len, max_windows)[rank::world]
    total, count = 0.0, 0
    for i in range(0, len(starts), batch_size):
        x, y, mask = window_batch(data, starts[i:i + batch_size], seq_len)
        x, y, mask = x.to(device), y.to(device), mask.to(device)
        with autocast():
            logits, _ = model(x)
        nll = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1),
                              reduction="none")
        total += float(nll[mask.reshape(-1)].sum())
        count += int(mask.sum())
    return total, count


def _score_streams(model, data, seq_len, batch_size, max_windows, rank, world, autocast,
                   device) -> tuple[float, int]:
    n_streams = max(1, min(batch_size, (len(data) - 1) // 2))
    length = (len(data) - 1) // n_streams
    mine = list(range(n_streams))[rank::world]
    if not mine:
        return 0.0, 0
    chunks = range(0, length, seq_len)
    if max_windows:
        chunks = list(chunks)[:max(1, max_windows // n_streams)]
    total, count, state = 0.0, 0, None
    for position in chunks:
        n = min(seq_len, length - position)
        rows = torch.stack([_window(data, s * length + position, n + 1) for s in mine])
        rows = rows.to(device)
        with autocast():
            logits, state = model(rows[:, :-1], state)
        state = detach_state(state)
        nll = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]),
                              rows[:, 1:].reshape(-1), reduction="sum")
        total += float(nll)
        count += rows[:, 1:].numel()
    return total, count
