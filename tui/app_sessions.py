"""The five modes' sessions: how each turns its inputs into an assistant request
and renders its outputs (see app_session_base.py for what they share)."""
from __future__ import annotations

import copy

from textgen.assistants import (ChatAssistant, CodeAssistant, DialogueAssistant, StoryAssistant,
                                TwistAssistant)
from textgen.assistants.chat import DEFAULT_SYSTEM_PROMPT
from textgen.assistants.world_info import WorldInfoEntry
from textgen.core.errors import TextgenError
from textgen.tui.app_session_base import ACTIONS, INSPECT_TOP, ModeSession, Segment

__all__ = ["ACTIONS", "INSPECT_TOP", "MODES", "ModeSession", "Segment", "SESSION_CLASSES",
           "new_sessions", "numbered", "parse_world_info"]


def parse_world_info(text: str) -> list[WorldInfoEntry]:
    """World info typed in the side panel: one entry per line, ``keys: content``
    (keys separated by commas), e.g. ``Aria, the mage: a young fire mage``."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keys, sep, content = line.partition(":")
        if not sep or not keys.strip() or not content.strip():
            raise TextgenError(f"world info line {number}: write it as 'keyword, keyword: content'")
        entries.append(WorldInfoEntry([k.strip() for k in keys.split(",")], content.strip()))
    return entries


class StorySession(ModeSession):
    mode, title, assistant_class = "story", "Story", StoryAssistant
    DEFAULT_INPUTS = {"story": "", "genre": "general", "memory": "", "authors_note": "",
                      "world_info": ""}

    def check(self, action: str) -> None:
        super().check(action)
        if action == "new" and not self.inputs["story"].strip():
            raise TextgenError("write the start of a story first")
        parse_world_info(self.inputs["world_info"])

    def open_stream(self, generator, action, params):
        inputs = self.inputs
        assistant = StoryAssistant(generator, params, genre=inputs["genre"],
                                   memory=inputs["memory"], authors_note=inputs["authors_note"],
                                   world_info=parse_world_info(inputs["world_info"]))
        return assistant.stream(inputs["story"] + self.live_prefix(action))


class TwistSession(ModeSession):
    mode, title, assistant_class = "twist", "Plot twist", TwistAssistant
    live_replaced = True
    DEFAULT_INPUTS = {"story": "", "count": 3}

    def check(self, action: str) -> None:
        super().check(action)
        if not self.inputs["story"].strip():
            raise TextgenError("write the story the twist is for first")
        count = self.inputs.get("count")
        if not isinstance(count, int) or not 1 <= count <= 10:
            raise TextgenError("the number of twists must be a whole number from 1 to 10")

    def open_stream(self, generator, action, params):
        assistant = TwistAssistant(generator, params, count=self.inputs["count"])
        return assistant.stream(self.inputs["story"])

    def all_candidates(self, upto: int | None = None) -> list[str]:
        return [c for s in self.segments[:upto] for c in s.candidates]

    def document(self) -> str:
        return numbered(self.all_candidates())

    def live_prefix(self, action: str) -> str:
        if action == "new":
            return ""
        return numbered(self.all_candidates(-1 if action == "regenerate" else None))


def numbered(items: list[str]) -> str:
    return "".join(f"{i}. {text}\n" for i, text in enumerate(items, 1))


class DialogueSession(ModeSession):
    mode, title, assistant_class = "dialogue", "Dialogue", DialogueAssistant
    live_replaced = True
    DEFAULT_INPUTS = {"character": "", "name": "", "situation": ""}

    def check(self, action: str) -> None:
        super().check(action)
        if not self.inputs["character"].strip():
            raise TextgenError("describe the character who speaks (e.g. 'Juliet, a young "
                               "noblewoman')")

    def _scene(self, upto: int | None, quoted: bool) -> str:
        """The situation followed by the lines spoken so far (in quotes when the
        model can write them, else script style)."""
        lines = [f'{s.extra.get("name", "")}: "{s.text}"' if quoted
                 else f'{s.extra.get("name", "")}: {s.text}' for s in self.segments[:upto]]
        return "\n".join([self.inputs["situation"].strip(), *lines]).strip()

    def open_stream(self, generator, action, params):
        upto = {"new": 0, "continue": None, "regenerate": -1}[action]
        assistant = DialogueAssistant(generator, params)
        scene = self._scene(upto, assistant.uses_chat or assistant.quoted)
        return assistant.stream(self.inputs["character"], scene,
                                self.inputs["name"].strip() or None)

    def document(self) -> str:
        return "".join(self.line(s) for s in self.segments)

    @staticmethod
    def line(segment: Segment) -> str:
        return f"**{segment.extra.get('name', 'Character')}:** {segment.text}\n\n"

    def live_prefix(self, action: str) -> str:
        if action == "new":
            return ""
        shown = self.segments[:-1] if action == "regenerate" else self.segments
        return "".join(self.line(s) for s in shown)


class CodeSession(ModeSession):
    mode, title, assistant_class = "code", "Code", CodeAssistant
    live_replaced = True
    DEFAULT_INPUTS = {"task": "write", "language": "python", "text": ""}

    def check(self, action: str) -> None:
        super().check(action)
        if action == "new" and not self.inputs["text"].strip():
            raise TextgenError("describe the code to write, or paste code to complete or explain")
        if action == "continue" and self.segments[-1].extra.get("task") == "explain":
            raise TextgenError("continue extends code; this output is an explanation")

    def open_stream(self, generator, action, params):
        assistant = CodeAssistant(generator, params, language=self.inputs["language"] or "python")
        if action == "continue":
            return assistant.complete(self.segments[-1].text)
        return assistant.stream(self.inputs["text"], task=self.inputs["task"])

    @property
    def is_explanation(self) -> bool:
        return bool(self.segments) and self.segments[-1].extra.get("task") == "explain"

    def document(self) -> str:
        return self.segments[-1].text if self.segments else ""

    def live_prefix(self, action: str) -> str:
        # "continue" completes the last code: its result holds the whole code again
        return self.segments[-1].text if action == "continue" else ""


class ChatSession(ModeSession):
    """Chat keeps its conversation in a ChatAssistant, which owns the turns."""

    mode, title, assistant_class = "chat", "Chat", ChatAssistant
    DEFAULT_INPUTS = {"message": "", "system_prompt": DEFAULT_SYSTEM_PROMPT}

    def __init__(self):
        super().__init__()
        self.assistant: ChatAssistant | None = None
        self.messages: list[dict] = []

    def check(self, action: str) -> None:
        if action == "continue":
            raise TextgenError("chat has no continue: send a message, or regenerate the reply")
        if action == "regenerate" and not self.messages:
            raise TextgenError("nothing to regenerate yet: send a message first")
        if action == "new" and not self.inputs["message"].strip():
            raise TextgenError("type a message first")

    def open_stream(self, generator, action, params):
        self.assistant = ChatAssistant(generator, params, messages=copy.deepcopy(self.messages),
                                       system_prompt=self.inputs["system_prompt"])
        if action == "regenerate":
            return self.assistant.retry()
        return self.assistant.send(self.inputs["message"])

    def pending_user_message(self, action: str) -> str | None:
        return self.inputs["message"].strip("\n") if action == "new" else None

    def record(self, action, segment):
        self._undo.append(self._snapshot())
        self.segments.append(segment)
        if self.assistant is not None:
            self.messages = copy.deepcopy(self.assistant.messages)

    def _snapshot(self):
        return list(self.segments), copy.deepcopy(self.messages)

    def _restore(self, snapshot) -> None:
        self.segments, self.messages = snapshot

    def undo(self) -> bool:
        if self._undo:
            return super().undo()
        if self.messages:   # a reopened session has no undo stack: drop the last exchange
            while self.messages:
                if self.messages.pop()["role"] == "user":
                    break
            return True
        return False

    def document(self) -> str:
        return "".join(self.turn(m) for m in self.messages)

    @staticmethod
    def turn(message: dict) -> str:
        who = "You" if message["role"] == "user" else "Assistant"
        return f"**{who}:** {message['content'].strip()}\n\n"

    def live_prefix(self, action: str) -> str:
        if action == "regenerate":
            messages = list(self.messages)
            while messages and messages[-1]["role"] == "assistant":
                messages.pop()
            return "".join(self.turn(m) for m in messages) + "**Assistant:** "
        user = {"role": "user", "content": self.inputs["message"]}
        return self.document() + self.turn(user) + "**Assistant:** "

    def plain_text(self) -> str:
        return "\n".join(f"{m['role']}: {m['content']}" for m in self.messages)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "messages": copy.deepcopy(self.messages)}

    def load_dict(self, data: dict) -> None:
        super().load_dict(data)
        from textgen.assistants.conversation import check_message

        self.messages = [check_message(m) for m in data.get("messages") or []]


SESSION_CLASSES = {cls.mode: cls for cls in
                   (StorySession, TwistSession, DialogueSession, CodeSession, ChatSession)}
MODES = tuple(SESSION_CLASSES)


def new_sessions() -> dict[str, ModeSession]:
    return {mode: cls() for mode, cls in SESSION_CLASSES.items()}
