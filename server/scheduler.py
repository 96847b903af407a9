"""One thread per loaded model runs every generation on it, fairly.

Why one thread per model: a model's decode loop and some tokenizers are not
safe to share between threads, and on a CPU two threads on one model only
fight over the same cores. The event loop never runs model code.

Fairness: jobs are admitted in arrival order (FIFO) up to ``max_active``;
the admitted ones advance one token each in turn (round-robin), so a long
reply does not hold back a short one that came later, and a new stream's
first token waits for at most one token of each of the others.

Bounds: at most ``max_waiting`` jobs wait behind the active ones; a further
``submit`` raises QueueFull (503 with Retry-After). A cancelled job leaves
the queue, or the round, before its next token, so a client that goes away
frees its slot at once.

A job's items reach the event loop through an asyncio.Queue fed with
``call_soon_threadsafe``: ``Delta(choice, event)`` per token, ``ChoiceEnd``
when one choice is over, then exactly one of ``Done`` / ``Failed``.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from textgen.core.errors import TextgenError
from textgen.server.errors import APIError, QueueFull
from textgen.server.metrics import Metrics

log = logging.getLogger("textgen.server")


@dataclass
class Delta:
    choice: int
    text: str
    token_id: int          # -1 for text released at the end (no new token)
    candidate: int = 0     # twist mode: which suggestion this text belongs to
    kind: str = "delta"    # "delta" | "candidate_end"
    payload: Any = None    # candidate_end: {"text", "accepted"}


@dataclass
class ChoiceEnd:
    choice: int
    text: str              # final text (post-processed by an assistant)
    stats: Any             # GenerationStats
    result: Any = None     # AssistantResult, when an assistant made it


@dataclass
class Done:
    pass


@dataclass
class Failed:
    error: BaseException


def _as_delta(choice: int, event) -> Delta:
    """A TokenEvent (plain completion) or an AssistantEvent (a mode) as a Delta."""
    if hasattr(event, "kind"):          # AssistantEvent
        token_id = event.token.token_id if event.token is not None else -1
        payload = None
        if event.kind == "candidate_end":
            payload = {"text": event.candidate_text, "accepted": event.accepted}
        return Delta(choice, event.text, token_id, event.candidate, event.kind, payload)
    return Delta(choice, event.text, event.token_id)


def _end_of(choice: int, stream) -> ChoiceEnd:
    if hasattr(stream, "result"):       # AssistantStream
        result = stream.result
        return ChoiceEnd(choice, result.text, result.stats, result)
    return ChoiceEnd(choice, stream.text, stream.stats)


class GenerationJob:
    """One request's generations: built and run on the model's thread.

    ``build()`` runs there first and returns ``[(choice_index, stream)]``,
    where a stream is a TokenStream or an AssistantStream (both iterate,
    cancel and close). It raises for requests the model cannot serve; that
    error is the job's first item, so the route can still answer 400.
    """

    _ids = itertools.count(1)

    def __init__(self, build: Callable[[], list], loop: asyncio.AbstractEventLoop, model: str):
        self.id = f"gen-{next(self._ids)}-{int(time.time() * 1000) % 100000:05d}"
        self.model = model
        self.items: asyncio.Queue = asyncio.Queue()
        self.submitted = time.monotonic()
        self.first_token_at: float | None = None
        self.tokens = 0
        self.outcome = "pending"      # finished | refused (a client error) | failed | cancelled
        self._build = build
        self._loop = loop
        self._cancel = threading.Event()
        self._current = None
        self._steps: Iterator | None = None
        self.finished = threading.Event()

    # --- any thread ------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()
        current = self._current
        if current is not None:
            current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # --- the model's thread -----------------------------------------------------
    def _run(self) -> Iterator:
        if self._cancel.is_set():
            return
        streams = self._build()
        for choice, stream in streams:
            if self._cancel.is_set():
                return
            self._current = stream
            with stream:
                for event in stream:
                    yield _as_delta(choice, event)
            yield _end_of(choice, stream)
            self._current = None

    def step(self) -> bool:
        """Advance by one item; False once the job is over (whatever the reason).

        A cancelled stream ends before its next token (the decode loop checks
        between tokens), so a cancelled job still closes with what it wrote
        (stop reason "cancelled") and Done, one step later, without more model work.
        """
        if self._steps is None:
            self._steps = self._run()
        try:
            item = next(self._steps)
        except StopIteration:
            return self._finish("cancelled" if self._cancel.is_set() else "finished", Done())
        except Exception as exc:   # reported to the client; the thread lives on
            refused = isinstance(exc, (APIError, TextgenError))
            return self._finish("refused" if refused else "failed", Failed(exc))
        if isinstance(item, Delta) and item.token_id >= 0:
            self.tokens += 1
            if self.first_token_at is None:
                self.first_token_at = time.monotonic()
        self._emit(item)
        return True

    def _finish(self, outcome: str, item) -> bool:
        self.outcome = outcome
        if self._steps is not None:
            try:
                self._steps.close()    # closes the current stream: cancels its decode loop
            except Exception:          # a stream that fails while closing must not kill the thread
                log.exception("closing a generation failed")
        self._current = None
        self._emit(item if item is not None else Failed(asyncio.CancelledError()))
        self.finished.set()
        return False

    def _emit(self, item) -> None:
        try:
            self._loop.call_soon_threadsafe(self.items.put_nowait, item)
        except RuntimeError:   # the event loop is gone (shutdown): nobody is listening
            pass


class ModelWorker:
    """The thread that owns one loaded generator, and its queue."""

    def __init__(self, name: str, generator, metrics: Metrics, max_active: int = 8,
                 max_waiting: int = 64):
        self.name = name
        self.generator = generator
        self.metrics = metrics
        self.max_active = max_active
        self.max_waiting = max_waiting
        self.last_used = time.monotonic()
        self._waiting: deque[GenerationJob] = deque()
        self._active: list[GenerationJob] = []
        self._cond = threading.Condition()
        self._closed = False
        self._recent_seconds: deque[float] = deque(maxlen=32)
        self._thread = threading.Thread(target=self._loop, name=f"textgen-model-{name}",
                                        daemon=True)
        self._thread.start()

    # --- event loop side ----------------------------------------------------------
    def submit(self, job: GenerationJob) -> None:
        with self._cond:
            if self._closed:
                raise QueueFull(f"model {self.name!r}", 5)
            if len(self._active) + len(self._waiting) >= self.max_active + self.max_waiting:
                self.metrics.rejected.inc(model=self.name)
                raise QueueFull(f"model {self.name!r}", self.retry_after())
            self._waiting.append(job)
            self.last_used = time.monotonic()
            self._cond.notify()

    def release(self, job: GenerationJob) -> None:
        """The client is done with ``job``: cancel it if it still runs or waits."""
        if job.finished.is_set():
            return
        job.cancel()
        with self._cond:
            if job in self._waiting:
                self._waiting.remove(job)
                job.outcome = "cancelled"
                job.finished.set()
                self.metrics.generations.inc(model=self.name, outcome="cancelled")
            self._cond.notify()

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: typical job time x queue rounds."""
        typical = (sum(self._recent_seconds) / len(self._recent_seconds)
                   if self._recent_seconds else 2.0)
        rounds = (len(self._waiting) + 1) / self.max_active
        return max(1, min(120, math.ceil(typical * rounds)))

    @property
    def active(self) -> int:
        return len(self._active)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def busy(self) -> bool:
        return bool(self._active or self._waiting)

    def close(self, timeout: float = 5.0) -> None:
        """Cancel everything, stop the thread and free the model."""
        with self._cond:
            self._closed = True
            jobs = list(self._active) + list(self._waiting)
            self._cond.notify()
        for job in jobs:
            job.cancel()
        self._thread.join(timeout)
        for job in jobs:
            if not job.finished.is_set():
                job._finish("cancelled", None)
        try:
            self.generator.close()
        except Exception:
            log.exception("closing model %s failed", self.name)

    # --- the model's thread --------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._waiting and not self._active:
                    self._cond.wait()
                if self._closed:
                    return
                while self._waiting and len(self._active) < self.max_active:
                    self._active.append(self._waiting.popleft())
                turn = list(self._active)
            for job in turn:
                if not self._advance(job):
                    with self._cond:
                        self._active.remove(job)
                    self._record(job)

    def _advance(self, job: GenerationJob) -> bool:
        before = job.tokens
        try:
            alive = job.step()
        except BaseException:   # never let one request stop the model's thread
            log.exception("job %s crashed", job.id)
            alive = job._finish("failed", Failed(RuntimeError("generation crashed")))
        if job.tokens > before:
            self.metrics.tokens.inc(job.tokens - before, model=self.name)
            if before == 0:
                self.metrics.ttft.observe(job.first_token_at - job.submitted)
        return alive

    def _record(self, job: GenerationJob) -> None:
        self.last_used = time.monotonic()
        self._recent_seconds.append(time.monotonic() - job.submitted)
        self.metrics.generations.inc(model=self.name, outcome=job.outcome)
