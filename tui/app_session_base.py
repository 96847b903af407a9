"""What every mode of the app remembers: inputs, parameters, outputs, undo.

One ``ModeSession`` per mode holds the user's inputs, the sampling
parameters, the generated segments and an undo stack. It knows nothing of
widgets: the app reads a form into ``inputs`` (UI thread), a worker calls
``open_stream`` (model work, off the UI thread), and the app hands the
finished result back to ``record``. A session renders its output as a
Markdown document (``document``), so a view can redraw it at any time (after
undo, reopening a session file, ...).

Actions: ``new`` starts over from the inputs, ``continue`` extends the
output, ``regenerate`` replaces the last segment with a fresh sample.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from textgen.assistants import StoryAssistant
from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams

ACTIONS = ("new", "continue", "regenerate")
# How many alternatives each token carries, for the token inspector.
INSPECT_TOP = 5


@dataclass
class Segment:
    """One generation: the text shown, what the model wrote, and its tokens."""
    text: str
    raw: str = ""
    seed: int | None = None
    stats: dict = field(default_factory=dict)
    tokens: list = field(default_factory=list)     # TokenEvents (not saved to disk)
    candidates: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"text": self.text, "raw": self.raw, "seed": self.seed, "stats": self.stats,
                "candidates": self.candidates, "extra": _plain(self.extra)}

    @classmethod
    def from_dict(cls, data: dict) -> "Segment":
        return cls(text=str(data.get("text", "")), raw=str(data.get("raw", "")),
                   seed=data.get("seed"), stats=dict(data.get("stats") or {}),
                   candidates=list(data.get("candidates") or []),
                   extra=dict(data.get("extra") or {}))


def _plain(value):
    """Only JSON-friendly values (extras may hold anything)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


class ModeSession:
    """Base of the five modes' state."""

    mode = "base"
    title = "Base"
    assistant_class = StoryAssistant
    live_replaced = False          # the final text replaces the live text at the end
    DEFAULT_INPUTS: dict = {}

    def __init__(self):
        self.params: SamplingParams = self.assistant_class.default_params()
        self.inputs: dict = dict(self.DEFAULT_INPUTS)
        self.segments: list[Segment] = []
        self._undo: list = []

    # --- requests ----------------------------------------------------------------
    def check(self, action: str) -> None:
        """Cheap checks in the UI thread, before a worker starts (no model calls)."""
        if action not in ACTIONS:
            raise TextgenError(f"unknown action {action!r}")
        if action in ("continue", "regenerate") and not self.segments:
            raise TextgenError(f"nothing to {action} yet: generate first")

    def request_params(self, seed: int | None = None) -> SamplingParams:
        """The parameters of one run: a concrete seed (so the run can be
        repeated) and the alternatives the inspector shows."""
        if seed is None:
            seed = self.params.seed if self.params.seed is not None else random.randrange(2**31)
        return self.params.replace(seed=seed, logprobs=max(self.params.logprobs, INSPECT_TOP))

    def open_stream(self, generator, action: str, params: SamplingParams):
        """The AssistantStream for ``action`` (called in a worker thread)."""
        raise NotImplementedError

    def record(self, action: str, segment: Segment) -> None:
        """Keep a finished generation; the state before it goes on the undo stack."""
        self._undo.append(self._snapshot())
        if action == "new":
            self.segments = [segment]
        elif action == "continue":
            self.segments.append(segment)
        else:
            self.segments[-1:] = [segment]

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._restore(self._undo.pop())
        return True

    def _snapshot(self):
        return list(self.segments)

    def _restore(self, snapshot) -> None:
        self.segments = snapshot

    # --- display -------------------------------------------------------------------
    def document(self) -> str:
        """The whole output as Markdown."""
        return "".join(s.text for s in self.segments)

    def live_prefix(self, action: str) -> str:
        """What stays on screen while ``action`` streams (its text comes after)."""
        if action == "new":
            return ""
        if action == "regenerate":
            return "".join(s.text for s in self.segments[:-1])
        return self.document()

    def plain_text(self) -> str:
        """The output as the user would paste it elsewhere (for copying)."""
        return self.document()

    @property
    def last_tokens(self) -> list:
        return self.segments[-1].tokens if self.segments else []

    # --- files ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"params": self.params.to_dict(), "inputs": dict(self.inputs),
                "segments": [s.to_dict() for s in self.segments]}

    def load_dict(self, data: dict) -> None:
        params = dict(data.get("params") or {})
        params.pop("logit_bias", None)
        self.params = SamplingParams.from_dict(params) if params else self.params
        self.inputs = {**self.DEFAULT_INPUTS, **dict(data.get("inputs") or {})}
        self.segments = [Segment.from_dict(s) for s in data.get("segments") or []]
        self._undo = []
