"""Conversations on disk: JSON Lines, one message per line.

    {"role": "system", "content": "You are a helpful assistant."}
    {"role": "user", "content": "Hello"}
    {"role": "assistant", "content": "Hi! How can I help?"}

The same format serves ``/save``, ``/load`` and the autosave file. Writes go
to a temporary file renamed into place, so a crash never leaves half a file.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from textgen.core.errors import TextgenError

ROLES = ("system", "user", "assistant")


def check_message(message, where: str = "message") -> dict:
    if not isinstance(message, dict):
        raise TextgenError(f"{where}: expected an object with 'role' and 'content'")
    role, content = message.get("role"), message.get("content")
    if role not in ROLES:
        raise TextgenError(f"{where}: role must be one of {', '.join(ROLES)}, not {role!r}")
    if not isinstance(content, str):
        raise TextgenError(f"{where}: 'content' must be text")
    return {"role": role, "content": content}


def save_conversation(path: str | Path, system_prompt: str, messages: list[dict]) -> Path:
    """Write the conversation atomically; returns the path."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    if system_prompt:
        lines.append({"role": "system", "content": system_prompt})
    lines.extend(check_message(m) for m in messages)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_conversation(path: str | Path) -> tuple[str | None, list[dict]]:
    """(system prompt or None, user/assistant messages) from a JSONL file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise TextgenError(f"{path}: no such conversation file")
    system: str | None = None
    messages: list[dict] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            raise TextgenError(f"{path}:{number}: not a JSON object; expected one message "
                               "per line like {\"role\": \"user\", \"content\": \"...\"}") from None
        message = check_message(data, f"{path}:{number}")
        if message["role"] == "system":
            system = message["content"]
        else:
            messages.append(message)
    return system, messages
