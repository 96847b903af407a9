"""Saving and reopening the app's whole session as one JSON file.

The file holds every mode's inputs, notes, sampling parameters and outputs,
the chat turns, the mode on screen and the model in use. It is written to a
temporary file and renamed into place, so an interrupted save never leaves
half a file. Token log-probabilities are not saved (they are large and only
describe the run that made them).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from textgen.core.errors import TextgenError

FORMAT = "textgen-tui-session"
VERSION = 1


def save_session(path: str | Path, mode: str, model_path: str | None, sessions: dict) -> Path:
    path = Path(path).expanduser()
    if path.is_dir():
        raise TextgenError(f"{path}: is a folder; give a file name such as session.json")
    data = {"format": FORMAT, "version": VERSION, "mode": mode, "model": model_path,
            "modes": {name: session.to_dict() for name, session in sessions.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_session(path: str | Path) -> dict:
    """The saved data, checked; TextgenError says what is wrong with the file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise TextgenError(f"{path}: no such session file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise TextgenError(f"{path}: not a session file (invalid JSON: {e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TextgenError(f"{path}: not a textgen session file (saved with Ctrl+S in the app)")
    if not isinstance(data.get("modes"), dict):
        raise TextgenError(f"{path}: damaged session file (no modes)")
    return data


def apply_session(data: dict, sessions: dict) -> None:
    """Load saved modes into the app's sessions (modes not in the file are left alone)."""
    for name, saved in data["modes"].items():
        if name in sessions and isinstance(saved, dict):
            try:
                sessions[name].load_dict(saved)
            except (TextgenError, TypeError, ValueError, KeyError) as e:
                raise TextgenError(f"session file: the {name} mode's data is damaged ({e})") \
                    from None
