"""Single-file .pt/.pth checkpoints, loaded without running pickled code.

`torch.load(weights_only=True)` only rebuilds tensors and plain containers;
a file whose pickle asks for anything else (a class, a function, `os.system`)
is refused with a clear message instead of being executed.

Understood layouts:
  * textgen's own: {"architecture", "config", "state_dict", "tokenizer": {...json...}}
  * nanoGPT's ckpt.pt: {"model": state_dict, "model_args": {...}} with a
    tokenizer.json beside the file.
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path

from textgen.core.errors import TextgenError

_NANOGPT_ARGS = {"n_layer": "n_layer", "n_head": "n_head", "n_embd": "n_embd",
                 "block_size": "context_length", "bias": "bias", "vocab_size": "vocab_size",
                 "dropout": "dropout"}


def read_legacy_file(path: Path) -> dict:
    import torch

    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else "unsafe pickle"
        raise TextgenError(
            f"{path}: refused to load: the file needs code execution to unpickle "
            f"({reason[:160]}); only weights-only checkpoints are accepted"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        raise TextgenError(f"{path}: corrupt or truncated checkpoint ({str(e).splitlines()[0][:160]})") from None
    if not isinstance(data, dict):
        raise TextgenError(f"{path}: expected a dict checkpoint, found {type(data).__name__}")
    return data


def load_legacy_checkpoint(path: Path, device: str = "cpu"):
    from textgen.core.checkpoint import Checkpoint, check_vocab
    from textgen.core.models import build_model
    from textgen.core.tokenizers import get_tokenizer_class, load_tokenizer

    data = read_legacy_file(path)
    if "architecture" in data and "state_dict" in data:
        arch, config, state = data["architecture"], dict(data.get("config", {})), data["state_dict"]
        tok = data.get("tokenizer")
    elif "model_args" in data and "model" in data:
        arch = "gpt"
        config = {_NANOGPT_ARGS[k]: v for k, v in data["model_args"].items() if k in _NANOGPT_ARGS}
        state = {k.removeprefix("_orig_mod."): v for k, v in data["model"].items()}
        tok = None
    else:
        raise TextgenError(f"{path}: unrecognised checkpoint layout (keys: {sorted(data)[:6]})")

    if isinstance(tok, dict):
        tokenizer = get_tokenizer_class(tok.get("kind", "")).from_json_dict(tok)
    elif (path.parent / "tokenizer.json").is_file():
        kind = _guess_tokenizer_kind(path.parent / "tokenizer.json")
        tokenizer = load_tokenizer(path.parent, kind)
    else:
        raise TextgenError(f"{path}: no tokenizer inside the file and no tokenizer.json beside it")

    try:
        model = build_model(arch, config)
    except (TypeError, ValueError) as e:
        raise TextgenError(f"{path}: bad model settings ({e})") from None
    try:
        # strict=False tolerates stale buffers (old causal-mask "attn.bias" entries)
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as e:
        raise TextgenError(f"{path}: weights do not match the model settings ({str(e).splitlines()[0][:160]})") from None
    if result.missing_keys:
        raise TextgenError(f"{path}: weights missing for {result.missing_keys[:3]}")
    check_vocab(model, tokenizer, path)
    model.to(device).eval()
    return Checkpoint(model, tokenizer, arch, path, {"legacy": True}, file_format="pt")


def _guess_tokenizer_kind(file: Path) -> str:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TextgenError(f"{file}: unreadable tokenizer ({e})") from None
    return data.get("kind", "bpe") if isinstance(data, dict) else "bpe"
