"""Training batches, with a position that is saved and restored exactly.

- :class:`RandomWindows` (attention models): each row is a window starting
  at a random offset, drawn from the sampler's own generator (nanoGPT's
  recipe); its position is that generator's state.
- :class:`StreamChunks` (recurrent models): the token array is cut into
  ``batch`` parallel streams read front to back in consecutive chunks, so
  the hidden state of one chunk is the right start for the next (truncated
  back-propagation through time); its position is the offset in the
  streams. At the end of an epoch the streams wrap and the state resets.

Under data-parallel training each rank reads its own share: a differently
seeded generator, or its own block of streams.
"""
from __future__ import annotations

import numpy as np
import torch


def _window(data: np.ndarray, start: int, length: int) -> torch.Tensor:
    return torch.from_numpy(np.asarray(data[start:start + length], dtype=np.int64))


class RandomWindows:
    recurrent = False

    def __init__(self, data: np.ndarray, batch: int, seed: int, rank: int = 0):
        self.data, self.batch = data, batch
        self.generator = torch.Generator().manual_seed(seed + 7919 * rank)

    def next(self, seq_len: int) -> tuple[torch.Tensor, torch.Tensor, bool]:
        seq_len = min(seq_len, len(self.data) - 1)
        starts = torch.randint(0, len(self.data) - seq_len, (self.batch,),
                               generator=self.generator).tolist()
        rows = torch.stack([_window(self.data, s, seq_len + 1) for s in starts])
        return rows[:, :-1], rows[:, 1:], False

    def state(self) -> tuple[dict, dict]:
        return {"generator": self.generator.get_state()}, {}

    def restore(self, tensors: dict, data: dict) -> None:
        self.generator.set_state(tensors["generator"])


class StreamChunks:
    recurrent = True

    def __init__(self, data: np.ndarray, batch: int, rank: int = 0, world: int = 1):
        total_streams = batch * world
        self.length = len(data) // total_streams
        if self.length < 2:
            raise ValueError(f"{len(data)} tokens are too few for {total_streams} streams")
        first = rank * batch
        self.streams = [(first + i) * self.length for i in range(batch)]
        self.data, self.batch = data, batch
        self.position, self.epoch = 0, 0

    def next(self, seq_len: int) -> tuple[torch.Tensor, torch.Tensor, bool]:
        reset = False
        if self.position + 2 > self.length:
            self.position, self.epoch, reset = 0, self.epoch + 1, True
        n = min(seq_len, self.length - 1 - self.position)
        rows = torch.stack([_window(self.data, s + self.position, n + 1) for s in self.streams])
        reset = reset or self.position == 0
        self.position += n
        return rows[:, :-1], rows[:, 1:], reset

    def state(self) -> tuple[dict, dict]:
        return {}, {"position": self.position, "epoch": self.epoch}

    def restore(self, tensors: dict, data: dict) -> None:
        self.position, self.epoch = int(data["position"]), int(data["epoch"])


def eval_windows(n_tokens: int, seq_len: int, max_windows: int = 0) -> list[int]:
    """Start offsets of non-overlapping validation windows (evenly thinned to a maximum)."""
    starts = list(range(0, max(n_tokens - 1, 0), seq_len))
    starts = [s for s in starts if min(s + seq_len, n_tokens - 1) > s]
    if max_windows and len(starts) > max_windows:
        picks = np.linspace(0, len(starts) - 1, max_windows).round().astype(int)
        starts = [starts[i] for i in sorted(set(picks.tolist()))]
    return starts


def window_batch(data: np.ndarray, starts: list[int], seq_len: int
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, y, mask) for windows that may be shorter than seq_len at the end."""
    n = len(data)
    x = torch.zeros(len(starts), seq_len, dtype=torch.long)
    y = torch.zeros_like(x)
    mask = torch.zeros(len(starts), seq_len, dtype=torch.bool)
    for row, s in enumerate(starts):
        length = min(seq_len, n - 1 - s)
        chunk = _window(data, s, length + 1)
        x[row, :length], y[row, :length] = chunk[:-1], chunk[1:]
        mask[row, :length] = True
    return x, y, mask


def detach_state(state):
    """Cut the graph at a chunk boundary (hidden tensors keep their values)."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state
