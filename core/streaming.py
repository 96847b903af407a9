"""Turning a stream of token ids into a stream of safe text.

Two things can make the text of the latest token wrong to show yet: it may
end in half a UTF-8 character (byte-level BPE), or it may be the start of a
stop sequence. Both are held back until the next tokens settle them.
"""
from __future__ import annotations

from typing import Callable, Sequence

REPLACEMENT = "\ufffd"


class IncrementalDecoder:
    """Decode ids one at a time, emitting only complete characters.

    Decodes a short window (the previous token and the new ones) rather than
    the whole text, so each step costs O(1), and spacing rules of word-level
    tokenizers still see the token before.
    """

    def __init__(self, decode: Callable[[Sequence[int]], str], context: Sequence[int] = ()):
        self._decode = decode
        self.ids: list[int] = list(context[-4:])
        self._prefix = 0
        self._read = len(self.ids)

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        prefix_text = self._decode(self.ids[self._prefix:self._read])
        full_text = self._decode(self.ids[self._prefix:])
        if len(full_text) > len(prefix_text) and not full_text.endswith(REPLACEMENT):
            delta = full_text[len(prefix_text):]
            self._prefix, self._read = self._read, len(self.ids)
            # keep the window short
            if self._prefix > 64:
                self.ids = self.ids[self._prefix:]
                self._read -= self._prefix
                self._prefix = 0
            return delta
        return ""

    def flush(self) -> str:
        """Whatever is still held at the end (a truncated character shows as U+FFFD)."""
        prefix_text = self._decode(self.ids[self._prefix:self._read])
        full_text = self._decode(self.ids[self._prefix:])
        self._prefix = self._read = len(self.ids)
        return full_text[len(prefix_text):]


class StopSequenceFilter:
    """Hold back text that might be the beginning of a stop sequence."""

    def __init__(self, stops: Sequence[str]):
        self.stops = [s for s in stops if s]
        self.pending = ""
        self.stopped = False

    def push(self, text: str) -> str:
        if self.stopped:
            return ""
        self.pending += text
        if not self.stops:
            out, self.pending = self.pending, ""
            return out
        cut = min((i for i in (self.pending.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            out = self.pending[:cut]
            self.pending = ""
            self.stopped = True
            return out
        hold = self._longest_partial_stop()
        out = self.pending[:len(self.pending) - hold]
        self.pending = self.pending[len(self.pending) - hold:]
        return out

    def _longest_partial_stop(self) -> int:
        best = 0
        for s in self.stops:
            for k in range(min(len(s) - 1, len(self.pending)), best, -1):
                if self.pending.endswith(s[:k]):
                    best = k
                    break
        return best

    def flush(self) -> str:
        out, self.pending = ("" if self.stopped else self.pending), ""
        return out
