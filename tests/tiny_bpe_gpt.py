"""A tiny byte-level-BPE GPT, trained once per test session and shared by the
export, GGUF and CLI tests (a plain cached function, so every test module
that imports it gets the same checkpoint).

n_embd 64 so that every weight row divides into 32-value quantization blocks.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import SHAKESPEARE, train_steps

BPE_GPT_CONFIG = {"context_length": 64, "n_layer": 2, "n_head": 2, "n_embd": 64}


def shakespeare() -> str:
    if not SHAKESPEARE.is_file():
        pytest.skip(f"{SHAKESPEARE} is absent")
    return SHAKESPEARE.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def bpe_gpt_checkpoint() -> Path:
    import torch

    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.models import build_model
    from textgen.core.tokenizers.bpe import BPETokenizer

    text = shakespeare()[:60_000]
    tok = BPETokenizer.train(text, vocab_size=384)
    torch.manual_seed(1)
    model = build_model("gpt", {**BPE_GPT_CONFIG, "vocab_size": tok.vocab_size})
    train_steps(model, tok.encode(text), steps=60, seq_len=48, batch=16, lr=1e-2)
    root = Path(tempfile.mkdtemp(prefix="textgen-bpe-gpt-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return save_checkpoint(root / "bpe_gpt", model, tok, "gpt", {"steps": 60})


def held_out_text(chars: int = 3000) -> str:
    """Text the tiny models never trained on (they see the first 60k characters)."""
    text = shakespeare()
    return text[200_000:200_000 + chars]
