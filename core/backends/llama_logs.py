"""llama.cpp's log, routed through one callback instead of the terminal.

llama-cpp-python's `verbose=False` silences llama.cpp by pointing file
descriptors 1 and 2 at /dev/null while a model loads, for the whole process,
which would blank a full-screen UI drawing from another thread. Instead the
model is loaded with that redirect off and every llama.cpp message goes to
this callback: kept in a short ring buffer (so a failed load can say *why*,
in one line) and echoed to stderr only when TEXTGEN_LLAMA_LOG=1.
"""
from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections import deque

import llama_cpp

LEVEL_WARN, LEVEL_ERROR, LEVEL_CONT = 3, 4, 5   # ggml_log_level (ggml.h)

_lines: deque[tuple[int, int, str]] = deque(maxlen=200)   # (sequence number, level, text)
_lock = threading.Lock()
_last_level = 1
_count = 0


@llama_cpp.llama_log_callback
def _on_log(level: int, text: bytes, user_data) -> None:  # called from C
    global _last_level, _count
    message = text.decode("utf-8", errors="replace") if text else ""
    if level == LEVEL_CONT:
        level = _last_level
    _last_level = level
    with _lock:
        _count += 1
        _lines.append((_count, level, message))
    if os.environ.get("TEXTGEN_LLAMA_LOG") == "1":
        sys.stderr.write(message)


def install() -> None:
    """Route llama.cpp's log here (idempotent; the callback object lives in this module)."""
    llama_cpp.llama_log_set(_on_log, ctypes.c_void_p(0))


def mark() -> int:
    """A position in the log, to ask later what was logged since."""
    with _lock:
        return _count


def problems_since(marker: int) -> str:
    """The first error (else the last warnings) logged after `mark()`, as one short line."""
    with _lock:
        lines = [(level, text.strip()) for n, level, text in _lines if n > marker and text.strip()]
    errors = [text for level, text in lines if level == LEVEL_ERROR]
    if errors:
        return errors[0][:300]
    warnings = [text for level, text in lines if level == LEVEL_WARN]
    return "; ".join(warnings[-2:])[:300]
