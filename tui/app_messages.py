"""Messages that workers post to the app (the only way they talk to the UI)."""
from __future__ import annotations

from pathlib import Path

from textual.message import Message


class ModelLoaded(Message):
    def __init__(self, path: str, generator, serial: int):
        super().__init__()
        self.path, self.generator, self.serial = path, generator, serial


class ModelFailed(Message):
    def __init__(self, path: str, error: str, serial: int = 0):
        super().__init__()
        self.path, self.error, self.serial = path, error, serial


class GenerationEnded(Message):
    """A run finished, was stopped, or failed (``error`` set, ``result`` None)."""

    def __init__(self, run, result, error: str | None):
        super().__init__()
        self.run, self.result, self.error = run, result, error


class FinetuneProgress(Message):
    def __init__(self, values: dict):
        super().__init__()
        self.values = values


class FinetuneEnded(Message):
    """``path`` is the fine-tuned model; None when cancelled or failed."""

    def __init__(self, job, path: Path | None, error: str | None):
        super().__init__()
        self.job, self.path, self.error = job, path, error
