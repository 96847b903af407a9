"""Tiny real models for the assistant and CLI tests, trained in seconds.

Each builder is cached, so every test module that asks gets the same
checkpoint, trained once per session (the tiny_bpe_gpt.py pattern; a
conftest.py in a sub-folder would shadow the root one for other modules).

- a chat-template model: a byte-level BPE Hugging Face tokenizer with a
  ChatML template, behind a small GPT checkpoint;
- a code model: a character-level GPT trained on Python standard-library source,
  with unknown characters replaced (so any description encodes);
- a transcript model: a character-level GPT trained on "User: ...\\nAssistant: ..."
  until it writes the next "User:" turn by itself (chat stop handling);
- a control-code model: a char model whose metadata and tokenizer carry
  genre control codes.
"""
from __future__ import annotations

import atexit
import random
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import SHAKESPEARE, train_steps


@lru_cache(maxsize=1)
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="textgen-assistant-models-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def _shakespeare() -> str:
    if not SHAKESPEARE.is_file():
        pytest.skip(f"{SHAKESPEARE} is absent")
    return SHAKESPEARE.read_text(encoding="utf-8")[:60_000]


@lru_cache(maxsize=None)
def load_cached(path: Path):
    """One loaded Generator per checkpoint path for the whole session."""
    from textgen.core import load

    return load(path)

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
          "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@lru_cache(maxsize=1)
def chat_template_checkpoint() -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.models import build_model
    from textgen.core.tokenizers.hf import HFTokenizer

    torch.manual_seed(0)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    text = _shakespeare()
    tok.train_from_iterator([text], trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>",
                                 bos_token="<|im_start|>")
    hf.chat_template = CHATML
    tokenizer = HFTokenizer(hf)
    model = build_model("gpt", {"context_length": 128, "n_layer": 1, "n_head": 2, "n_embd": 32,
                                "vocab_size": tokenizer.vocab_size})
    train_steps(model, tokenizer.encode(text), steps=10)
    return save_checkpoint(_root() / "chat_template_gpt", model, tokenizer, "gpt", {})


def python_source(limit: int = 60_000) -> str:
    """Standard-library Python source: plenty of real code, no download."""
    import fnmatch
    import textwrap
    import string
    import shlex
    import glob

    text = ""
    for module in (textwrap, string, fnmatch, shlex, glob):
        text += Path(module.__file__).read_text(encoding="utf-8") + "\n\n"
    return text[:limit]


@lru_cache(maxsize=1)
def code_checkpoint() -> Path:
    import torch

    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.models import build_model
    from textgen.core.tokenizers.char import CharTokenizer

    torch.manual_seed(0)
    text = python_source()
    tokenizer = CharTokenizer.train(text, unknown="replace", specials=["<|endoftext|>"])
    model = build_model("gpt", {"context_length": 256, "n_layer": 1, "n_head": 2, "n_embd": 48,
                                "vocab_size": tokenizer.vocab_size})
    train_steps(model, tokenizer.encode(text), steps=60, lr=1e-2)
    return save_checkpoint(_root() / "code_gpt", model, tokenizer, "gpt", {})


TRANSCRIPT_PAIRS = [("ping", "pong"), ("hello", "hi there"), ("bye", "see you"),
                    ("how are you", "fine")]


@lru_cache(maxsize=1)
def transcript_checkpoint(steps: int = 120) -> Path:
    """A char GPT that has learnt the plain chat transcript format."""
    import torch

    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.models import build_model
    from textgen.core.tokenizers.char import CharTokenizer

    torch.manual_seed(0)
    rng = random.Random(0)
    turns = [rng.choice(TRANSCRIPT_PAIRS) for _ in range(1500)]
    text = "".join(f"User: {q}\nAssistant: {a}\n" for q, a in turns)
    tokenizer = CharTokenizer.train(text + "Be brief.\n", unknown="replace",
                                    specials=["<|endoftext|>"])
    model = build_model("gpt", {"context_length": 128, "n_layer": 1, "n_head": 2, "n_embd": 32,
                                "vocab_size": tokenizer.vocab_size})
    train_steps(model, tokenizer.encode(text), steps=steps, seq_len=64, lr=1e-2)
    return save_checkpoint(_root() / "transcript_gpt", model, tokenizer, "gpt", {})


CONTROL_CODES = ["<|fantasy|>", "<|sci-fi|>", "<|horror|>"]


@lru_cache(maxsize=1)
def control_code_checkpoint() -> Path:
    import torch

    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.models import build_model
    from textgen.core.tokenizers.char import CharTokenizer

    torch.manual_seed(0)
    text = _shakespeare()
    tokenizer = CharTokenizer.train(text, specials=["<|endoftext|>", *CONTROL_CODES])
    model = build_model("char_rnn", {"cell": "gru", "embedding_dim": 16, "hidden_size": 32,
                                     "n_layers": 1, "vocab_size": tokenizer.vocab_size})
    train_steps(model, tokenizer.encode(text), steps=5)
    return save_checkpoint(_root() / "control_code_rnn", model, tokenizer, "char_rnn",
                           {"control_codes": CONTROL_CODES})


def loaded_models(trained_models) -> dict:
    """arch -> Generator for the shared tiny checkpoints of tests/conftest.py."""
    return {arch: load_cached(path) for arch, (path, _) in trained_models.items()}
