"""Small dialogs: ask for a file path (save / open), set up a fine-tune."""
from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from textgen.core.errors import TextgenError
from textgen.tui.app_finetune import FinetuneRequest

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 100%; height: auto; border: round $primary;
                    background: $surface; padding: 0 1; }}
{name} .buttons {{ height: auto; margin-top: 1; }}
{name} .buttons Button {{ margin-right: 1; }}
{name} .error {{ color: $error; height: auto; }}
{name} .row {{ height: 1; margin-bottom: 1; }}
{name} Input {{ margin-bottom: 1; }}
{name} .row Label {{ width: 12; padding-top: 0; }}
{name} .row Input {{ width: 1fr; }}
"""


class PathPrompt(ModalScreen[str | None]):
    """Ask for one path; returns it, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="PathPrompt")

    def __init__(self, title: str, value: str = "", placeholder: str = ""):
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self):
        with Vertical():
            yield Label(self.title_text)
            yield Input(self.value, placeholder=self.placeholder, id="path", compact=True)
            with Horizontal(classes="buttons"):
                yield Button("OK", variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        value = self.query_one(Input).value.strip()
        if value:
            self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class FinetuneDialog(ModalScreen[FinetuneRequest | None]):
    """The fine-tune form: text file, epochs, optional step limit, LoRA."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="FinetuneDialog")

    def __init__(self, model_note: str, lora_required: bool):
        super().__init__()
        self.model_note = model_note
        self.lora_required = lora_required

    def compose(self):
        with Vertical():
            yield Label("Fine-tune the current model on your text")
            yield Static(self.model_note, markup=False)
            with Horizontal(classes="row"):
                yield Label("Text file")
                yield Input(placeholder="path to a .txt file", id="ft-path", compact=True)
            with Horizontal(classes="row"):
                yield Label("Epochs")
                yield Input("1", type="integer", id="ft-epochs", compact=True)
            with Horizontal(classes="row"):
                yield Label("Max steps")
                yield Input("", type="integer", placeholder="no limit", id="ft-steps",
                            compact=True)
            yield Checkbox("LoRA adapters (Hugging Face models)", value=self.lora_required,
                           disabled=self.lora_required, id="ft-lora", compact=True)
            yield Static("", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ft-path", Input).focus()

    def request_text(self) -> str:
        import shlex

        parts = [shlex.quote(self.query_one("#ft-path", Input).value.strip())]
        epochs = self.query_one("#ft-epochs", Input).value.strip()
        steps = self.query_one("#ft-steps", Input).value.strip()
        if epochs:
            parts += ["--epochs", epochs]
        if steps:
            parts += ["--max-steps", steps]
        if self.query_one("#ft-lora", Checkbox).value:
            parts.append("--lora")
        return " ".join(parts)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        if not self.query_one("#ft-path", Input).value.strip():
            self.query_one(".error", Static).update("give the text file to train on")
            return
        try:
            request = FinetuneRequest.parse(self.request_text())
        except TextgenError as e:
            self.query_one(".error", Static).update(str(e))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
