"""Fine-tune jobs: one at a time, in a thread, with progress and cancel.

A job trains a copy of a served model on uploaded text with
``textgen.train.finetune.finetune`` (the same function the TUI uses). It
works in a hidden staging folder (``<finetune_dir>/.jobs/<id>``, which the
model registry skips); only a finished model is moved to
``<finetune_dir>/<name>``, where ``/v1/models`` finds it. A cancelled or
failed job leaves nothing behind. Jobs live in memory: a restart forgets
them (finished models stay, being files).
"""
from __future__ import annotations

import logging
import queue
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from textgen.core.errors import TextgenError
from textgen.server.errors import APIError, QueueFull

log = logging.getLogger("textgen.server")

FINISHED = ("succeeded", "failed", "cancelled")


def load_trainer() -> Callable | None:
    try:
        from textgen.train.finetune import finetune
    except ImportError:
        return None
    return finetune


@dataclass
class FinetuneJob:
    id: str
    base_model: str
    base_path: Path
    output_name: str
    epochs: int
    max_steps: int | None
    lora: bool
    status: str = "queued"       # queued | running | succeeded | failed | cancelled
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    step: int = 0
    total: int | None = None
    loss: float | None = None
    epoch: float | None = None
    losses: list[float] = field(default_factory=list)
    val_loss: float | None = None
    eta: float | None = None     # the trainer's own estimate, when it gives one
    error: str | None = None
    model: str | None = None     # the new model's name, once succeeded
    stop: threading.Event = field(default_factory=threading.Event)

    def eta_seconds(self) -> float | None:
        if self.status != "running":
            return None
        if self.eta is not None:
            return round(self.eta, 1)
        if not self.step or not self.total or not self.started:
            return None
        rate = (time.time() - self.started) / self.step
        return round(rate * max(0, self.total - self.step), 1)

    def to_dict(self) -> dict:
        return {"id": self.id, "object": "finetune.job", "status": self.status,
                "base_model": self.base_model, "output_name": self.output_name,
                "model": self.model, "epochs": self.epochs, "max_steps": self.max_steps,
                "lora": self.lora, "step": self.step, "total_steps": self.total,
                "loss": self.loss, "val_loss": self.val_loss, "epoch": self.epoch,
                "losses": self.losses[-200:],
                "progress": round(self.step / self.total, 4) if self.total else None,
                "eta_seconds": self.eta_seconds(), "created": int(self.created),
                "started": self.started and int(self.started),
                "finished": self.finished and int(self.finished), "error": self.error}


class FinetuneManager:
    def __init__(self, finetune_dir: Path | None, trainer: Callable | None = None,
                 max_pending: int = 4, keep_finished: int = 100):
        self.finetune_dir = finetune_dir
        self._trainer = trainer
        self.max_pending = max_pending
        self.keep_finished = keep_finished
        self.jobs: dict[str, FinetuneJob] = {}
        self._queue: queue.Queue[FinetuneJob | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def trainer(self) -> Callable | None:
        if self._trainer is None:
            self._trainer = load_trainer()
        return self._trainer

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for job in list(self.jobs.values()):
            out[job.status] = out.get(job.status, 0) + 1
        return out

    def submit(self, base_model: str, base_path: Path, text: str, *, epochs: int = 1,
               max_steps: int | None = None, lora: bool = False,
               name: str | None = None) -> FinetuneJob:
        if self.finetune_dir is None:
            raise APIError(501, "fine-tuning is off: start the server with --finetune-dir",
                           type="server_error", code="finetune_disabled")
        if self.trainer is None:
            raise APIError(501, "fine-tuning is not available in this installation "
                           "(textgen.train.finetune is missing)", type="server_error",
                           code="finetune_unavailable")
        job_id = "ft-" + secrets.token_hex(6)
        output = name or f"{base_model}-ft-{job_id[3:]}"
        if (self.finetune_dir / output).exists() or any(
                j.output_name == output and j.status not in FINISHED for j in self.jobs.values()):
            raise APIError(409, f"a model named {output!r} exists already; choose another name",
                           param="name", code="name_taken")
        with self._lock:
            pending = sum(1 for j in self.jobs.values() if j.status == "queued")
            if pending >= self.max_pending:
                raise QueueFull("fine-tuning", 60)
            staging = self.finetune_dir / ".jobs" / job_id
            staging.mkdir(parents=True)
            (staging / "data.txt").write_text(text, encoding="utf-8")
            job = FinetuneJob(job_id, base_model, base_path, output, epochs, max_steps, lora)
            self.jobs[job_id] = job
            self._forget_old()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="textgen-finetune",
                                                daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> FinetuneJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise APIError(404, f"no fine-tune job {job_id!r}", param="id", code="not_found")
        return job

    def cancel(self, job_id: str) -> FinetuneJob:
        job = self.get(job_id)
        if job.status in FINISHED:
            raise APIError(409, f"fine-tune job {job_id} has already {job.status}",
                           code="job_finished")
        with self._lock:
            job.stop.set()
            if job.status == "queued":
                self._end(job, "cancelled")
        return job

    def shutdown(self, timeout: float = 10.0) -> None:
        for job in list(self.jobs.values()):
            if job.status not in FINISHED:
                job.stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    # --- the training thread -------------------------------------------------------
    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                if job.status != "queued":
                    continue
                job.status, job.started = "running", time.time()
            self._run(job)

    def _run(self, job: FinetuneJob) -> None:
        staging = self.finetune_dir / ".jobs" / job.id

        def progress(**values) -> None:
            """The trainer's report after each step: step, total, loss, epoch, eta, ..."""
            job.step = int(values.get("step") or job.step)
            job.total = int(values["total"]) if values.get("total") else job.total
            job.epoch = values.get("epoch", job.epoch)
            job.eta = values.get("eta", job.eta)
            job.val_loss = values.get("val_loss", job.val_loss)
            if values.get("loss") is not None:
                job.loss = float(values["loss"])
                job.losses.append(round(job.loss, 5))

        try:
            result = self.trainer(str(job.base_path), str(staging / "data.txt"),
                                  str(staging / "model"), epochs=job.epochs, lora=job.lora,
                                  max_steps=job.max_steps, progress=progress,
                                  should_stop=job.stop.is_set)
            if job.stop.is_set():
                self._end(job, "cancelled")
                return
            produced = Path(result) if result is not None else staging / "model"
            target = self.finetune_dir / job.output_name
            shutil.move(str(produced), str(target))
            job.model = job.output_name
            self._end(job, "succeeded")
        except Exception as exc:   # the job fails; the server lives on
            if isinstance(exc, TextgenError):
                log.warning("fine-tune job %s failed: %s", job.id, exc)
            else:
                log.exception("fine-tune job %s failed", job.id)
            job.error = str(exc) or type(exc).__name__
            self._end(job, "cancelled" if job.stop.is_set() else "failed")

    def _end(self, job: FinetuneJob, status: str) -> None:
        job.status, job.finished = status, time.time()
        if self.finetune_dir is not None:
            shutil.rmtree(self.finetune_dir / ".jobs" / job.id, ignore_errors=True)

    def _forget_old(self) -> None:
        done = [j for j in self.jobs.values() if j.status in FINISHED]
        for job in sorted(done, key=lambda j: j.created)[:max(0, len(done) - self.keep_finished)]:
            self.jobs.pop(job.id, None)
