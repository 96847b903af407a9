"""What dynamic int8 quantization gains and costs for one model: generation
speed (tokens per second) and perplexity on a text, before and after.

Speed is measured through the same Generator the product uses (greedy,
EOS ignored, one warm-up run first), so the figure is what a user sees.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textgen.core.errors import TextgenError

# Used when no --data file is given: plain ASCII prose most vocabularies cover.
SAMPLE_TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\n"
    "Resolved. resolved.\n\nFirst Citizen:\nFirst, you know Caius Marcius is chief enemy to "
    "the people.\n\nAll:\nWe know't, we know't.\n\nFirst Citizen:\nLet us kill him, and we'll "
    "have corn at our own price. Is't a verdict?\n\nAll:\nNo more talking on't; let it be done: "
    "away, away!\n\nSecond Citizen:\nOne word, good citizens.\n\nFirst Citizen:\nWe are "
    "accounted poor citizens, the patricians good. What authority surfeits on would relieve "
    "us: if they would yield us but the superfluity, while it were wholesome, we might guess "
    "they relieved us humanely; but they think we are too dear: the leanness that afflicts "
    "us, the object of our misery, is as an inventory to particularise their abundance; our "
    "sufferance is a gain to them.\n"
)


@dataclass
class Int8Report:
    tokens_per_second_before: float
    tokens_per_second_after: float
    perplexity_before: float
    perplexity_after: float
    scored_tokens: int
    agreement: float

    @property
    def speedup(self) -> float:
        return self.tokens_per_second_after / self.tokens_per_second_before

    @property
    def perplexity_change(self) -> float:
        return self.perplexity_after / self.perplexity_before - 1.0

    def lines(self, data_name: str) -> list[str]:
        return [
            f"speed: {self.tokens_per_second_before:.1f} -> {self.tokens_per_second_after:.1f} "
            f"tokens/s (x{self.speedup:.2f})",
            f"perplexity on {data_name} ({self.scored_tokens} tokens): "
            f"{self.perplexity_before:.4f} -> {self.perplexity_after:.4f} "
            f"({100 * self.perplexity_change:+.2f}%); top-1 agreement {100 * self.agreement:.1f}%",
        ]


def read_eval_text(data: str | Path | None) -> tuple[str, str]:
    """(text, name to show) from --data, or the built-in sample."""
    if data is None:
        return SAMPLE_TEXT, "the built-in sample"
    path = Path(data).expanduser()
    if not path.is_file():
        raise TextgenError(f"{path}: no such file (--data wants a text file)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TextgenError(f"{path}: not UTF-8 text") from None
    if not text.strip():
        raise TextgenError(f"{path}: the file is empty")
    return text, str(path)


def measure_int8(checkpoint, text: str, max_tokens: int = 4000,
                 speed_tokens: int = 200) -> Int8Report:
    from textgen.core.backends.torch_backend import TorchGenerator
    from textgen.core.export.dynamic_int8 import quantize_dynamic_int8
    from textgen.core.export.quality import torch_scores

    try:
        ids = checkpoint.tokenizer.encode(text)[:max_tokens]
    except TextgenError as e:
        raise TextgenError(f"the evaluation text does not fit this model's vocabulary ({e}); "
                           "pass --data with text like the training data") from None
    if len(ids) < 2:
        raise TextgenError("the evaluation text is too short to measure perplexity")
    quantized = quantize_dynamic_int8(checkpoint.model)
    before, after = torch_scores(checkpoint.model, ids), torch_scores(quantized, ids)
    prompt = checkpoint.tokenizer.decode(ids[:16])
    speed_before = _speed(TorchGenerator(checkpoint), prompt, speed_tokens)
    quantized_generator = TorchGenerator(checkpoint)
    quantized_generator.model = quantized
    speed_after = _speed(quantized_generator, prompt, speed_tokens)
    return Int8Report(speed_before, speed_after, before.perplexity, after.perplexity,
                      len(before.logprobs), before.agreement(after))


def _speed(generator, prompt: str, tokens: int) -> float:
    from textgen.core.sampling import SamplingParams

    params = SamplingParams(max_tokens=tokens, temperature=0, ignore_eos=True)
    generator.generate(prompt, params.replace(max_tokens=min(tokens, 20)))   # warm-up
    return max(generator.generate(prompt, params).stats.tokens_per_second, 1e-9)


def save_int8_checkpoint(checkpoint, out: str | Path) -> Path:
    """Keep the float weights and mark them: the PyTorch backend quantizes on load."""
    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.export.dynamic_int8 import MARKER

    metadata = dict(checkpoint.metadata or {})
    metadata["quantize"] = MARKER
    return save_checkpoint(out, checkpoint.model, checkpoint.tokenizer, checkpoint.architecture,
                           metadata)
