"""One training loop for every architecture.

Per update: a sequence length (with an optional curriculum), the learning
rate from the schedule, ``grad_accum`` micro-batches under autocast (with a
GradScaler for fp16), gradient clipping, an AdamW step. Recurrent models get
truncated back-propagation through time: their state is carried from one
chunk to the next and detached. Every ``eval_interval`` updates the
validation loss is measured; a better one refreshes ``best/``, and
``early_stopping_patience`` evaluations without improvement end the run.
``last/`` is refreshed every ``checkpoint_interval`` updates, at the end,
and when a stop is requested (Ctrl-C, SIGTERM, a ``should_stop`` callback):
it holds the weights plus everything needed to continue bit for bit --
optimizer moments, data position, random generators, carried state.
"""
from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from textgen.train import distributed as dist_util
from textgen.train import train_state as ts
from textgen.train.batches import RandomWindows, StreamChunks, detach_state
from textgen.train.optimization import build_optimizer, curriculum_seq_len, lr_at
from textgen.train.precision import autocast_factory, grad_scaler, resolve_precision
from textgen.train.scoring import score_tokens


@dataclass
class Progress:
    step: int
    total: int
    loss: float
    lr: float
    tokens_per_s: float
    elapsed: float
    eta: float
    val_loss: float | None = None


@dataclass
class TrainResult:
    step: int
    stop_reason: str            # finished | interrupted | early_stop
    best_val_loss: float | None
    last_val_loss: float | None
    train_loss: float | None
    elapsed: float


def cross_entropy(logits, x, y, reset: bool):
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))


class Trainer:
    def __init__(self, config, target, data, run=None, dist=None, device="cpu",
                 objective: Callable = cross_entropy, notify: Callable[[str], None] | None = None,
                 on_progress: Callable[[Progress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None, metadata: dict | None = None):
        self.config, self.target, self.data, self.run = config, target, data, run
        self.dist = dist or dist_util.DistInfo()
        self.device = torch.device(device)
        self.objective = objective
        self.notify = notify or (lambda message: None)
        self.on_progress = on_progress
        self.should_stop = should_stop or (lambda: False)
        self.metadata = metadata or {}
        t = config.train
        self.precision = resolve_precision(t.precision, self.device.type)
        self.autocast = autocast_factory(self.precision, self.device.type)
        self.scaler = grad_scaler(self.precision, self.device.type)
        self.raw = target.module.to(self.device)
        self.module = self._wrap(self.raw)
        self.optimizer = build_optimizer(self.raw, config.optim, self.device.type)
        self.seq_len = self._full_seq_len()
        if self.target.recurrent:
            self.sampler = StreamChunks(data.train, t.batch_size, self.dist.rank, self.dist.world)
        else:
            self.sampler = RandomWindows(data.train, t.batch_size, t.seed, self.dist.rank)
        self.carry = None
        self.step = 0
        self.tokens_seen = 0
        self.best_val: float | None = None
        self.last_val: float | None = None
        self.bad_evals = 0
        self.elapsed_before = 0.0
        self.train_loss: float | None = None

    # --- setup ------------------------------------------------------------------------
    def _full_seq_len(self) -> int:
        t, ctx = self.config.train, self.target.context_length
        seq_len = t.seq_len or ctx or 128
        if ctx:
            seq_len = min(seq_len, ctx)
        return max(2, min(seq_len, len(self.data.train) - 1))

    def _wrap(self, module):
        if self.config.train.compile:
            module = torch.compile(module)
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            module = DistributedDataParallel(module, device_ids=ids)
        return module

    # --- the loop ---------------------------------------------------------------------
    def fit(self, resume_from=None) -> TrainResult:
        t = self.config.train
        if resume_from is not None:
            self._restore(resume_from)
        start_time = time.monotonic()
        recent: deque = deque(maxlen=20)
        losses: list[float] = []
        reason = "finished"
        self._log({"event": "start", "step": self.step, "precision": self.precision,
                   "seq_len": self.seq_len, "world_size": self.dist.world,
                   "parameters": self.target.num_parameters()})
        saved_at = -1
        while self.step < t.max_steps:
            if dist_util.any_rank(self.dist, bool(self.should_stop()), self.device):
                reason = "interrupted"
                break
            began = time.monotonic()
            loss, tokens, lr = self._update()
            self.step += 1
            self.tokens_seen += tokens
            losses.append(loss)
            recent.append((time.monotonic() - began, tokens))
            elapsed = self.elapsed_before + time.monotonic() - start_time
            spent = sum(r[0] for r in recent) or 1e-9
            speed = sum(r[1] for r in recent) / spent
            eta = (t.max_steps - self.step) * spent / len(recent)
            if self.step % t.log_interval == 0 or self.step == t.max_steps:
                self._log({"event": "train", "step": self.step, "loss": _mean(losses),
                           "lr": lr, "tokens": self.tokens_seen, "tokens_per_s": speed,
                           "elapsed": elapsed, "seq_len": self._seq_len_now()})
                self.train_loss, losses = _mean(losses), []
            val = None
            if self.step % t.eval_interval == 0 or self.step == t.max_steps:
                val = self._evaluate(elapsed)
            if self.on_progress:
                self.on_progress(Progress(self.step, t.max_steps, loss, lr, speed, elapsed, eta,
                                          self.last_val))
            if val is not None and t.early_stopping_patience and \
                    self.bad_evals >= t.early_stopping_patience:
                reason = "early_stop"
                break
            if self.step % t.checkpoint_interval == 0 or self.step == t.max_steps:
                self.save_last(elapsed)
                saved_at = self.step
        elapsed = self.elapsed_before + time.monotonic() - start_time
        if saved_at != self.step:
            self.save_last(elapsed)
        if self.run is not None and self.dist.is_main and not self.run.best.exists():
            self._save_best()      # no validation split: the final weights are the best we have
        self._log({"event": "end", "step": self.step, "reason": reason, "elapsed": elapsed,
                   "best_val_loss": self.best_val})
        return TrainResult(self.step, reason, self.best_val, self.last_val,
                           _mean(losses) if losses else self.train_loss, elapsed)

    def _seq_len_now(self) -> int:
        t = self.config.train
        return curriculum_seq_len(self.step, self.seq_len, t.curriculum_start, t.curriculum_steps)

    def _update(self) -> tuple[float, int, float]:
        t, o = self.config.train, self.config.optim
        lr = lr_at(self.step, o, t.max_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        seq_len = self._seq_len_now()
        self.module.train()
        total, tokens = 0.0, 0
        for micro in range(t.grad_accum):
            x, y, reset = self.sampler.next(seq_len)
            x, y = x.to(self.device), y.to(self.device)
            if reset:
                self.carry = None
            last = micro == t.grad_accum - 1
            sync = contextlib.nullcontext() if (last or not self.dist.enabled) \
                else self.module.no_sync()
            with sync:
                with self.autocast():
                    if self.target.recurrent:
                        logits, state = self.module(x, self.carry)
                    else:
                        logits, state = self.module(x)
                    loss = self.objective(logits, x, y, reset)
                self.scaler.scale(loss / t.grad_accum).backward()
            if self.target.recurrent:
                self.carry = detach_state(state)
            total += float(loss.detach()) / t.grad_accum
            tokens += y.numel()
        if o.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.raw.parameters(), o.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        return total, tokens * self.dist.world, lr

    # --- validation and checkpoints -----------------------------------------------------
    def validation_loss(self) -> float | None:
        t = self.config.train
        if len(self.data.val) < 2:
            return None
        self.raw.eval()
        max_windows = t.eval_batches * t.batch_size if t.eval_batches else 0
        nats, count = score_tokens(self.raw, self.data.val, self.seq_len, t.batch_size,
                                   self.target.recurrent, max_windows, self.dist.rank,
                                   self.dist.world, self.autocast, self.device)
        nats, count = dist_util.sum_all(self.dist, [nats, float(count)], self.device)
        self.raw.train()
        return nats / count if count else None

    def _evaluate(self, elapsed: float) -> float | None:
        val = self.validation_loss()
        if val is None:
            return None
        self.last_val = val
        improved = self.best_val is None or val < self.best_val
        if improved:
            self.best_val, self.bad_evals = val, 0
        else:
            self.bad_evals += 1
        bpc = val * len(self.data.val) / max(self.data.val_chars, 1) / math.log(2)
        self._log({"event": "eval", "step": self.step, "val_loss": val, "val_bpc": bpc,
                   "val_ppl": math.exp(min(val, 50.0)), "best": improved, "elapsed": elapsed})
        if improved and self.run is not None and self.dist.is_main:
            self._save_best()
        return val

    def _training_metadata(self) -> dict:
        return {**self.metadata, "control_codes": list(self.data.control_codes),
                "training": {"step": self.step, "tokens_seen": self.tokens_seen,
                             "val_loss": self.last_val, "best_val_loss": self.best_val,
                             "run": self.config.name}}

    def _save_best(self) -> None:
        with self.run.writing("best") as folder:
            self.target.save(folder, self._training_metadata())

    def save_last(self, elapsed: float) -> None:
        """Weights and training state, written as one folder (collective under DDP)."""
        rank_tensors, rank_json = self._rank_state()
        everyone = dist_util.gather(self.dist, (rank_tensors, rank_json))
        if self.run is None or not self.dist.is_main:
            dist_util.barrier(self.dist)
            return
        opt_tensors, opt_json = ts.optimizer_to_flat(self.optimizer.state_dict())
        tensors = dict(opt_tensors)
        ranks = []
        for rank, (r_tensors, r_json) in enumerate(everyone):
            tensors.update({f"rank{rank}.{k}": v for k, v in r_tensors.items()})
            ranks.append(r_json)
        data = {"step": self.step, "tokens_seen": self.tokens_seen, "best_val": self.best_val,
                "last_val": self.last_val, "bad_evals": self.bad_evals, "elapsed": elapsed,
                "metrics_size": self.run.metrics_size(), "world_size": self.dist.world,
                "optimizer": opt_json, "scaler": self.scaler.state_dict(), "ranks": ranks}
        with self.run.writing("last") as folder:
            self.target.save(folder, self._training_metadata())
            ts.write_state(folder, tensors, data)
        dist_util.barrier(self.dist)

    def _rank_state(self) -> tuple[dict, dict]:
        rng_tensors, rng_json = ts.rng_snapshot()
        s_tensors, s_json = self.sampler.state()
        tensors = {**rng_tensors, **{f"sampler.{k}": v for k, v in s_tensors.items()}}
        carry = self.carry
        kind = "none" if carry is None else ("tensor" if isinstance(carry, torch.Tensor)
                                             else "tuple")
        parts = [] if carry is None else ([carry] if kind == "tensor" else list(carry))
        tensors.update({f"carry.{i}": p.detach().cpu() for i, p in enumerate(parts)})
        return tensors, {"rng": rng_json, "sampler": s_json, "carry": kind,
                         "carry_parts": len(parts)}

    def _restore(self, folder) -> None:
        tensors, data = ts.read_state(folder)
        self.optimizer.load_state_dict(ts.optimizer_from_flat(tensors, data["optimizer"]))
        self.scaler.load_state_dict(data.get("scaler") or {})
        self.step, self.tokens_seen = data["step"], data["tokens_seen"]
        self.best_val, self.last_val = data["best_val"], data["last_val"]
        self.bad_evals, self.elapsed_before = data["bad_evals"], data["elapsed"]
        if self.run is not None:
            if self.dist.is_main:
                self.run.truncate_metrics(data["metrics_size"])
            saved_best = _best_val_of(self.run.best)
            if saved_best is not None and (self.best_val is None or saved_best < self.best_val):
                self.best_val = saved_best   # best/ was refreshed after last/ was saved
        rank = self.dist.rank
        if data["world_size"] != self.dist.world or rank >= len(data["ranks"]):
            self.notify(f"resuming on {self.dist.world} process(es) a run saved on "
                        f"{data['world_size']}: the data order will differ from an "
                        "uninterrupted run")
            return
        mine = ts.prefixed(tensors, f"rank{rank}")
        info = data["ranks"][rank]
        ts.rng_restore(mine, info["rng"])
        self.sampler.restore(ts.prefixed(mine, "sampler"), info["sampler"])
        parts = [mine[f"carry.{i}"].to(self.device) for i in range(info["carry_parts"])]
        self.carry = None if info["carry"] == "none" else (
            parts[0] if info["carry"] == "tensor" else tuple(parts))

    def _log(self, record: dict) -> None:
        if self.run is not None and self.dist.is_main:
            self.run.append_metrics(record)


def _best_val_of(folder) -> float | None:
    import json

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        value = config["metadata"]["training"]["best_val_loss"]
        return float(value) if value is not None else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
