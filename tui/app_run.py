"""One generation in flight, shared by the worker thread and the UI.

The worker only ``push``es events (under a lock, never touching widgets);
the UI ``take``s whatever has piled up on a timer and turns the batch into
one append to the output view (``apply``), so a model writing thousands of
tokens a second costs the UI a few redraws a second, not one per token.
Cancelling is thread-safe and also works before the stream exists.
"""
from __future__ import annotations

import threading
import time

from textgen.core.sampling import SamplingParams


class ActiveRun:
    def __init__(self, mode: str, action: str, params: SamplingParams, prefix: str = "",
                 numbered_before: int = 0):
        self.mode = mode
        self.action = action
        self.params = params
        self.prefix = prefix
        self.started = time.perf_counter()
        self.first_token_at: float | None = None
        self.token_count = 0
        self.tokens: list = []          # TokenEvents, for the inspector (UI side)
        self.live_text = ""
        self._lock = threading.Lock()
        self._pending: list = []
        self._stream = None
        self._cancelled = False
        self.finished = False
        self.context = None             # the PromptContext the assistant assembled
        # plot twists: candidates kept in this run, and the one being written
        self._numbered_before = numbered_before
        self.kept: list[str] = []
        self._candidate: int | None = None
        self._shown_candidates = 0

    # --- worker side --------------------------------------------------------------
    def attach(self, stream) -> None:
        with self._lock:
            self._stream = stream
            if self._cancelled:
                stream.cancel()

    def push(self, event) -> None:
        now = time.perf_counter()
        with self._lock:
            self._pending.append(event)
            token = event.token
            if token is not None and token.token_id >= 0:
                self.token_count += 1
                if self.first_token_at is None:
                    self.first_token_at = now

    # --- any thread ------------------------------------------------------------------
    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._stream is not None:
                self._stream.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    # --- UI side ------------------------------------------------------------------
    def take(self) -> list:
        with self._lock:
            events, self._pending = self._pending, []
        return events

    def figures(self) -> tuple[int, float | None, float | None]:
        """(tokens so far, tokens per second, time to first token) while running."""
        count, first = self.token_count, self.first_token_at
        if first is None:
            return count, None, None
        elapsed = time.perf_counter() - first
        rate = (count - 1) / elapsed if count > 1 and elapsed > 0 else None
        return count, rate, first - self.started

    def apply(self, events: list) -> str:
        """Fold a batch into the run; returns the text to append to the view.

        Plot twists stream as a numbered list, one raw candidate per item; a
        candidate found too similar to an earlier one is marked as dropped,
        and the final redraw shows the cleaned-up list. (Appending only keeps
        the view from rebuilding itself mid-stream.)"""
        out: list[str] = []
        for event in events:
            token = event.token
            if token is not None and token.token_id >= 0:
                self.tokens.append(token)
            if self.mode != "twist":
                out.append(event.text)
                continue
            if event.kind == "candidate_end":
                if event.accepted:
                    self.kept.append(event.candidate_text)
                if self._candidate is not None:
                    out.append("\n" if event.accepted else " *(too similar; dropped)*\n")
                self._candidate = None
                continue
            if event.candidate != self._candidate:
                self._candidate = event.candidate
                self._shown_candidates += 1
                out.append(f"{self._numbered_before + self._shown_candidates}. ")
            out.append(" ".join(event.text.split("\n")))
        text = "".join(out)
        self.live_text += text
        return text

    def document(self) -> str:
        """Everything the view shows now."""
        return self.prefix + self.live_text
