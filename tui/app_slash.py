"""What each slash command does: thin methods over the app's actions.

The table of names, usages and help texts is in app_commands.py; a method
``command_<name>(arg)`` here runs each one (async ones run as workers).
"""
from __future__ import annotations

from textgen.core.errors import TextgenError
from textgen.tui.app_finetune import FinetuneRequest
from textgen.tui.app_finetune_actions import FinetuneActionsMixin
from textgen.tui.app_session_actions import SessionActionsMixin
from textgen.tui.app_sessions import MODES
from textgen.tui.widgets.controls import FIELDS, parse_controls

SET_ALIASES = {"temp": "temperature", "beams": "num_beams", "tokens": "max_tokens",
               "rep": "repetition_penalty", "repetition": "repetition_penalty"}


class SlashCommandsMixin(FinetuneActionsMixin, SessionActionsMixin):
    def command_finetune(self, arg: str) -> None:
        if arg.strip().lower() == "cancel":
            self.cancel_finetune()
        elif not arg.strip():
            self.action_finetune()
        else:
            self.start_finetune(FinetuneRequest.parse(arg))

    def command_model(self, arg: str) -> None:
        if arg:
            self.load_model(arg)
        else:
            self.action_pick_model()

    def command_mode(self, arg: str) -> None:
        name = arg.strip().lower()
        name = {"twists": "twist", "plot": "twist", "stories": "story"}.get(name, name)
        if name not in MODES:
            raise TextgenError(f"/mode: choose one of {', '.join(MODES)}")
        self.action_mode(name)

    def command_preset(self, arg: str) -> None:
        self.controls.apply_preset(arg.strip().lower())

    def command_set(self, arg: str) -> None:
        name, _, value = arg.strip().partition(" ")
        name = SET_ALIASES.get(name.lower(), name.lower().replace("-", "_"))
        fields = {f for f, _, _ in FIELDS}
        if name not in fields:
            raise TextgenError(f"/set: choose one of {', '.join(sorted(fields))}")
        params = self.sessions[self.mode].params
        raw = {f: "" if getattr(params, f) is None else str(getattr(params, f)) for f in fields}
        raw[name] = value.strip()
        params = parse_controls(params, raw)
        self.sessions[self.mode].params = params
        self.controls.show_params(params)

    def command_save(self, arg: str) -> None:
        if arg:
            self.save_session_to(arg)
        else:
            self.action_save_session()

    def command_open(self, arg: str):
        if not arg:
            self.action_open_session()
            return None
        return self.open_session_from(arg)

    def command_stop(self, arg: str) -> None:
        self.action_stop()

    def command_regenerate(self, arg: str):
        return self.start("regenerate")

    def command_continue(self, arg: str):
        return self.start("continue")

    def command_undo(self, arg: str):
        return self.action_undo()

    def command_copy(self, arg: str) -> None:
        self.action_copy()

    async def command_clear(self, arg: str) -> None:
        if self.active_run is not None:
            raise TextgenError("stop the generation first (Esc)")
        session = self.sessions[self.mode]
        session._undo.append(session._snapshot())
        session.segments = []
        if self.mode == "chat":
            session.messages = []
        await self.redraw_mode(self.mode)

    def command_system(self, arg: str) -> None:
        if not arg:
            raise TextgenError("/system needs the new system prompt")
        self.notes.show_notes("chat", {"system_prompt": arg})
        self.sessions["chat"].inputs["system_prompt"] = arg

    def command_inspect(self, arg: str) -> None:
        self.action_inspect()

    def command_help(self, arg: str) -> None:
        self.action_help()
