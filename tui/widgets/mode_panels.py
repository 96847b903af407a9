"""The five mode panels: each is an output pane above the inputs its assistant needs.

A panel only moves values between its widgets and a plain ``inputs`` dict
(``read_inputs`` / ``show_inputs``); the app owns the sessions and the
model. Notes that live in the side panel (story memory, chat system prompt)
are read there, not here.
"""
from __future__ import annotations

from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, TextArea

from textgen.assistants.genres import GENRES
from textgen.tui.widgets.output_view import OutputView


class ModePanel(Vertical):
    """Base: an OutputView and a form. Subclasses compose the form."""

    mode = "base"
    placeholder = ""

    DEFAULT_CSS = """
    ModePanel { height: 1fr; }
    ModePanel .form-row { height: auto; }
    ModePanel .form-row Label { padding: 0 1 0 0; width: auto; }
    ModePanel Select { width: 20; }
    ModePanel Input.short { width: 12; }
    ModePanel Input.wide { width: 1fr; }
    ModePanel TextArea { height: 5; }
    """

    def compose(self):
        yield OutputView(self.placeholder, id=f"{self.mode}-output")
        yield from self.compose_form()

    def compose_form(self):
        return []

    @property
    def output(self) -> OutputView:
        return self.query_one(OutputView)

    def read_inputs(self) -> dict:
        return {}

    def show_inputs(self, inputs: dict) -> None:
        pass

    def focus_input(self) -> None:
        """Put the cursor where the user types the request."""
        widgets = self.query("TextArea, Input")
        if widgets:
            widgets.last().focus()


class StoryPanel(ModePanel):
    mode = "story"
    placeholder = "Write the start of a story below, then press Ctrl+G."

    def compose_form(self):
        with Horizontal(classes="form-row"):
            yield Label("Genre")
            yield Select([(g, g) for g in GENRES], value="general", allow_blank=False,
                         compact=True, id="story-genre")
        yield TextArea(id="story-text", compact=True, placeholder="Once upon a time...")

    def read_inputs(self) -> dict:
        return {"story": self.query_one("#story-text", TextArea).text,
                "genre": self.query_one("#story-genre", Select).value}

    def show_inputs(self, inputs: dict) -> None:
        self.query_one("#story-text", TextArea).load_text(inputs.get("story", ""))
        self.query_one("#story-genre", Select).value = inputs.get("genre", "general")


class TwistPanel(ModePanel):
    mode = "twist"
    placeholder = "Paste a story below; Ctrl+G suggests plot twists."

    def compose_form(self):
        with Horizontal(classes="form-row"):
            yield Label("Twists")
            yield Input("3", type="integer", compact=True, classes="short", id="twist-count")
        yield TextArea(id="twist-story", compact=True, placeholder="The story so far...")

    def read_inputs(self) -> dict:
        raw = self.query_one("#twist-count", Input).value.strip()
        return {"story": self.query_one("#twist-story", TextArea).text,
                "count": int(raw) if raw.lstrip("-").isdigit() else raw}

    def show_inputs(self, inputs: dict) -> None:
        self.query_one("#twist-story", TextArea).load_text(inputs.get("story", ""))
        self.query_one("#twist-count", Input).value = str(inputs.get("count", 3))


class DialoguePanel(ModePanel):
    mode = "dialogue"
    placeholder = "Describe a character and a situation; Ctrl+G writes their next line."

    def compose_form(self):
        with Horizontal(classes="form-row"):
            yield Input(compact=True, classes="wide", id="dialogue-character",
                        placeholder="Character, e.g. Juliet, a young noblewoman")
            yield Input(compact=True, classes="short", id="dialogue-name",
                        placeholder="Name")
        yield TextArea(id="dialogue-situation", compact=True,
                       placeholder="The situation: where, who else, what just happened...")

    def read_inputs(self) -> dict:
        return {"character": self.query_one("#dialogue-character", Input).value,
                "name": self.query_one("#dialogue-name", Input).value,
                "situation": self.query_one("#dialogue-situation", TextArea).text}

    def show_inputs(self, inputs: dict) -> None:
        self.query_one("#dialogue-character", Input).value = inputs.get("character", "")
        self.query_one("#dialogue-name", Input).value = inputs.get("name", "")
        self.query_one("#dialogue-situation", TextArea).load_text(inputs.get("situation", ""))

    def focus_input(self) -> None:
        self.query_one("#dialogue-character", Input).focus()


class CodePanel(ModePanel):
    mode = "code"
    placeholder = "Describe a function (write), or paste code (complete / explain); Ctrl+G."
    TASKS = (("write", "write"), ("complete", "complete"), ("explain", "explain"))

    def compose_form(self):
        with Horizontal(classes="form-row"):
            yield Label("Task")
            yield Select(self.TASKS, value="write", allow_blank=False, compact=True,
                         id="code-task")
            yield Label(" Language")
            yield Input("python", compact=True, classes="short", id="code-language")
        yield TextArea(id="code-text", compact=True,
                       placeholder="e.g. return the n-th Fibonacci number")

    def read_inputs(self) -> dict:
        return {"task": self.query_one("#code-task", Select).value,
                "language": self.query_one("#code-language", Input).value.strip().lower(),
                "text": self.query_one("#code-text", TextArea).text}

    def show_inputs(self, inputs: dict) -> None:
        self.query_one("#code-task", Select).value = inputs.get("task", "write")
        self.query_one("#code-language", Input).value = inputs.get("language", "python")
        self.query_one("#code-text", TextArea).load_text(inputs.get("text", ""))


class ChatPanel(ModePanel):
    mode = "chat"
    placeholder = "Type a message below and press Enter. /help lists commands."

    def compose_form(self):
        yield Input(id="chat-message", compact=True, placeholder="Message (Enter sends)")

    def read_inputs(self) -> dict:
        return {"message": self.query_one("#chat-message", Input).value}

    def show_inputs(self, inputs: dict) -> None:
        self.query_one("#chat-message", Input).value = inputs.get("message", "")

    def clear_message(self) -> None:
        self.query_one("#chat-message", Input).value = ""


PANEL_CLASSES = {cls.mode: cls for cls in
                 (StoryPanel, TwistPanel, DialoguePanel, CodePanel, ChatPanel)}
