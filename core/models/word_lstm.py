"""Word-level LSTM: embedding -> multi-layer LSTM with dropout -> linear,
optionally with the output layer tied to the embedding."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from textgen.core.models.base import LanguageModel


@dataclass
class WordLSTMConfig:
    vocab_size: int = 10000
    embedding_dim: int = 256
    hidden_size: int = 256
    n_layers: int = 2
    dropout: float = 0.2
    tie_weights: bool = True

    def __post_init__(self):
        if self.tie_weights and self.embedding_dim != self.hidden_size:
            raise ValueError("tie_weights needs embedding_dim == hidden_size "
                             f"(got {self.embedding_dim} and {self.hidden_size})")


class WordLSTM(LanguageModel):
    context_length = None

    def __init__(self, config: WordLSTMConfig):
        super().__init__()
        self.config = config
        c = config
        self.embedding = nn.Embedding(c.vocab_size, c.embedding_dim)
        self.dropout = nn.Dropout(c.dropout)
        self.lstm = nn.LSTM(c.embedding_dim, c.hidden_size, c.n_layers, batch_first=True,
                            dropout=c.dropout if c.n_layers > 1 else 0.0)
        self.head = nn.Linear(c.hidden_size, c.vocab_size)
        if c.tie_weights:
            self.head.weight = self.embedding.weight
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)

    def forward(self, idx: torch.Tensor, state=None):
        out, state = self.lstm(self.dropout(self.embedding(idx)), state)
        return self.head(self.dropout(out)), state

    def reorder_state(self, state, index: torch.Tensor):
        if state is None:
            return None
        return tuple(s.index_select(1, index) for s in state)
