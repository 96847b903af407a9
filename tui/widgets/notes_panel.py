"""Notes that shape a mode's prompt without being part of the request.

Story mode: memory (kept at the top of the context), the author's note
(a style instruction near the end) and world info (one ``keys: content``
line per entry, inserted when a key appears in the recent story). Chat
mode: the system prompt and its personality presets. The other modes have
no notes.
"""
from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Label, Select, Static, TextArea

from textgen.assistants.chat import DEFAULT_SYSTEM_PROMPT, PERSONALITIES

NOTE_FIELDS = {
    "story": ("memory", "authors_note", "world_info"),
    "chat": ("system_prompt",),
}


class NotesPanel(Vertical):
    DEFAULT_CSS = """
    NotesPanel { height: auto; padding: 0 1; }
    NotesPanel ContentSwitcher { height: auto; }
    NotesPanel Vertical { height: auto; }
    NotesPanel TextArea { height: 4; margin-bottom: 1; }
    NotesPanel #note-world_info { height: 6; }
    NotesPanel #note-system_prompt { height: 8; }
    NotesPanel .help { color: $text-muted; }
    """

    def compose(self):
        with ContentSwitcher(initial="notes-none"):
            with Vertical(id="notes-story"):
                yield Label("Memory (always kept)")
                yield TextArea(id="note-memory", compact=True)
                yield Label("Author's note (style)")
                yield TextArea(id="note-authors_note", compact=True)
                yield Label("World info (keys: content)")
                yield TextArea(id="note-world_info", compact=True,
                               placeholder="Aria, mage: a young fire mage")
            with Vertical(id="notes-chat"):
                yield Label("Personality")
                yield Select([(name, name) for name in PERSONALITIES], prompt="custom",
                             compact=True, id="chat-personality")
                yield Label("System prompt")
                yield TextArea(DEFAULT_SYSTEM_PROMPT, id="note-system_prompt", compact=True)
            yield Static("This mode has no notes.", id="notes-none", classes="help")

    def show_mode(self, mode: str) -> None:
        self.query_one(ContentSwitcher).current = f"notes-{mode}" if mode in NOTE_FIELDS \
            else "notes-none"

    def read_notes(self, mode: str) -> dict:
        return {name: self.query_one(f"#note-{name}", TextArea).text
                for name in NOTE_FIELDS.get(mode, ())}

    def show_notes(self, mode: str, inputs: dict) -> None:
        for name in NOTE_FIELDS.get(mode, ()):
            self.query_one(f"#note-{name}", TextArea).load_text(str(inputs.get(name, "")))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "chat-personality" and event.value in PERSONALITIES:
            self.query_one("#note-system_prompt", TextArea).load_text(PERSONALITIES[event.value])
