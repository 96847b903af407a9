"""Fixtures for training tests: a slice of Shakespeare on disk, tiny configs,
and a token cache that lives in the test's temporary folder."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest


def _root_conftest():
    """The suite's top-level conftest, loaded under its own name.

    Test helpers elsewhere do `from conftest import SHAKESPEARE, ...`; a
    conftest.py in a sub-folder is imported under that same module name, so
    the plain helpers are re-exported here for those imports to keep working.
    """
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("_textgen_tests_root_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_root = _root_conftest()
REPO, SHAKESPEARE, TINY_CONFIGS = _root.REPO, _root.SHAKESPEARE, _root.TINY_CONFIGS
make_tokenizer, train_steps = _root.make_tokenizer, _root.train_steps

TINY_MODELS = {  # smaller still than the suite's TINY_CONFIGS, with dropout
    "gpt": {"architecture": "gpt", "n_layer": 1, "n_head": 2, "n_embd": 16,
            "context_length": 32, "dropout": 0.1},
    "transformer": {"architecture": "transformer", "n_layers": 1, "n_heads": 2, "d_model": 16,
                    "d_ff": 32, "context_length": 32, "dropout": 0.0},
    "char_rnn": {"architecture": "char_rnn", "cell": "lstm", "embedding_dim": 8,
                 "hidden_size": 24, "n_layers": 2, "dropout": 0.1},
    "word_lstm": {"architecture": "word_lstm", "embedding_dim": 24, "hidden_size": 24,
                  "n_layers": 1, "dropout": 0.0},
}


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Datasets and token arrays go to a temporary cache, never the user's."""
    old = os.environ.get("TEXTGEN_CACHE_DIR")
    os.environ["TEXTGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("textgen-cache"))
    import torch

    torch.set_num_threads(1)      # tiny models: one thread is fastest and steadiest
    yield
    if old is None:
        os.environ.pop("TEXTGEN_CACHE_DIR", None)
    else:
        os.environ["TEXTGEN_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def text_file(tmp_path_factory, shakespeare_text):
    """The first 20,000 characters of tiny Shakespeare, as a file."""
    path = tmp_path_factory.mktemp("data") / "shakespeare.txt"
    path.write_text(shakespeare_text[:20_000], encoding="utf-8")
    return path


def tiny_config(arch: str, data_path, **train):
    """A config for a model that trains in a second or two."""
    from textgen.train.config import config_from_dict

    settings = {"max_steps": 12, "batch_size": 4, "seq_len": 16, "eval_interval": 6,
                "eval_batches": 4, "log_interval": 2, "checkpoint_interval": 6, "threads": 1}
    settings.update(train)
    return config_from_dict({
        "name": f"tiny-{arch}", "model": dict(TINY_MODELS[arch]),
        "tokenizer": {"kind": "word" if arch == "word_lstm" else "char", "max_vocab": 400},
        "data": {"path": str(data_path)}, "train": settings,
        "optim": {"lr": 3e-3, "warmup_steps": 2, "min_lr": 3e-4}}).validate()


@pytest.fixture
def make_config(text_file):
    return lambda arch, **train: tiny_config(arch, text_file, **train)
