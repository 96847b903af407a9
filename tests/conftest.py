"""Shared fixtures: real text, real tokenizers and tiny models trained once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHAKESPEARE = REPO.parent / "shared" / "data" / "tinyshakespeare.txt"

TINY_CONFIGS = {
    "char_rnn": {"cell": "gru", "embedding_dim": 32, "hidden_size": 64, "n_layers": 1},
    "word_lstm": {"embedding_dim": 48, "hidden_size": 48, "n_layers": 2, "dropout": 0.0},
    "transformer": {"context_length": 64, "n_layers": 2, "n_heads": 2, "d_model": 48,
                    "d_ff": 96, "dropout": 0.0},
    "gpt": {"context_length": 64, "n_layer": 2, "n_head": 2, "n_embd": 48},
}


@pytest.fixture(scope="session")
def shakespeare_text() -> str:
    if not SHAKESPEARE.is_file():
        pytest.skip(f"{SHAKESPEARE} is absent")
    return SHAKESPEARE.read_text(encoding="utf-8")[:60_000]


def make_tokenizer(arch: str, text: str):
    if arch == "word_lstm":
        from textgen.core.tokenizers.word import WordTokenizer

        return WordTokenizer.train(text, max_vocab=800)
    from textgen.core.tokenizers.char import CharTokenizer

    return CharTokenizer.train(text, specials=["<|endoftext|>"])


def train_steps(model, ids, steps: int, seq_len: int = 48, batch: int = 8, lr: float = 3e-3,
                seed: int = 0) -> list[float]:
    """A plain training loop, enough to show that a model learns."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    data = torch.tensor(ids)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        starts = torch.randint(0, len(data) - seq_len - 1, (batch,))
        x = torch.stack([data[s:s + seq_len] for s in starts])
        y = torch.stack([data[s + 1:s + seq_len + 1] for s in starts])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory, shakespeare_text):
    """arch -> (checkpoint path, losses) for all four architectures."""
    import torch

    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.models import build_model

    torch.manual_seed(0)
    out = {}
    root = tmp_path_factory.mktemp("models")
    for arch, cfg in TINY_CONFIGS.items():
        tok = make_tokenizer(arch, shakespeare_text)
        model = build_model(arch, {**cfg, "vocab_size": tok.vocab_size})
        ids = tok.encode(shakespeare_text)
        losses = train_steps(model, ids, steps=40)
        path = save_checkpoint(root / arch, model, tok, arch, {"steps": 40})
        out[arch] = (path, losses)
    return out


@pytest.fixture(scope="session")
def char_gpt(trained_models):
    from textgen.core import load

    return load(trained_models["gpt"][0])
