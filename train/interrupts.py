"""Ctrl-C and SIGTERM as a polite stop request for a training loop.

Inside :class:`StopOnSignals` the first SIGINT or SIGTERM only sets a flag;
the trainer sees it between two updates, saves ``last/`` and returns. A
second Ctrl-C raises KeyboardInterrupt at once, for a user who will not
wait (the previous ``last/`` is still intact: checkpoints are swapped in
whole). The previous handlers come back on exit.
"""
from __future__ import annotations

import signal
import threading
from typing import Callable


class StopOnSignals:
    def __init__(self, on_first: Callable[[str], None] | None = None):
        self.on_first = on_first
        self.signal_name: str | None = None
        self._previous: dict = {}

    def __call__(self) -> bool:
        return self.signal_name is not None

    @property
    def exit_code(self) -> int:
        return {"SIGINT": 130, "SIGTERM": 143}.get(self.signal_name or "", 0)

    def _handle(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        if self.signal_name is not None and name == "SIGINT":
            raise KeyboardInterrupt
        if self.signal_name is None:
            self.signal_name = name
            if self.on_first:
                self.on_first(name)

    def __enter__(self) -> "StopOnSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
