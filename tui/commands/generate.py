"""`textgen generate` and `textgen info`."""
from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from textgen.tui import options


@options.with_sampling_options()
def generate(
    model: Optional[str] = options.MODEL,
    prompt: Optional[str] = typer.Option(None, "--prompt", "-p", help="Text to continue (default: stdin)."),
    as_json: bool = options.JSON,
    sampling: dict = None,
) -> None:
    """Continue a prompt with a model, streaming tokens to stdout.

    Defaults: 200 tokens, temperature 0.8, no top-k/top-p/min-p, no penalties.
    """
    from textgen.core import SamplingParams
    from textgen.tui.command_io import read_input
    from textgen.tui.model_choice import load_model

    params = options.sampling_params(SamplingParams(), **sampling)
    text = read_input(prompt, "prompt", "pass --prompt TEXT or pipe text on stdin")
    generator = load_model(model)
    stream = generator.stream(text, params)
    if as_json:
        for _ in stream:
            pass
        print(json.dumps({"model": generator.info.path, "prompt": text, "text": stream.text,
                          "stats": stream.stats.to_dict()}, ensure_ascii=False))
        return
    out = sys.stdout
    try:
        for event in stream:
            if event.text:
                out.write(event.text)
                out.flush()
    except KeyboardInterrupt:
        stream.close()
    out.write("\n")
    out.flush()


def info(
    path: str = typer.Argument(..., help="Model path."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a model's architecture, size, vocabulary, context length and format."""
    from textgen.core import load

    generator = load(path)
    data = generator.info.to_dict()
    if as_json:
        print(json.dumps(data, indent=2))
        return
    labels = [("path", "path"), ("backend", "backend"), ("architecture", "architecture"),
              ("parameters", "parameters"), ("vocab_size", "vocabulary"),
              ("context_length", "context length"), ("file_format", "file format"),
              ("quantization", "weights"), ("tokenizer", "tokenizer"),
              ("control_codes", "control codes")]
    for key, label in labels:
        value = data.get(key)
        if key == "parameters" and value:
            value = f"{value:,}"
        if key == "context_length" and value is None:
            value = "unbounded (recurrent)"
        if key == "control_codes":
            value = ", ".join(value) if value else "none"
        print(f"{label + ':':16}{value}")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
    app.command("info")(info)
