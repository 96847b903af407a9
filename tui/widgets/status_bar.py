"""One line at the bottom: the model, the last run's figures, what the app is doing."""
from __future__ import annotations

from pathlib import Path

from textual.widgets import Static


def human_count(n: int | None) -> str:
    if not n:
        return "?"
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def model_summary(info) -> str:
    """'gpt 0.1M f32 ctx 64' for a ModelInfo."""
    if info is None:
        return "no model"
    name = Path(info.path).name or info.path
    arch = "" if info.architecture.lower() in name.lower() else info.architecture
    quant = {"float32": "f32", "float16": "f16", "bfloat16": "bf16"}.get(info.quantization,
                                                                      info.quantization)
    context = f"ctx {info.context_length}" if info.context_length else "ctx ∞"
    parts = [name[:24], arch, human_count(info.parameters), quant, context]
    return " ".join(p for p in parts if p)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__("", id=id, markup=False)
        self.model = "no model"
        self.tokens: int | None = None
        self.tokens_per_second: float | None = None
        self.time_to_first_token: float | None = None
        self.state = "starting"

    def set_model(self, info) -> None:
        self.model = model_summary(info)
        self._show()

    def set_state(self, state: str) -> None:
        self.state = state
        self._show()

    def set_figures(self, tokens: int | None, tokens_per_second: float | None,
                    time_to_first_token: float | None) -> None:
        self.tokens = tokens
        self.tokens_per_second = tokens_per_second
        self.time_to_first_token = time_to_first_token
        self._show()

    def line(self) -> str:
        figures = []
        if self.tokens is not None:
            figures.append(f"{self.tokens} tok")
        if self.tokens_per_second:
            figures.append(f"{self.tokens_per_second:.0f} tok/s")
        if self.time_to_first_token is not None:
            figures.append(f"TTFT {self.time_to_first_token * 1000:.0f}ms")
        middle = " ".join(figures) or "—"
        return f"{self.state} │ {middle} │ {self.model}"

    def _show(self) -> None:
        self.update(self.line())
