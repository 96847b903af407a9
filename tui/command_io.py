"""Input and output of the one-shot commands (write, twist, dialogue, code).

Input comes from an argument or, when stdin is piped, from stdin. Output is
pipe-friendly: only the generated text on stdout (streamed live when the
mode's live text is its final text), one JSON object with ``--json``, and
the context view on stderr with ``--show-context``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Optional

from textgen.core.errors import TextgenError


def read_input(value: Optional[str], what: str, hint: str) -> str:
    """``value``, or all of stdin when it is piped; an error naming ``hint`` otherwise."""
    if value is not None:
        return value
    if not sys.stdin.isatty():
        text = sys.stdin.read()
        if text.strip():
            return text
    raise TextgenError(f"no {what}: {hint}")


def text_or_file(value: str) -> str:
    """Option text, or the contents of a file when given as ``@PATH``."""
    if value.startswith("@") and len(value) > 1:
        path = Path(value[1:]).expanduser()
        if not path.is_file():
            raise TextgenError(f"{path}: no such file (a value starting with @ names a file)")
        return path.read_text(encoding="utf-8")
    return value


def run_stream(stream, *, as_json: bool, show_context: bool, live: bool,
               info: dict, final_text: Optional[Callable] = None,
               on_event: Optional[Callable] = None) -> None:
    """Run an AssistantStream and print it.

    ``live``: print text deltas as they come (the mode's live text is final).
    ``final_text(result)``: what to print at the end when not live (default:
    ``result.text``). ``on_event(event, out)`` may print per event instead
    (twists print each kept suggestion as soon as it is done).
    ``info`` is merged into the JSON object (model, input, ...).
    """
    out = sys.stdout
    if show_context and not as_json:
        print(stream.context.render(), file=sys.stderr)
        print("-" * 40, file=sys.stderr)
    try:
        for event in stream:
            if as_json:
                continue
            if on_event is not None:
                on_event(event, out)
            elif live and event.text:
                out.write(event.text)
                out.flush()
    except KeyboardInterrupt:
        stream.close()
    result = stream.result
    if as_json:
        data = {**info, **result.to_dict(include_context=show_context)}
        print(json.dumps(data, ensure_ascii=False))
        return
    if on_event is not None:
        pass
    elif live:
        out.write("\n")
    else:
        text = final_text(result) if final_text else result.text
        out.write(text if text.endswith("\n") else text + "\n")
    out.flush()
