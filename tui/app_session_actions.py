"""Saving and reopening the session from the app (Ctrl+S, Ctrl+O, /save, /open)."""
from __future__ import annotations

from pathlib import Path

from textgen.core.errors import TextgenError
from textgen.tui.app_models import display_path
from textgen.tui.app_session_file import apply_session, read_session, save_session
from textgen.tui.app_sessions import MODES, new_sessions

DEFAULT_SESSION_FILE = "textgen-session.json"


class SessionActionsMixin:
    session_path: str | None

    def action_save_session(self) -> None:
        from textgen.tui.screens.dialogs import PathPrompt

        self.push_screen(PathPrompt("Save the session to", self.session_path
                                    or DEFAULT_SESSION_FILE),
                         lambda path: path and self.save_session_to(path))

    def action_open_session(self) -> None:
        from textgen.tui.screens.dialogs import PathPrompt

        self.push_screen(PathPrompt("Open a saved session", self.session_path or "",
                                    placeholder=DEFAULT_SESSION_FILE),
                         lambda path: path and self.run_worker(self.open_session_from(path)))

    def save_session_to(self, path: str) -> Path | None:
        for mode in MODES:
            self.sync_inputs(mode)
        try:
            saved = save_session(path, self.mode, self.model_path, self.sessions)
        except (TextgenError, OSError) as e:
            self.notify(f"Could not save: {e}", severity="error", timeout=8)
            return None
        self.session_path = str(saved)
        self.notify(f"Session saved to {display_path(saved)}.", timeout=3)
        return saved

    async def open_session_from(self, path: str) -> bool:
        if self.active_run is not None:
            self.notify("Stop the generation first (Esc).", severity="warning")
            return False
        try:
            data = read_session(path)
            sessions = new_sessions()
            apply_session(data, sessions)
        except (TextgenError, OSError) as e:
            self.notify(f"Could not open: {e}", severity="error", timeout=8)
            return False
        self.sessions = sessions
        self.session_path = str(Path(path).expanduser())
        for mode in MODES:
            self.panel(mode).show_inputs(sessions[mode].inputs)
            await self.redraw_mode(mode)
        self.notes.show_notes("story", sessions["story"].inputs)
        self.notes.show_notes("chat", sessions["chat"].inputs)
        mode = data.get("mode") if data.get("mode") in MODES else self.mode
        self.action_mode(mode)
        model = data.get("model")
        if model and model != self.model_path and Path(model).expanduser().exists():
            self.load_model(model)
        self.notify(f"Session opened from {display_path(path)}.", timeout=3)
        return True
