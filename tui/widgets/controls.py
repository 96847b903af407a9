"""The sampling controls: one field per parameter, presets, validation.

Values are checked as they are typed: a field that does not parse, or that
``SamplingParams`` rejects, turns red and the panel says why; the mode keeps
its last valid parameters until the field is fixed. Valid changes are
announced with a ``ControlsPanel.Changed`` message.
"""
from __future__ import annotations

from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams

# (SamplingParams field, label, type); seed may be blank (a fresh random seed each run)
FIELDS = (
    ("temperature", "Temperature", float),
    ("top_k", "Top-k", int),
    ("top_p", "Top-p", float),
    ("min_p", "Min-p", float),
    ("repetition_penalty", "Repeat pen.", float),
    ("max_tokens", "Max tokens", int),
    ("num_beams", "Beams", int),
    ("seed", "Seed", int),
)
HINTS = {
    "temperature": "randomness; 0 = always the likeliest token",
    "top_k": "sample among the k likeliest tokens; 0 = off",
    "top_p": "sample among the likeliest tokens holding this much probability; 1 = off",
    "min_p": "drop tokens below this fraction of the top token's probability; 0 = off",
    "repetition_penalty": "make tokens already used less likely; 1 = off",
    "max_tokens": "the most tokens to generate",
    "num_beams": "beam search width; 1 = sampling",
    "seed": "blank = random; a number makes a run repeatable",
}
PRESETS = {
    "creative": {"temperature": 1.0, "top_k": 0, "top_p": 0.95, "min_p": 0.05,
                 "repetition_penalty": 1.1, "num_beams": 1},
    "balanced": {"temperature": 0.7, "top_k": 40, "top_p": 0.9, "min_p": 0.0,
                 "repetition_penalty": 1.05, "num_beams": 1},
    "precise": {"temperature": 0.2, "top_k": 20, "top_p": 0.8, "min_p": 0.0,
                "repetition_penalty": 1.0, "num_beams": 1},
}


def parse_controls(base: SamplingParams, raw: dict[str, str]) -> SamplingParams:
    """``base`` with the typed values; TextgenError names the first bad field."""
    changes = {}
    for name, label, kind in FIELDS:
        text = raw.get(name, "").strip()
        if name == "seed" and text.lower() in ("", "random", "none"):
            changes[name] = None
            continue
        try:
            changes[name] = kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise TextgenError(f"{label}: {text!r} is not {noun}") from None
    return base.replace(**changes)


def format_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ControlsPanel(Vertical):
    """Sampling parameters of the current mode."""

    DEFAULT_CSS = """
    ControlsPanel { height: auto; padding: 0 1; }
    ControlsPanel .row { height: 1; }
    ControlsPanel .row Label { width: 13; }
    ControlsPanel .row Input { width: 1fr; }
    ControlsPanel .presets { height: 1; margin-bottom: 1; }
    ControlsPanel .presets Button { min-width: 0; width: 1fr; margin: 0; }
    ControlsPanel #controls-error { color: $error; height: auto; }
    ControlsPanel #controls-hint { color: $text-muted; height: auto; }
    """

    class Changed(Message):
        """Valid new parameters for ``owner`` (the mode whose parameters are shown)."""

        def __init__(self, params: SamplingParams, owner: str | None):
            super().__init__()
            self.params = params
            self.owner = owner

    def __init__(self, params: SamplingParams | None = None, *, owner: str | None = None,
                 id: str | None = None):
        super().__init__(id=id)
        self.params = params or SamplingParams()
        self.owner = owner
        self.error: str | None = None
        self._shown = self._texts(self.params)

    @staticmethod
    def _texts(params: SamplingParams) -> dict[str, str]:
        return {name: format_value(getattr(params, name)) for name, _, _ in FIELDS}

    def compose(self):
        with Horizontal(classes="presets"):
            for name in PRESETS:
                yield Button(name.capitalize(), id=f"preset-{name}", compact=True)
        for name, label, kind in FIELDS:
            with Horizontal(classes="row"):
                yield Label(label)
                yield Input(format_value(getattr(self.params, name)), compact=True,
                            id=f"param-{name}", placeholder="random" if name == "seed" else "",
                            tooltip=HINTS[name])
        yield Static("", id="controls-error")
        yield Static("", id="controls-hint")

    def field(self, name: str) -> Input:
        return self.query_one(f"#param-{name}", Input)

    def show_params(self, params: SamplingParams, owner: str | None = None) -> None:
        """Show ``params`` (a mode switch, a preset) without announcing a change."""
        self.params = params
        if owner is not None:
            self.owner = owner
        self._shown = self._texts(params)
        with self.prevent(Input.Changed):
            for name, _, _ in FIELDS:
                widget = self.field(name)
                widget.value = format_value(getattr(params, name))
                widget.remove_class("-invalid")
        self._set_error(None)

    def apply_preset(self, name: str) -> SamplingParams:
        if name not in PRESETS:
            raise TextgenError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
        params = self.params.replace(**PRESETS[name])
        self.show_params(params)
        self.post_message(self.Changed(params, self.owner))
        return params

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("preset-"):
            event.stop()
            self.apply_preset(event.button.id.removeprefix("preset-"))

    def on_input_changed(self, event: Input.Changed) -> None:
        if not (event.input.id or "").startswith("param-"):
            return
        event.stop()
        raw = {name: self.field(name).value for name, _, _ in FIELDS}
        if raw == self._shown and self.error is None:
            return      # the fields show the current parameters (e.g. just mounted)
        for name, _, _ in FIELDS:
            self.field(name).remove_class("-invalid")
        try:
            params = parse_controls(self.params, raw)
        except TextgenError as e:
            self._mark_invalid(str(e))
            return
        self.params = params
        self._shown = raw
        self._set_error(None)
        self.post_message(self.Changed(params, self.owner))

    def on_descendant_focus(self, event) -> None:
        name = (getattr(event.widget, "id", "") or "").removeprefix("param-")
        self.query_one("#controls-hint", Static).update(HINTS.get(name, ""))

    def _mark_invalid(self, message: str) -> None:
        for name, label, _ in FIELDS:
            if message.startswith(f"{label}:") or f" {name}=" in message:
                self.field(name).add_class("-invalid")
        self._set_error(message.replace("invalid sampling parameter ", ""))

    def _set_error(self, message: str | None) -> None:
        self.error = message
        self.query_one("#controls-error", Static).update(message or "")
