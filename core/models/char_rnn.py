"""Character-level recurrent model: embedding -> RNN/GRU/LSTM -> linear."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from textgen.core.models.base import LanguageModel

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


@dataclass
class CharRNNConfig:
    vocab_size: int = 65
    cell: str = "lstm"
    embedding_dim: int = 64
    hidden_size: int = 256
    n_layers: int = 2
    dropout: float = 0.0

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {self.cell!r}")


class CharRNN(LanguageModel):
    context_length = None

    def __init__(self, config: CharRNNConfig):
        super().__init__()
        self.config = config
        c = config
        self.embedding = nn.Embedding(c.vocab_size, c.embedding_dim)
        self.rnn = CELLS[c.cell](c.embedding_dim, c.hidden_size, c.n_layers, batch_first=True,
                                 dropout=c.dropout if c.n_layers > 1 else 0.0)
        self.head = nn.Linear(c.hidden_size, c.vocab_size)

    def forward(self, idx: torch.Tensor, state=None):
        out, state = self.rnn(self.embedding(idx), state)
        return self.head(out), state

    def reorder_state(self, state, index: torch.Tensor):
        if state is None:
            return None
        if isinstance(state, tuple):
            return tuple(s.index_select(1, index) for s in state)
        return state.index_select(1, index)
