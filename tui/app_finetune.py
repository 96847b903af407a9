"""In-app fine-tuning: what can be fine-tuned, the command's arguments, the job.

The training itself is ``textgen.train.finetune.finetune``; this module only
decides whether the current model can be trained (our models in any file
format, Hugging Face models through LoRA, never a GGUF file from elsewhere),
parses ``/finetune PATH [--epochs N] [--lora] [--max-steps N]``, and runs the
function with a progress callback and a stop flag. The original model is
never written to: the copy goes to a fresh folder under the user data folder.
"""
from __future__ import annotations

import shlex
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from textgen.core.errors import TextgenError

USAGE = "/finetune PATH [--epochs N] [--lora] [--max-steps N]"


@dataclass
class FinetuneRequest:
    data_path: Path
    epochs: int = 1
    lora: bool = False
    max_steps: int | None = None

    @classmethod
    def parse(cls, text: str) -> "FinetuneRequest":
        """The arguments of ``/finetune`` (everything after the command name)."""
        try:
            words = shlex.split(text)
        except ValueError as e:
            raise TextgenError(f"/finetune: {e}; usage: {USAGE}") from None
        path, epochs, lora, max_steps = None, 1, False, None
        i = 0
        while i < len(words):
            word = words[i]
            if word == "--lora":
                lora = True
            elif word in ("--epochs", "--max-steps"):
                if i + 1 >= len(words) or not words[i + 1].isdigit() or int(words[i + 1]) < 1:
                    raise TextgenError(f"/finetune: {word} needs a whole number >= 1; "
                                       f"usage: {USAGE}")
                if word == "--epochs":
                    epochs = int(words[i + 1])
                else:
                    max_steps = int(words[i + 1])
                i += 1
            elif word.startswith("-"):
                raise TextgenError(f"/finetune: unknown option {word}; usage: {USAGE}")
            elif path is None:
                path = word
            else:
                raise TextgenError(f"/finetune: one text file at a time; usage: {USAGE}")
            i += 1
        if path is None:
            raise TextgenError(f"/finetune needs the text file to train on; usage: {USAGE}")
        data = Path(path).expanduser()
        if not data.is_file():
            raise TextgenError(f"{data}: no such text file to fine-tune on")
        return cls(data, epochs, lora, max_steps)


def finetune_support(generator) -> tuple[bool, str]:
    """(whether LoRA is required, a note) for the loaded model; TextgenError
    when it cannot be fine-tuned at all."""
    info = generator.info
    if info.backend == "torch":
        return False, f"our {info.architecture} model ({info.file_format or 'checkpoint'})"
    if info.backend == "hf":
        return True, "a Hugging Face model: fine-tuned with LoRA adapters"
    if info.backend == "gguf":
        from textgen.core.export.gguf_reader import is_textgen_gguf

        if is_textgen_gguf(getattr(generator, "header", {}) or {}):
            return False, "our model exported as GGUF: read back, trained and exported again"
        raise TextgenError(
            f"{info.path}: cannot fine-tune this GGUF file ({info.architecture}): it was not "
            "exported by textgen, so there are no trainable PyTorch weights to start from; "
            "fine-tune the original Hugging Face model instead (with --lora)")
    raise TextgenError(f"{info.path}: fine-tuning is not available for the {info.backend} backend")


def new_output_dir(model_path: str, root: Path | None = None) -> Path:
    """A fresh folder for the fine-tuned copy: <data>/finetuned/<name>-<time>."""
    if root is None:
        from textgen.tui.user_data import data_dir

        root = data_dir() / "finetuned"
    stem = Path(model_path).stem or "model"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = root / f"{stem}-ft-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = root / f"{stem}-ft-{stamp}-{n}"
    return path


def progress_values(*args, **kwargs) -> dict:
    """The step, total, loss and epoch of one progress report, however the
    trainer shapes it: keywords, a dict, an object with attributes, or
    positional ``(step, total, loss)``."""
    names = ("step", "total", "loss", "epoch", "epochs")
    aliases = {"total_steps": "total", "max_steps": "total", "steps": "total",
               "num_epochs": "epochs", "train_loss": "loss"}
    values: dict = {}
    source = kwargs
    if len(args) == 1 and not kwargs and not isinstance(args[0], (int, float)):
        item = args[0]
        source = item if isinstance(item, dict) else {
            k: getattr(item, k) for k in dir(item) if not k.startswith("_")}
    elif args:
        values.update(zip(("step", "total", "loss"), args))
    for key, value in dict(source).items():
        key = aliases.get(key, key)
        if key in names and value is not None and not callable(value):
            values.setdefault(key, value)
    return values


class FinetuneJob:
    """One fine-tune run; ``run()`` blocks (call it from a worker thread)."""

    def __init__(self, model_path: str, request: FinetuneRequest, out_dir: Path,
                 on_progress: Callable[[dict], None], train: Callable | None = None,
                 min_interval: float = 0.1, on_notice: Callable[[str], None] | None = None):
        self.model_path = model_path
        self.request = request
        self.out_dir = out_dir
        self.on_progress = on_progress
        self.on_notice = on_notice
        self.train = train
        self.min_interval = min_interval
        self._stop = threading.Event()
        self._last_report = 0.0

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def _progress(self, *args, **kwargs) -> None:
        values = progress_values(*args, **kwargs)
        now = time.monotonic()
        final = values.get("total") and values.get("step") == values.get("total")
        if final or now - self._last_report >= self.min_interval:
            self._last_report = now
            self.on_progress(values)

    def run(self) -> Path | None:
        """The new model's path, or None when cancelled."""
        train = self.train or load_trainer()
        extra = {}
        if self.on_notice is not None and _accepts(train, "notify"):
            extra["notify"] = self.on_notice
        result = train(self.model_path, str(self.request.data_path), str(self.out_dir),
                       epochs=self.request.epochs, lora=self.request.lora,
                       max_steps=self.request.max_steps, progress=self._progress,
                       should_stop=self._stop.is_set, **extra)
        if self.cancelled or result is None:
            return None
        return export_like_source(Path(self.model_path), Path(result), self.on_notice)


def export_like_source(source: Path, trained: Path,
                       notice: Callable[[str], None] | None = None) -> Path:
    """The fine-tuned model in the file format of the model it came from.

    A GGUF source (one of ours: others cannot be trained) gets a GGUF copy
    with the same quantization, written inside the new checkpoint folder,
    so the user goes on with the kind of file they chose. Anything else
    (or a trainer that already wrote a GGUF file) is returned as it is.
    """
    if source.suffix.lower() != ".gguf" or not trained.is_dir():
        return trained
    from textgen.core.checkpoint import load_checkpoint
    from textgen.core.export.gguf_export import export_gguf
    from textgen.core.export.gguf_reader import read_gguf_header
    from textgen.core.export.gguf_tensors import QUANT_NAMES

    quant = read_gguf_header(source).get("_file_type_name") or "f16"
    quant = quant if quant in QUANT_NAMES else "f16"
    if notice is not None:
        notice(f"writing the fine-tuned model as GGUF ({quant}), like {source.name}")
    return export_gguf(load_checkpoint(trained), trained / f"{source.stem}.gguf", quant).path


def load_trainer() -> Callable:
    try:
        from textgen.train.finetune import finetune
    except ImportError as e:
        raise TextgenError(f"fine-tuning is not available in this installation ({e})") from None
    return finetune


def _accepts(function: Callable, name: str) -> bool:
    import inspect

    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())
