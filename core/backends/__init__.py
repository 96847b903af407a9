"""Backend registry: which engine runs a given model path.

Adding a backend is one new module plus one line here. Entries are tried in
order; each names "module:Class", imported only when its turn comes, so a
GGUF file never imports torch and a checkpoint never imports llama_cpp.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from textgen.core.errors import TextgenError

BACKENDS: dict[str, str] = {
    "gguf": "textgen.core.backends.gguf_backend:GGUFGenerator",
    "torch": "textgen.core.backends.torch_backend:TorchGenerator",
    "hf": "textgen.core.backends.hf_backend:HFGenerator",
}

# Cheap checks by path shape, so picking a backend imports nothing heavy.
# Every .gguf goes to the gguf backend, which reads `general.architecture` and
# hands our own "textgen.<arch>" files on to the torch backend (llama.cpp
# cannot run them); `load(path, backend="torch")` reads any GGUF textgen wrote.
_DETECT = {
    "gguf": lambda p: p.is_file() and p.suffix.lower() == ".gguf",
    "torch": lambda p: (p.is_dir() and _config_format(p) == "textgen-checkpoint")
    or (p.is_file() and p.suffix in (".pt", ".pth")),
    "hf": lambda p: p.is_dir() and _config_format(p) == "hf",
}


def _config_format(path: Path) -> str | None:
    import json

    config = path / "config.json"
    if not config.is_file():
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "invalid"
    if not isinstance(data, dict):
        return "invalid"
    if data.get("format") == "textgen-checkpoint":
        return "textgen-checkpoint"
    if "model_type" in data or "architectures" in data:
        return "hf"
    return None


def get_backend_class(name: str):
    try:
        module_name, class_name = BACKENDS[name].split(":")
    except KeyError:
        raise TextgenError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def detect_backend(path: str | Path) -> str:
    path = Path(path).expanduser()
    if not path.exists():
        raise TextgenError(f"{path}: no such file or folder")
    for name, detect in _DETECT.items():
        if detect(path):
            return name
    if path.is_dir() and _config_format(path) == "invalid":
        raise TextgenError(f"{path / 'config.json'}: not valid JSON")
    raise TextgenError(
        f"{path}: not a model textgen can load (expected a textgen checkpoint folder, "
        "a .pt/.pth file, a Hugging Face model folder or a .gguf file)"
    )


def load(path: str | Path, backend: str | None = None, **options):
    """Load any supported model path into a Generator."""
    path = Path(path).expanduser()
    name = backend or detect_backend(path)
    return get_backend_class(name).load(path, **options)
