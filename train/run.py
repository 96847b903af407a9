"""A training run from a config: pick the device, join the process group,
build or load the model, prepare the data, train, report.

This is what ``textgen train`` and ``textgen distill`` call, and what
:func:`textgen.train.finetune.finetune` builds on. It works without a
terminal: messages go to ``notify``, progress to ``on_progress``, and
``should_stop`` (polled between updates) ends the run with a checkpoint.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from textgen.core.errors import TextgenError
from textgen.train.config import TrainConfig, save_resolved
from textgen.train.run_folder import RunFolder


@dataclass
class RunOutcome:
    run: RunFolder
    result: object                 # TrainResult
    parameters: int
    val_chars: int
    val_tokens: int
    device: str
    precision: str
    target: object = None          # what was trained (its module holds the final weights)


def pick_device(requested: str, local_rank: int = 0) -> str:
    import torch

    if requested == "auto":
        return f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise TextgenError(f"train.device={requested}: no CUDA device here; use cpu or auto")
    return requested


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def build_target(config: TrainConfig, resume_from: Path | None = None):
    """The model to train: a Hugging Face base, a checkpoint to continue, a run's
    last checkpoint, or a new model (built once the tokenizer is known)."""
    from textgen.train.targets import checkpoint_target

    if config.base:
        from textgen.train.hf_target import hf_target

        target = hf_target(config.base, config.lora)
        if resume_from is not None:
            target.load_weights(resume_from)
        return target
    if resume_from is not None:
        return checkpoint_target(resume_from)
    if config.init_from:
        return checkpoint_target(config.init_from)
    return None   # a new model: built once the data has trained its tokenizer


def train_run(config: TrainConfig, out_dir: str | Path | None, resume: bool = False,
              notify: Callable[[str], None] | None = None, on_progress=None,
              should_stop: Callable[[], bool] | None = None, teacher_path: str | None = None,
              fresh_ok: bool = False,
              plan_steps: Callable[[int, int], int] | None = None) -> RunOutcome:
    """Train as ``config`` says; ``plan_steps(train_tokens, tokens_per_step)``, when
    given, sets ``train.max_steps`` once the data is known (epochs of fine-tuning)."""
    from textgen.train import distributed as dist_util
    from textgen.train.download import cache_dir
    from textgen.train.named_datasets import load_documents
    from textgen.train.token_data import prepare
    from textgen.train.trainer import Trainer, cross_entropy

    import torch

    notify = notify or (lambda message: None)
    t = config.train
    if t.threads:
        torch.set_num_threads(t.threads)
    probe = pick_device(t.device)
    dist = dist_util.setup(torch.device(probe).type)
    try:
        device = pick_device(t.device, dist.local_rank)
        if device.startswith("cuda"):
            torch.cuda.set_device(torch.device(device))
        run = RunFolder(out_dir) if out_dir is not None else None
        resume_from = None
        if run is not None:
            if resume:
                if not run.has_run() or not run.last.is_dir():
                    raise TextgenError(f"{run.root}: no saved run to resume (no last/ "
                                       "checkpoint); start it without --resume")
                resume_from = run.last
            elif run.has_run() and not fresh_ok:
                raise TextgenError(f"{run.root} already holds a run: pass --resume to continue "
                                   "it, or --out DIR to start a new one elsewhere")
        seed_everything(t.seed)

        teacher = None
        if teacher_path:
            from textgen.train.distill import load_teacher

            teacher = load_teacher(teacher_path, device)
        target = build_target(config, resume_from=resume_from)
        fixed = teacher.tokenizer if teacher is not None and target is None else (
            target.tokenizer if target is not None else None)

        docs = load_documents(config.data.dataset, config.data.path, config.data.text_field,
                              config.data.genre_field, config.data.max_chars,
                              config.data.encoding_errors, notify)
        if config.data.max_chars:
            docs = _cap(docs, config.data.max_chars)
        cache_root = Path(config.data.cache_dir).expanduser() if config.data.cache_dir \
            else cache_dir()
        if dist.enabled and not dist.is_main:
            dist_util.barrier(dist)        # rank 0 tokenizes and fills the cache first
        data = prepare(docs, config.tokenizer, config.data.val_fraction, cache_root,
                       tokenizer=fixed, notify=notify)
        if dist.enabled and dist.is_main:
            dist_util.barrier(dist)
        if len(data.train) < 3:
            raise TextgenError("the training text is too short to train on "
                               f"({len(data.train)} tokens)")
        if target is None:
            from textgen.train.targets import new_model_target

            target = new_model_target(config, data.tokenizer)
        if hasattr(target, "resize_for"):
            target.resize_for(data.tokenizer)

        if plan_steps is not None:
            per_step = t.batch_size * t.grad_accum * dist.world * min(
                t.seq_len or target.context_length or 128, target.context_length or 10**9)
            t.max_steps = max(1, int(plan_steps(len(data.train), per_step)))
        objective = cross_entropy
        metadata = {}
        if teacher is not None:
            from textgen.train.distill import DistillObjective, check_compatible

            check_compatible(teacher, target)
            objective = DistillObjective(teacher, config.distill, target.recurrent)
            metadata["distilled_from"] = str(teacher_path)
        if config.init_from:
            metadata["init_from"] = str(config.init_from)
        seed_everything(t.seed + 1000 * dist.rank)   # data order and dropout differ per rank
        if run is not None and dist.is_main:
            run.root.mkdir(parents=True, exist_ok=True)
            save_resolved(config, run.config)
            if not resume:
                notify(f"model: {target.describe()}; {len(data.train):,} training and "
                       f"{len(data.val):,} validation tokens")
        trainer = Trainer(config, target, data, run, dist, device, objective, notify,
                          on_progress, should_stop, metadata)
        result = trainer.fit(resume_from)
        return RunOutcome(run, result, target.num_parameters(), data.val_chars, len(data.val),
                          device, trainer.precision, target)
    finally:
        dist_util.teardown(dist)


def _cap(docs, max_chars: int):
    out, total = [], 0
    for doc in docs:
        if total >= max_chars:
            break
        if total + len(doc.text) > max_chars:
            doc = type(doc)(doc.text[:max_chars - total], doc.genre, doc.source)
        out.append(doc)
        total += len(doc.text)
    return out
