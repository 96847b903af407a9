"""The model a user names for an export or a quantization, as a Checkpoint:
a textgen checkpoint folder, a legacy .pt/.pth file, or a GGUF we wrote
(read back dequantized, so a model kept as GGUF can be converted again)."""
from __future__ import annotations

from pathlib import Path

from textgen.core.errors import TextgenError


def load_source_checkpoint(path: str | Path):
    from textgen.core.checkpoint import is_checkpoint_dir, load_checkpoint

    path = Path(path).expanduser()
    if not path.exists():
        raise TextgenError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".gguf":
        from textgen.core.export.gguf_reader import load_gguf_checkpoint

        return load_gguf_checkpoint(path)
    if path.is_dir() and not is_checkpoint_dir(path) and (path / "config.json").is_file():
        raise TextgenError(f"{path}: a Hugging Face model folder, not a textgen checkpoint; "
                           "only textgen checkpoints (or GGUFs textgen wrote) can be exported")
    return load_checkpoint(path)
