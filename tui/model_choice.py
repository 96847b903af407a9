"""Which model a command uses when the user names none.

In order: ``--model PATH``, then ``$TEXTGEN_MODEL``, then the default model
installed in the user data folder (``<data>/models/default``). Without any
of them the error says how to get or train one.
"""
from __future__ import annotations

import os
from pathlib import Path

from textgen.core.errors import TextgenError

ENV_VAR = "TEXTGEN_MODEL"


def resolve_model_path(model: str | None) -> Path:
    if model:
        return Path(model).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    from textgen.tui.user_data import default_model_dir

    default = default_model_dir()
    if default.exists():
        return default
    raise TextgenError(
        "no model given: pass --model PATH (a textgen checkpoint folder, .pt, Hugging Face "
        f"folder or .gguf file), set {ENV_VAR}, put a model at {default}, or train one with "
        "`textgen train configs/char_rnn.yaml --dataset shakespeare`"
    )


def load_model(model: str | None):
    """The Generator for ``--model`` (or the default model)."""
    from textgen.core import load

    return load(resolve_model_path(model))
