"""The help screen: every key and every slash command, from their tables."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from textgen.tui.app_commands import SLASH_COMMANDS
from textgen.tui.app_keys import KEYS, WIDGET_KEYS


def key_name(keys: str) -> str:
    """'ctrl+g,f9' -> 'Ctrl+G / F9'."""
    def one(key: str) -> str:
        return "+".join("Esc" if part == "escape" else part.capitalize() if part.isalpha()
                        else part.upper() for part in key.split("+"))
    return " / ".join(one(k) for k in keys.split(","))


def help_renderable() -> Group:
    """Every key of the key table, the widgets' keys, and every slash command."""
    keys = Table.grid(padding=(0, 2))
    keys.add_column(style="bold", no_wrap=True)
    keys.add_column()
    for key in KEYS:
        keys.add_row(key_name(key.keys), key.description)
    for names, does in WIDGET_KEYS:
        keys.add_row(names, does)
    commands = Text()
    for command in SLASH_COMMANDS.values():
        commands.append(command.usage, style="bold")
        commands.append(f"\n    {command.help}\n")
    return Group(Text("Keys", style="bold underline"), keys, Text(""),
                 Text("Commands", style="bold underline"),
                 Text("Type them in the chat box, or in the palette (Ctrl+P).", style="dim"),
                 commands)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; height: 90%; border: round $primary;
                                  background: $surface; padding: 0 1; }
    """

    def compose(self):
        with VerticalScroll():
            yield Static(help_renderable(), id="help-text")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = "Help (Esc closes)"
        self.query_one(VerticalScroll).focus()

    def action_dismiss(self) -> None:
        self.dismiss(None)
