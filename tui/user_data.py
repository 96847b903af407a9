"""Where textgen keeps the user's files: history, conversations, models.

The folder is the platform's user data folder (``platformdirs``), or the
folder named by ``$TEXTGEN_HOME`` (tests and portable installs use it).
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

HOME_ENV = "TEXTGEN_HOME"


def data_dir(create: bool = True) -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("textgen", appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def conversations_dir() -> Path:
    path = data_dir() / "conversations"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_conversation_path() -> Path:
    """A fresh autosave file name: conversations/chat-YYYYmmdd-HHMMSS[-N].jsonl."""
    folder = conversations_dir()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"chat-{stamp}.jsonl"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"chat-{stamp}-{n}.jsonl"
    return path


def input_history_path(name: str = "chat") -> Path:
    """The prompt-toolkit history file of a REPL."""
    return data_dir() / f"{name}_history"


def default_model_dir() -> Path:
    """Where an installed default model lives (``textgen`` uses it without --model)."""
    return data_dir(create=False) / "models" / "default"
