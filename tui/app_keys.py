"""Every key of the app in one table: the bindings and the help screen read it.

Keys avoid what the text widgets use (Ctrl+A/E/K/U/W/Z/Y/X/C/V edit text),
so they work wherever the cursor is.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    keys: str          # Textual key names, comma-separated
    action: str        # the app action it runs
    description: str
    footer: bool = False
    label: str = ""    # the footer's short label


KEYS: tuple[Key, ...] = (
    Key("ctrl+g", "generate", "Generate from the inputs (starts over)", True, "Generate"),
    Key("escape", "stop", "Stop the generation (keeps what was written)", True, "Stop"),
    Key("ctrl+r", "regenerate", "Regenerate the last output (a new sample)", True, "Regen"),
    Key("ctrl+t", "continue", "Continue the output", True, "Continue"),
    Key("ctrl+b", "undo", "Undo the last generation"),
    Key("f5", "copy", "Copy the output to the clipboard"),
    Key("ctrl+s", "save_session", "Save the session to a file"),
    Key("ctrl+o", "open_session", "Open a saved session"),
    Key("f1", "help", "Show this help", True, "Help"),
    Key("f2", "pick_model", "Choose a model (default, recent, or any path)", True, "Model"),
    Key("f3", "toggle_side", "Show or hide the controls and notes panel"),
    Key("f4", "inspect", "Token inspector: probabilities and alternatives", True, "Inspect"),
    Key("f6", "finetune", "Fine-tune the model on a text file"),
    Key("alt+1", "mode('story')", "Story mode"),
    Key("alt+2", "mode('twist')", "Plot twist mode"),
    Key("alt+3", "mode('dialogue')", "Dialogue mode"),
    Key("alt+4", "mode('code')", "Code mode"),
    Key("alt+5", "mode('chat')", "Chat mode"),
    Key("ctrl+p", "command_palette", "Command palette (type / for commands)"),
    Key("ctrl+q", "quit", "Quit"),
)

# Keys that belong to the widgets, listed on the help screen for completeness.
WIDGET_KEYS = (
    ("Tab/Shift+Tab", "Move between fields"),
    ("Enter", "Send a chat message or command; start from a one-line field"),
    ("Ctrl+Z/Y", "Undo / redo typing in a text box"),
    ("Ctrl+C/X/V", "Copy / cut / paste in a text box"),
    ("Up/Down", "Move through the tokens in the inspector"),
)

# Palette entries: (title, help, app action); the slash commands are offered too.
PALETTE = (
    ("Generate", "start over from the inputs", "generate"),
    ("Stop", "stop the generation", "stop"),
    ("Regenerate", "a new sample of the last output", "regenerate"),
    ("Continue", "write more after the output", "continue"),
    ("Undo", "undo the last generation", "undo"),
    ("Copy output", "copy the output to the clipboard", "copy"),
    ("Save session...", "save every mode to a file", "save_session"),
    ("Open session...", "reopen a saved session", "open_session"),
    ("Choose model...", "the default, recent models, or any path", "pick_model"),
    ("Fine-tune...", "train a copy of the model on your text, then use it", "finetune"),
    ("Cancel fine-tuning", "stop the fine-tune; the model in use stays", "cancel_finetune"),
    ("Token inspector", "probabilities and alternatives of each token", "inspect"),
    ("Toggle side panel", "show or hide controls and notes", "toggle_side"),
    ("Preset: creative", "sampling for surprising text", "preset('creative')"),
    ("Preset: balanced", "sampling for everyday text", "preset('balanced')"),
    ("Preset: precise", "sampling for focused text and code", "preset('precise')"),
    ("Mode: story", "continue a story", "mode('story')"),
    ("Mode: plot twist", "suggest plot twists", "mode('twist')"),
    ("Mode: dialogue", "a character's next line", "mode('dialogue')"),
    ("Mode: code", "write, complete or explain code", "mode('code')"),
    ("Mode: chat", "a conversation", "mode('chat')"),
    ("Help", "every key and command", "help"),
)
