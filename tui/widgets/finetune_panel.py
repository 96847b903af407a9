"""Progress of a background fine-tune: a bar, the live loss and a Cancel button."""
from __future__ import annotations

from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, ProgressBar, Sparkline, Static


class FinetunePanel(Vertical):
    DEFAULT_CSS = """
    FinetunePanel { height: 2; display: none; background: $boost;
                    padding: 0 1; }
    FinetunePanel.-active { display: block; }
    FinetunePanel Horizontal { height: 1; }
    FinetunePanel #finetune-label { width: 1fr; }
    FinetunePanel ProgressBar { width: 1fr; }
    FinetunePanel Sparkline { height: 1; width: 1fr; }
    FinetunePanel Button { min-width: 8; }
    """

    class CancelRequested(Message):
        pass

    def compose(self):
        with Horizontal():
            yield Static("", id="finetune-label")
            yield Button("Cancel", id="finetune-cancel", compact=True, variant="error")
        with Horizontal():
            yield ProgressBar(total=None, show_eta=False, id="finetune-bar")
            yield Sparkline([], id="finetune-loss")

    def start(self, description: str) -> None:
        self.losses: list[float] = []
        self.add_class("-active")
        self.query_one("#finetune-label", Static).update(description)
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one(Sparkline).data = []

    def show_progress(self, step: int, total: int | None, loss: float | None,
                      epoch: float | None = None, epochs: int | None = None) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=total or None, progress=step)
        text = f"fine-tuning: step {step}" + (f"/{total}" if total else "")
        if epoch is not None and epochs:
            text += f"  epoch {epoch:.1f}/{epochs}" if isinstance(epoch, float) \
                else f"  epoch {epoch}/{epochs}"
        if loss is not None:
            self.losses.append(loss)
            self.query_one(Sparkline).data = list(self.losses[-200:])
            text += f"  loss {loss:.3f}"
        self.query_one("#finetune-label", Static).update(text)

    def stop(self) -> None:
        self.remove_class("-active")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "finetune-cancel":
            event.stop()
            self.post_message(self.CancelRequested())
