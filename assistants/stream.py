"""The stream every assistant returns, and the result it settles into.

``AssistantStream`` wraps one or more core TokenStreams: it yields
``AssistantEvent``s, can be cancelled from any thread, and computes its
``AssistantResult`` exactly once, however iteration ends (see
``textgen.assistants.base`` for the whole picture).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Iterator

from textgen.assistants.context import PromptContext
from textgen.core.generator import GenerationStats, TokenEvent, TokenStream


@dataclass
class AssistantEvent:
    """One step of an assistant's stream.

    ``kind="delta"``: ``text`` is newly generated text of candidate
    ``candidate`` (0 unless the mode produces several, like twists), with the
    underlying ``token`` event. ``kind="candidate_end"``: candidate
    ``candidate`` is finished; ``candidate_text`` is its post-processed text
    and ``accepted`` says whether it was kept (False: a near-duplicate).
    """
    text: str
    candidate: int = 0
    token: TokenEvent | None = None
    kind: str = "delta"
    candidate_text: str | None = None
    accepted: bool | None = None


@dataclass
class AssistantResult:
    """The outcome of one request.

    ``text``: the post-processed answer. ``raw_text``: what the model wrote.
    ``candidates``: the distinct answers when a mode produces several (twists).
    ``extra``: mode-specific facts (code validity, dialogue speaker, seeds, ...).
    """
    mode: str
    text: str
    raw_text: str
    stats: GenerationStats
    context: PromptContext
    candidates: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_dict(self, include_context: bool = False) -> dict:
        data = {"mode": self.mode, "text": self.text, "raw_text": self.raw_text,
                "stats": self.stats.to_dict(), "extra": self.extra}
        if self.candidates:
            data["candidates"] = self.candidates
        if include_context:
            data["context"] = self.context.to_dict()
        return data


def combine_stats(all_stats: list[GenerationStats]) -> GenerationStats:
    """Totals over several generations (twist candidates); the last one's stop reason."""
    if not all_stats:
        return GenerationStats(stop_reason="cancelled")
    if len(all_stats) == 1:
        return all_stats[0]
    return GenerationStats(
        prompt_tokens=sum(s.prompt_tokens for s in all_stats),
        completion_tokens=sum(s.completion_tokens for s in all_stats),
        time_to_first_token=all_stats[0].time_to_first_token,
        elapsed=sum(s.elapsed for s in all_stats),
        stop_reason=all_stats[-1].stop_reason,
        reused_prompt_tokens=sum(s.reused_prompt_tokens for s in all_stats),
    )


class AssistantStream:
    """Iterator of AssistantEvents; cancellable; ``result`` once it ends.

    Built by assistants, not by callers: ``produce(stream)`` yields the
    events and opens each generation with ``stream.track(token_stream)``;
    ``finalize(stream)`` builds the result from the tracked generations
    (whatever they hold, if the stream was stopped early).
    """

    def __init__(self, context: PromptContext,
                 produce: Callable[["AssistantStream"], Iterator[AssistantEvent]],
                 finalize: Callable[["AssistantStream"], AssistantResult]):
        self.context = context
        self.token_streams: list[TokenStream] = []
        # per tracked generation: None while running, else the stop reason to report
        self._ends: list[str | None] = []
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._finalize = finalize
        self._result: AssistantResult | None = None
        self.finished_iterating = False   # the events ran out by themselves
        self._events = produce(self)

    # --- used by assistants ---------------------------------------------------
    def track(self, token_stream: TokenStream) -> TokenStream:
        with self._lock:
            self.token_streams.append(token_stream)
            self._ends.append(None)
            if self._cancel.is_set():
                token_stream.cancel()
        return token_stream

    def mark_completed(self, stop_reason: str | None = None) -> None:
        """The latest generation is over: by itself (its own stop reason), or
        cut by the assistant (``stop_reason="stop"``)."""
        if self._ends:
            self._ends[-1] = stop_reason or self.token_streams[-1].stats.stop_reason

    @property
    def raw_texts(self) -> list[str]:
        return [s.text for s in self.token_streams]

    def stats(self) -> GenerationStats:
        """Stats of the generations; one stopped part-way reports "cancelled"."""
        for s, end in zip(self.token_streams, self._ends):
            s.stats.stop_reason = end or "cancelled"
        return combine_stats([s.stats for s in self.token_streams])

    # --- used by callers ------------------------------------------------------
    def __iter__(self) -> Iterator[AssistantEvent]:
        return self

    def __next__(self) -> AssistantEvent:
        if self._result is not None:
            raise StopIteration
        try:
            return next(self._events)
        except StopIteration:
            self.finished_iterating = True
            self._complete()
            raise
        except BaseException:
            self._cancel.set()
            self._complete()
            raise

    def cancel(self) -> None:
        """Stop after the current token; safe from any thread."""
        with self._lock:
            self._cancel.set()
            for s in self.token_streams:
                s.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def close(self) -> None:
        """Stop now (from the iterating thread) and settle the result."""
        if self._result is None:
            self.cancel()
            self._events.close()
            for s in self.token_streams:
                s.close()
            self._complete()

    def finish(self) -> AssistantResult:
        """Run to the end (or to a cancel) and return the result."""
        for _ in self:
            pass
        return self.result

    @property
    def result(self) -> AssistantResult:
        """The post-processed result. Read before the events ran out, it stops
        the stream first (like ``close()``) and settles what was written."""
        if self._result is None:
            if not self.finished_iterating:
                self.close()
            else:
                self._complete()
        return self._result

    @property
    def text(self) -> str:
        """Raw text generated so far by the latest generation."""
        return self.token_streams[-1].text if self.token_streams else ""

    def _complete(self) -> None:
        if self._result is None:
            self._result = self._finalize(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
