"""How much a conversion changed a model: perplexity on held-out text and
top-1 agreement of next-token predictions, for PyTorch models and for
llama.cpp models, measured the same way so the figures compare.

Text is scored in consecutive windows of the model's context (recurrent
models carry their state across windows), predicting every token from the
ones before it inside its window.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RNN_WINDOW = 256


@dataclass
class Scores:
    """Per-position log-probability of the true next token, and the arg-max prediction."""
    logprobs: np.ndarray
    predictions: np.ndarray

    @property
    def perplexity(self) -> float:
        return math.exp(-float(self.logprobs.mean())) if len(self.logprobs) else float("nan")

    def agreement(self, other: "Scores") -> float:
        n = min(len(self.predictions), len(other.predictions))
        return float((self.predictions[:n] == other.predictions[:n]).mean()) if n else float("nan")


def windows(n_tokens: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(s + size, n_tokens)) for s in range(0, n_tokens - 1, size - 1)
            if min(s + size, n_tokens) - s >= 2]


def torch_scores(model, ids: list[int]) -> Scores:
    import torch

    size = model.context_length or RNN_WINDOW
    logprobs, predictions = [], []
    state = None
    with torch.inference_mode():
        for start, end in windows(len(ids), size):
            chunk = torch.tensor([ids[start:end]])
            if model.context_length is None:
                logits, state = model(chunk[:, :-1], state)
                # the state covers chunk[:-1]; the next window starts at chunk[-1]
            else:
                logits, _ = model(chunk[:, :-1])
            lp = logits[0].float().log_softmax(-1)
            target = chunk[0, 1:]
            logprobs.append(lp.gather(1, target[:, None])[:, 0].numpy())
            predictions.append(lp.argmax(-1).numpy())
    return Scores(np.concatenate(logprobs), np.concatenate(predictions))


def llama_scores(llama, ids: list[int], context: int) -> Scores:
    """The same measurement through llama.cpp, one token at a time (no logits_all needed)."""
    from textgen.core.backends.llama_sampling import log_softmax

    n_vocab = llama.n_vocab()
    logprobs, predictions = [], []
    for start, end in windows(len(ids), context):
        llama.reset()
        chunk = ids[start:end]
        for i, token in enumerate(chunk[:-1]):
            llama.eval([token])
            row = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(n_vocab,))
            lp = log_softmax(row)
            logprobs.append(lp[chunk[i + 1]])
            predictions.append(int(np.argmax(row)))
    return Scores(np.array(logprobs), np.array(predictions))
