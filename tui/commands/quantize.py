"""`textgen quantize`: PyTorch dynamic int8, with its speed and quality measured."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

HELP = (
    "Quantize a model and report tokens/s and perplexity before and after.\n\n"
    "Dynamic-int8 modules do not save as plain safetensors, so --out writes the float "
    "checkpoint marked \"quantize\": \"dynamic-int8\" and textgen quantizes it again on load."
)


def quantize(
    model: str = typer.Argument(..., help="textgen checkpoint folder (or .pt / textgen GGUF)."),
    int8: bool = typer.Option(False, "--int8", help="Dynamic int8 quantization of Linear/LSTM/GRU layers."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Save a checkpoint that loads "
                                       "quantized (default: only report)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Text file to measure perplexity on "
                                        "(default: a built-in sample)."),
    max_tokens: int = typer.Option(4000, "--eval-tokens", help="Most tokens of --data to score."),
    speed_tokens: int = typer.Option(200, "--speed-tokens", help="Tokens to generate when timing."),
) -> None:
    """Quantize a model and report its speed and perplexity (see HELP)."""
    from textgen.core.errors import TextgenError
    from textgen.core.export.int8_report import measure_int8, read_eval_text, save_int8_checkpoint
    from textgen.core.export.source import load_source_checkpoint

    if not int8:
        raise TextgenError("choose a quantization method: --int8 (for GGUF q8_0/q4_0 use "
                           "`textgen export MODEL --format gguf --quant q8_0`)")
    if max_tokens < 2:
        raise TextgenError(f"--eval-tokens must be at least 2, got {max_tokens}")
    if speed_tokens < 2:
        raise TextgenError(f"--speed-tokens must be at least 2, got {speed_tokens}")
    text, name = read_eval_text(data)
    checkpoint = load_source_checkpoint(Path(model))
    typer.echo(f"measuring {checkpoint.architecture} ({checkpoint.model.num_parameters():,} "
               "parameters) before and after dynamic int8...", err=True)
    report = measure_int8(checkpoint, text, max_tokens=max_tokens, speed_tokens=speed_tokens)
    for line in report.lines(name):
        typer.echo(line)
    if out is not None:
        saved = save_int8_checkpoint(checkpoint, out)
        typer.echo(f"saved {saved} (float weights marked \"quantize\": \"dynamic-int8\"; "
                   "textgen quantizes it on load)")


def register(app: typer.Typer) -> None:
    app.command("quantize", help=HELP)(quantize)
