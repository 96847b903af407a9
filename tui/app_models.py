"""The models the app can offer: the default one, recently used ones, any path.

Recently used models are kept in ``<data>/recent_models.json`` with the
facts shown in the picker (architecture, size, quantization, context
length), recorded when the model was loaded. A path never loaded is
described from its files alone (config.json or the GGUF header), without
importing torch, so the picker stays quick.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from textgen.core.errors import TextgenError

MAX_RECENT = 10


def display_path(path: str | Path) -> str:
    """A short form: relative to the working folder when inside it, else with ~."""
    path = Path(path).expanduser()
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except (ValueError, OSError):
        pass
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home):] if home != "/" and text.startswith(home + os.sep) else text


def info_facts(info) -> dict:
    """What the picker shows, from a loaded model's ModelInfo."""
    return {"path": str(info.path), "backend": info.backend, "architecture": info.architecture,
            "parameters": info.parameters, "quantization": info.quantization,
            "context_length": info.context_length, "file_format": info.file_format}


def _file_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def describe_path(path: str | Path) -> dict:
    """Facts about a model path read from its files (no model is loaded).

    Raises TextgenError when the path is not a model textgen can load."""
    from textgen.core.backends import detect_backend

    path = Path(path).expanduser()
    backend = detect_backend(path)
    facts: dict = {"path": str(path), "backend": backend, "bytes": _file_size(path)}
    if backend == "gguf":
        from textgen.core.export.gguf_reader import read_gguf_header

        header = read_gguf_header(path)
        arch = str(header.get("general.architecture", "?"))
        facts.update(architecture=arch, quantization=header.get("_file_type_name", ""),
                     context_length=header.get(f"{arch}.context_length"), file_format="gguf")
        return facts
    if path.is_file():   # a .pt file: nothing cheap to read inside
        facts.update(architecture="?", file_format=path.suffix.lstrip("."))
        return facts
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    if backend == "torch":
        model = config.get("model") or config.get("config") or {}
        facts.update(architecture=config.get("architecture", "?"), file_format="checkpoint",
                     parameters=config.get("parameters"),
                     context_length=model.get("context_length"),
                     quantization=(config.get("metadata") or {}).get("quantize", "f32"))
    else:
        facts.update(architecture=config.get("model_type", "?"), file_format="hf",
                     context_length=config.get("n_positions")
                     or config.get("max_position_embeddings"),
                     quantization=str(config.get("torch_dtype") or config.get("dtype") or ""))
    return facts


def facts_line(facts: dict) -> str:
    """'gpt · 1.2M params · f32 · context 64' (whatever is known)."""
    from textgen.tui.widgets.status_bar import human_count

    parts = [facts.get("architecture") or "?"]
    if facts.get("parameters"):
        parts.append(f"{human_count(facts['parameters'])} params")
    elif facts.get("bytes"):
        parts.append(f"{facts['bytes'] / 1e6:.1f} MB")
    if facts.get("quantization"):
        parts.append(str(facts["quantization"]))
    context = facts.get("context_length")
    parts.append(f"context {context}" if context else "context unbounded")
    return " · ".join(parts)


def default_model_path() -> Path | None:
    """$TEXTGEN_MODEL, else the installed default model, if either exists."""
    from textgen.tui.model_choice import resolve_model_path

    try:
        return resolve_model_path(None)
    except TextgenError:
        return None


class RecentModels:
    """The recently used models, newest first, saved after each change."""

    def __init__(self, path: Path | None = None):
        if path is None:
            from textgen.tui.user_data import data_dir

            path = data_dir() / "recent_models.json"
        self.path = path
        self.entries: list[dict] = self._read()

    def _read(self) -> list[dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [e for e in data if isinstance(e, dict) and isinstance(e.get("path"), str)] \
            if isinstance(data, list) else []

    def add(self, facts: dict) -> None:
        key = str(Path(facts["path"]).expanduser().resolve())
        self.entries = [e for e in self.entries
                        if str(Path(e["path"]).expanduser().resolve()) != key]
        self.entries.insert(0, dict(facts))
        del self.entries[MAX_RECENT:]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.entries, indent=1), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:   # a read-only data folder: the list just is not remembered
            pass


def leave_a_core_for_the_screen() -> int | None:
    """Cap PyTorch's threads at one less than the CPU count while the app runs;
    returns the count it had before (to restore on exit), or None if unchanged.

    The screen needs a core of its own: with every core in PyTorch's pool
    the pool's spinning threads starve the UI thread (and the generation
    thread waiting for the GIL), which on a small machine makes decoding
    several times slower, not faster. An explicit OMP_NUM_THREADS or
    TEXTGEN_THREADS is respected.
    """
    import sys

    if "torch" not in sys.modules or os.environ.get("OMP_NUM_THREADS"):
        return None
    torch = sys.modules["torch"]
    wanted = os.environ.get("TEXTGEN_THREADS")
    count = int(wanted) if wanted and wanted.isdigit() and int(wanted) > 0 \
        else max(1, (os.cpu_count() or 2) - 1)
    before = torch.get_num_threads()
    if before > count or wanted:
        torch.set_num_threads(count)
        return before
    return None


def restore_threads(count: int | None) -> None:
    import sys

    if count is not None and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(count)
