"""The token inspector: what the model weighed at each generated token.

Each token of the last generation is listed with its probability; the one
selected shows the top alternatives with two numbers: the model's own
probability, and the probability after the sampling steps (temperature,
top-k, top-p, min-p, penalties) that the draw actually used. Comparing
them shows a learner what those controls do.
"""
from __future__ import annotations

import math

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

BAR_WIDTH = 12


def show_piece(text: str) -> str:
    """A token's text made visible: spaces as '·', newlines as '⏎'."""
    if text == "":
        return "∅"
    return text.replace(" ", "·").replace("\n", "⏎").replace("\t", "⇥")


def token_piece(event) -> str:
    for alt in event.top or ():
        if alt.token_id == event.token_id:
            return alt.text
    return event.text


def percent(p: float) -> str:
    return f"{p * 100:5.1f}%"


def bar(p: float) -> str:
    filled = p * BAR_WIDTH
    full = int(filled)
    return ("█" * full + ("▌" if filled - full >= 0.5 else "")).ljust(BAR_WIDTH)


def describe_token(event, index: int, events: list) -> str:
    """The detail text for token ``index``."""
    p = math.exp(event.logprob) if event.logprob is not None else None
    lines = [f"token {index + 1} of {len(events)}: {show_piece(token_piece(event))!s}  "
             f"(id {event.token_id})"]
    if p is not None:
        lines.append(f"model probability {percent(p).strip()}  (log-prob {event.logprob:.3f})")
    before = "".join(e.text for e in events[max(0, index - 8):index])
    after = "".join(e.text for e in events[index + 1:index + 4])
    lines.append(f"…{show_piece(before[-24:])}[{show_piece(event.text)}]{show_piece(after[:12])}…")
    lines.append("")
    if not event.top:
        lines.append("no alternatives were recorded for this token")
        return "\n".join(lines)
    lines.append(f"{'alternative':<14}{'model':>7}  {'sampled':>7}")
    for alt in event.top:
        mark = "▶" if alt.token_id == event.token_id else " "
        lines.append(f"{mark}{show_piece(alt.text)[:13]:<13}{percent(math.exp(alt.logprob))}  "
                     f"{percent(alt.sampling_prob)} {bar(alt.sampling_prob)}")
    lines.append("")
    lines.append("model: the network's probability. sampled: after temperature, top-k, "
                 "top-p and min-p; 0% means the controls ruled it out.")
    return "\n".join(lines)


class InspectorScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f4,q", "close", "Close")]
    DEFAULT_CSS = """
    InspectorScreen { align: center middle; }
    InspectorScreen > Vertical { width: 100%; height: 100%; border: round $primary;
                                 background: $surface; }
    InspectorScreen Horizontal { height: 1fr; }
    InspectorScreen OptionList { width: 28; height: 1fr; }
    InspectorScreen #token-detail { width: 1fr; padding: 0 1; }
    InspectorScreen Label { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, tokens: list, title: str = "Token inspector"):
        super().__init__()
        self.tokens = [t for t in tokens if t.token_id >= 0]
        self.title_text = title

    def compose(self):
        with Vertical():
            if not self.tokens:
                yield Label("Nothing to inspect yet: generate some text first.")
                return
            yield Label("↑/↓ choose a token · Esc closes")
            with Horizontal():
                yield OptionList(*[self._option(i, e) for i, e in enumerate(self.tokens)],
                                 id="token-list")
                yield Static("", id="token-detail", markup=False)

    @staticmethod
    def _option(index: int, event) -> Option:
        p = math.exp(event.logprob) if event.logprob is not None else float("nan")
        return Option(Text(f"{index + 1:>4} {show_piece(token_piece(event))[:10]:<10}"
                           f"{p * 100:4.0f}%", no_wrap=True), id=str(index))

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = self.title_text
        if self.tokens:
            tokens = self.query_one(OptionList)
            tokens.highlighted = 0
            tokens.focus()

    @on(OptionList.OptionHighlighted)
    def _show(self, event: OptionList.OptionHighlighted) -> None:
        index = int(event.option.id)
        self.query_one("#token-detail", Static).update(
            describe_token(self.tokens[index], index, self.tokens))

    def select(self, index: int) -> None:
        self.query_one(OptionList).highlighted = index

    def action_close(self) -> None:
        self.dismiss(None)
