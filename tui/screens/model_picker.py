"""Choosing a model: the default one, recently used ones, or any path.

The highlighted entry is described below the list (architecture, size,
quantization, context length): from what was recorded when it was last
loaded, or read from its files in a worker. The screen returns the chosen
path; the app loads it (and reports a bad path) itself.
"""
from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from textgen.core.errors import TextgenError
from textgen.tui.app_models import describe_path, display_path, facts_line


class ModelPickerScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Close")]
    DEFAULT_CSS = """
    ModelPickerScreen { align: center middle; }
    ModelPickerScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 22;
                                   border: round $primary; background: $surface; padding: 0 1; }
    ModelPickerScreen OptionList { height: auto; max-height: 10; }
    ModelPickerScreen #model-facts { height: 2; color: $text-muted; }
    ModelPickerScreen Input { margin-top: 1; }
    """

    def __init__(self, current: dict | None, default: Path | None, recent: list[dict]):
        super().__init__()
        self.current = current
        self.entries: list[dict] = []
        if current:
            self.entries.append({**current, "label": "current"})
        if default is not None:
            self.entries.append({"path": str(default), "label": "default"})
        for facts in recent:
            if not Path(facts["path"]).expanduser().exists():
                continue   # a model deleted or moved since
            if not any(_same(facts["path"], e["path"]) for e in self.entries):
                self.entries.append({**facts, "label": "recent"})

    def compose(self):
        with Vertical():
            yield Label("Choose a model (Enter loads it)")
            yield OptionList(*[Option(Text(f"{e['label']:<8} {display_path(e['path'])}"), id=str(i))
                               for i, e in enumerate(self.entries)], id="model-list")
            yield Static("", id="model-facts", markup=False)
            yield Input(placeholder="or any path: checkpoint folder, .pt, HF folder, .gguf",
                        id="model-path")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Model"
        if self.entries:
            self.query_one(OptionList).highlighted = 0
            self.query_one(OptionList).focus()
        else:
            self.query_one("#model-facts", Static).update("No recent models yet.")
            self.query_one(Input).focus()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = self.entries[int(event.option.id)]
        if entry.get("architecture"):
            self._show_facts(entry)
        else:
            self.query_one("#model-facts", Static).update("reading...")
            self._describe(entry)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _describe(self, entry: dict) -> None:
        try:
            facts = {**entry, **describe_path(entry["path"])}
        except (TextgenError, OSError, ValueError) as e:
            facts = {**entry, "error": str(e)}
        self.app.call_from_thread(self._show_facts, facts)

    def _show_facts(self, facts: dict) -> None:
        text = facts.get("error") or facts_line(facts)
        self.query_one("#model-facts", Static).update(f"{text}\n{display_path(facts['path'])}")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.entries[int(event.option.id)]["path"])

    @on(Input.Submitted, "#model-path")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def _same(a: str, b: str) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return a == b
