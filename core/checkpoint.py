"""Self-describing checkpoints: a folder with config.json, model.safetensors
and tokenizer.json. Nothing here ever unpickles code.

Saving goes to a temporary sibling folder that is renamed into place, so a
crash mid-save leaves the previous checkpoint intact.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from textgen.core.errors import TextgenError

FORMAT_NAME = "textgen-checkpoint"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


@dataclass
class Checkpoint:
    model: Any                      # a LanguageModel
    tokenizer: Any                  # a Tokenizer
    architecture: str
    path: Path
    metadata: dict = field(default_factory=dict)   # training info, control codes, ...
    file_format: str = "safetensors"


def is_checkpoint_dir(path: Path) -> bool:
    config = Path(path) / CONFIG_FILE
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text()).get("format") == FORMAT_NAME
    except (OSError, ValueError, AttributeError):
        return False


def save_checkpoint(path: str | Path, model, tokenizer, architecture: str,
                    metadata: dict | None = None) -> Path:
    """Write a checkpoint folder atomically and return its path."""
    from safetensors.torch import save_model

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "architecture": architecture,
        "model": asdict(model.config),
        "parameters": model.num_parameters(),
        "tokenizer": {"kind": tokenizer.kind, "vocab_size": tokenizer.vocab_size},
        "metadata": metadata or {},
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        save_model(model, str(tmp / WEIGHTS_FILE))
        tokenizer.save(tmp)
        _write_json(tmp / CONFIG_FILE, config)
        _fsync_dir(tmp)
        _replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _write_json(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    for child in path.iterdir():
        with open(child, "rb") as f:
            os.fsync(f.fileno())


def _replace_dir(new: Path, target: Path) -> None:
    """Move `new` to `target`; an old `target` is removed only once `new` is in place."""
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if old.exists():
        shutil.rmtree(old)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def read_config(path: Path) -> dict:
    config_path = Path(path) / CONFIG_FILE
    if not config_path.is_file():
        raise TextgenError(f"{config_path}: missing; not a textgen checkpoint folder")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise TextgenError(f"{config_path}: not valid JSON ({e})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise TextgenError(f"{config_path}: not a textgen checkpoint config")
    if config.get("format_version", 0) > FORMAT_VERSION:
        raise TextgenError(f"{config_path}: format version {config['format_version']} is newer "
                           "than this textgen understands; upgrade textgen")
    for key in ("architecture", "model", "tokenizer"):
        if key not in config:
            raise TextgenError(f"{config_path}: missing the {key!r} entry")
    return config


def load_checkpoint(path: str | Path, device: str = "cpu") -> Checkpoint:
    """Load a checkpoint folder, or a legacy single-file .pt/.pth checkpoint."""
    path = Path(path)
    if not path.exists():
        raise TextgenError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix in (".pt", ".pth"):
        from textgen.core.legacy_checkpoint import load_legacy_checkpoint

        return load_legacy_checkpoint(path, device)
    if not path.is_dir():
        raise TextgenError(f"{path}: not a checkpoint (expected a folder, .pt or .pth)")
    config = read_config(path)
    from textgen.core.models import build_model
    from textgen.core.tokenizers import load_tokenizer

    try:
        model = build_model(config["architecture"], config["model"])
    except (TypeError, ValueError) as e:
        raise TextgenError(f"{path / CONFIG_FILE}: bad model settings ({e})") from None
    load_weights(model, path / WEIGHTS_FILE)
    tokenizer = load_tokenizer(path, config["tokenizer"]["kind"])
    check_vocab(model, tokenizer, path)
    model.to(device).eval()
    return Checkpoint(model, tokenizer, config["architecture"], path, config.get("metadata", {}))


def load_weights(model, weights: Path) -> None:
    from safetensors import SafetensorError
    from safetensors.torch import load_model

    if not weights.is_file():
        raise TextgenError(f"{weights}: missing weights file")
    try:
        missing, unexpected = load_model(model, str(weights), strict=False)
    except SafetensorError as e:
        raise TextgenError(f"{weights}: corrupt or truncated safetensors file ({e})") from None
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        detail = next((line.strip() for line in first if "size mismatch" in line), first[0] if first else "")
        raise TextgenError(f"{weights}: weights do not match config.json ({detail})") from None
    if missing or unexpected:
        raise TextgenError(f"{weights}: weights do not match config.json "
                           f"(missing: {sorted(missing)[:3]}, unexpected: {sorted(unexpected)[:3]})")


def check_vocab(model, tokenizer, path: Path) -> None:
    model_vocab = model.config.vocab_size
    if tokenizer.vocab_size > model_vocab:
        raise TextgenError(f"{path}: tokenizer has {tokenizer.vocab_size} tokens but the model "
                           f"only {model_vocab}; tokenizer.json does not belong to these weights")
