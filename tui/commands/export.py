"""`textgen export`: a checkpoint as a Hugging Face folder or a GGUF file."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

FORMATS = ("hf", "gguf")
HELP = (
    "Convert a model for other tools.\n\n"
    "--format hf writes a GPT as a GPT2LMHeadModel folder (config, safetensors, tokenizer) "
    "that transformers loads. --format gguf writes a GPT as a llama.cpp \"gpt2\" file; "
    "char_rnn, word_lstm and transformer models become textgen custom-architecture GGUFs "
    "that textgen runs and reads back for fine-tuning."
)
QUANTS = ("f32", "f16", "q8_0", "q4_0")


def export(
    model: str = typer.Argument(..., help="textgen checkpoint folder, .pt file, or a GGUF textgen wrote."),
    fmt: str = typer.Option(..., "--format", "-f", help="hf (GPT only) or gguf (any architecture)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (hf) or .gguf file "
                                       "(default: next to the model)."),
    quant: str = typer.Option("f16", "--quant", "-q", help="GGUF weights: f32, f16, q8_0 or q4_0."),
) -> None:
    """Convert a model for other tools (see HELP)."""
    from textgen.core.errors import TextgenError
    from textgen.core.export.source import load_source_checkpoint

    if fmt not in FORMATS:
        raise TextgenError(f"unknown --format {fmt!r}; choose hf or gguf")
    if quant not in QUANTS:
        raise TextgenError(f"unknown --quant {quant!r}; choose one of {', '.join(QUANTS)}")
    source = Path(model).expanduser()
    checkpoint = load_source_checkpoint(source)
    stem = source.stem if source.is_file() else source.name
    if fmt == "hf":
        from textgen.core.export.hf_export import export_hf

        if quant != "f16":
            typer.echo("note: --quant applies to GGUF only; the HF export keeps float32 weights",
                       err=True)
        target = out or source.with_name(f"{stem}-hf")
        export_hf(checkpoint, target)
        typer.echo(f"wrote {target} (GPT2LMHeadModel, float32; load with "
                   "AutoModelForCausalLM.from_pretrained or `textgen generate --model`)")
        return
    from textgen.core.export.gguf_export import export_gguf

    target = out or source.with_name(f"{stem}-{quant}.gguf")
    if target.is_dir():
        raise TextgenError(f"{target}: is a folder; --out wants a .gguf file name for --format gguf")
    result = export_gguf(checkpoint, target, quant)
    typer.echo(result.describe())


def register(app: typer.Typer) -> None:
    app.command("export", help=HELP)(export)
