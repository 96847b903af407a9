"""What each mode of the app remembers, and how it turns into a request.

One ``ModeSession`` per mode holds the user's inputs, the sampling
parameters, the generated segments and an undo stack. It knows nothing of
widgets: the app reads a form into ``inputs`` (UI thread), a worker calls
``open_stream`` (model work, off the UI thread), and the app hands the
finished result back to ``record``. A session renders its output as a
Markdown document (``document``), so a view can redraw it at any time (after
undo, reopening a session file, ...).

Actions: ``new`` starts over from the inputs, ``continue`` extends the
output, ``regenerate`` replaces the last segment with a fresh sample.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

from textgen.assistants import (ChatAssistant, CodeAssistant, DialogueAssistant, StoryAssistant,
                                TwistAssistant)
from textgen.assistants.chat import DEFAULT_SYSTEM_PROMPT
from textgen.assistants.world_info import WorldInfoEntry
from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams

ACTIONS = ("new", "continue", "regenerate")
# How many alternatives each token carries, for the token inspector.
INSPECT_TOP = 5


@dataclass
class Segment:
    """One generation: the text shown, what the model wrote, and its tokens."""
    text: str
    raw: str = ""
    seed: int | None = None
    stats: dict = field(default_factory=dict)
    tokens: list = field(default_factory=list)     # TokenEvents (not saved to disk)
    candidates: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"text": self.text, "raw": self.raw, "seed": self.seed, "stats": self.stats,
                "candidates": self.candidates, "extra": _plain(self.extra)}

    @classmethod
    def from_dict(cls, data: dict) -> "Segment":
        return cls(text=str(data.get("text", "")), raw=str(data.get("raw", "")),
                   seed=data.get("seed"), stats=dict(data.get("stats") or {}),
                   candidates=list(data.get("candidates") or []),
                   extra=dict(data.get("extra") or {}))


def _plain(value):
    """Only JSON-friendly values (extras may hold anything)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


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


class ModeSession:
    """Base of the five modes' state."""

    mode = "base"
    title = "Base"
    assistant_class = StoryAssistant
    live_replaced = False          # the final text replaces the live text at the end
    DEFAULT_INPUTS: dict = {}

    def __init__(self):
        self.params: SamplingParams = self.assistant_class.default_params()
        self.inputs: dict = dict(self.DEFAULT_INPUTS)
        self.segments: list[Segment] = []
        self._undo: list = []

    # --- requests ----------------------------------------------------------------
    def check(self, action: str) -> None:
        """Cheap checks in the UI thread, before a worker starts (no model calls)."""
        if action not in ACTIONS:
            raise TextgenError(f"unknown action {action!r}")
        if action in ("continue", "regenerate") and not self.segments:
            raise TextgenError(f"nothing to {action} yet: generate first")

    def request_params(self, seed: int | None = None) -> SamplingParams:
        """The parameters of one run: a concrete seed (so the run can be
        repeated) and the alternatives the inspector shows."""
        if seed is None:
            seed = self.params.seed if self.params.seed is not None else random.randrange(2**31)
        return self.params.replace(seed=seed, logprobs=max(self.params.logprobs, INSPECT_TOP))

    def open_stream(self, generator, action: str, params: SamplingParams):
        """The AssistantStream for ``action`` (called in a worker thread)."""
        raise NotImplementedError

    def record(self, action: str, segment: Segment) -> None:
        """Keep a finished generation; the state before it goes on the undo stack."""
        self._undo.append(self._snapshot())
        if action == "new":
            self.segments = [segment]
        elif action == "continue":
            self.segments.append(segment)
        else:
            self.segments[-1:] = [segment]

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._restore(self._undo.pop())
        return True

    def _snapshot(self):
        return list(self.segments)

    def _restore(self, snapshot) -> None:
        self.segments = snapshot

    # --- display -------------------------------------------------------------------
    def document(self) -> str:
        """The whole output as Markdown."""
        return "".join(s.text for s in self.segments)

    def live_prefix(self, action: str) -> str:
        """What stays on screen while ``action`` streams (its text comes after)."""
        if action == "new":
            return ""
        if action == "regenerate":
            return "".join(s.text for s in self.segments[:-1])
        return self.document()

    def plain_text(self) -> str:
        """The output as the user would paste it elsewhere (for copying)."""
        return self.document()

    @property
    def last_tokens(self) -> list:
        return self.segments[-1].tokens if self.segments else []

    # --- files ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"params": self.params.to_dict(), "inputs": dict(self.inputs),
                "segments": [s.to_dict() for s in self.segments]}

    def load_dict(self, data: dict) -> None:
        params = dict(data.get("params") or {})
        params.pop("logit_bias", None)
        self.params = SamplingParams.from_dict(params) if params else self.params
        self.inputs = {**self.DEFAULT_INPUTS, **dict(data.get("inputs") or {})}
        self.segments = [Segment.from_dict(s) for s in data.get("segments") or []]
        self._undo = []


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
