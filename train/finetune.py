"""Fine-tuning as a library call, for the app and for scripts.

    finetune(model_path, text_or_file, out_dir, epochs=1, lora=False,
             max_steps=None, progress=callback, should_stop=callable) -> Path

The model is one of our checkpoints (a folder, a legacy .pt file, or a GGUF
file we exported), or a Hugging Face model folder (fully, or with LoRA
adapters merged into the result). The original is only read: training runs
in a hidden work folder beside ``out_dir`` and the new model appears at
``out_dir`` in one rename when training is done. ``should_stop`` returning
true cancels: nothing is written and the call returns None. ``progress`` is
called after every update with keywords ``step``, ``total``, ``loss``,
``epoch``, ``epochs``, ``val_loss``, ``tokens_per_s`` and ``eta``.
"""
from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Callable

from textgen.core.errors import TextgenError

MIN_TEXT_FOR_VALIDATION = 5000      # characters; shorter texts are all used for training


def finetune(model_path: str | Path, text_or_file: str | Path, out_dir: str | Path,
             epochs: int = 1, lora: bool = False, max_steps: int | None = None,
             progress: Callable | None = None, should_stop: Callable[[], bool] | None = None,
             lr: float | None = None, batch_size: int = 8, seq_len: int = 128,
             notify: Callable[[str], None] | None = None) -> Path | None:
    from textgen.core.backends import detect_backend
    from textgen.train.config import TrainConfig
    from textgen.train.run import train_run

    model_path = Path(model_path).expanduser().resolve()
    out_dir = Path(out_dir).expanduser().resolve()
    if epochs < 1 or (max_steps is not None and max_steps < 1):
        raise TextgenError("fine-tuning needs epochs >= 1 and max_steps >= 1")
    if out_dir == model_path or model_path in out_dir.parents:
        raise TextgenError(f"{out_dir}: the fine-tuned copy must not be written into the "
                           "original model")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise TextgenError(f"{out_dir}: already exists and is not empty")
    backend = detect_backend(model_path)
    notify = notify or (lambda message: None)
    work = out_dir.parent / f".{out_dir.name}.finetune"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        config = TrainConfig(name=f"finetune-{model_path.stem}")
        text_path = Path(str(text_or_file)).expanduser()
        if not (len(str(text_or_file)) < 4096 and text_path.is_file()):
            text_path = work / "text.txt"
            text_path.write_text(str(text_or_file), encoding="utf-8")
        chars = text_path.stat().st_size
        config.data.path = str(text_path)
        config.data.cache_dir = str(work / "cache")
        config.data.val_fraction = 0.1 if chars >= MIN_TEXT_FOR_VALIDATION else 0.0
        if backend == "hf":
            config.base = str(model_path)
            config.lora.enabled = lora
            config.optim.lr = lr or (2e-4 if lora else 5e-5)
        else:
            if lora:
                notify("LoRA applies to Hugging Face models; this model is fine-tuned fully")
            config.init_from = str(_our_checkpoint(model_path, backend, work))
            config.optim.lr = lr or 3e-4
        t = config.train
        t.batch_size, t.seq_len = batch_size, seq_len
        t.log_interval = 1
        t.precision = "auto"

        def plan(train_tokens: int, per_step: int) -> int:
            steps = epochs * max(1, math.ceil(train_tokens / per_step))
            plan.steps_per_epoch = max(1, math.ceil(train_tokens / per_step))
            total = min(steps, max_steps) if max_steps else steps
            t.eval_interval = t.checkpoint_interval = max(1, total // 4)
            config.optim.warmup_steps = min(20, total // 10)
            config.optim.min_lr = config.optim.lr / 10
            return total

        plan.steps_per_epoch = 1

        def report(p) -> None:
            if progress is not None:
                progress(step=p.step, total=p.total, loss=p.loss,
                         epoch=min(epochs, p.step / plan.steps_per_epoch), epochs=epochs,
                         val_loss=p.val_loss, tokens_per_s=p.tokens_per_s, eta=p.eta)

        outcome = train_run(config.validate(), work / "run", notify=notify, on_progress=report,
                            should_stop=should_stop, plan_steps=plan)
        if outcome.result.stop_reason == "interrupted":
            return None
        result = outcome.run.best if outcome.run.best.is_dir() else outcome.run.last
        shutil.copyfile(outcome.run.metrics, result / "training_metrics.jsonl")
        for name in ("train_state.json", "train_state.safetensors"):
            (result / name).unlink(missing_ok=True)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(result, out_dir)
        return out_dir
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _our_checkpoint(path: Path, backend: str, work: Path) -> Path:
    """A checkpoint folder to start from (GGUF exports and .pt files are converted)."""
    if backend == "torch" and path.is_dir():
        return path
    from textgen.core.checkpoint import load_checkpoint, save_checkpoint

    if backend == "gguf":
        from textgen.core.export.gguf_reader import is_textgen_gguf, load_gguf_checkpoint, \
            read_gguf_header

        if not is_textgen_gguf(read_gguf_header(path)):
            raise TextgenError(f"{path}: this GGUF file was not exported by textgen, so there "
                               "are no trainable weights to start from; fine-tune the original "
                               "Hugging Face model instead")
        ckpt = load_gguf_checkpoint(path)
    elif backend == "torch":
        ckpt = load_checkpoint(path)
    else:
        raise TextgenError(f"{path}: fine-tuning is not available for {backend} models")
    return save_checkpoint(work / "source", ckpt.model, ckpt.tokenizer, ckpt.architecture,
                           ckpt.metadata)
