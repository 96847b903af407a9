"""Which model a command uses when the user names none."""
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
    raise TextgenError(
        "no model given: pass --model PATH (a textgen checkpoint folder, .pt, Hugging Face "
        f"folder or .gguf file), set {ENV_VAR}, or train one with "
        "`textgen train configs/char_rnn.yaml --dataset shakespeare`"
    )
