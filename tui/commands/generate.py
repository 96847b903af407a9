"""`textgen generate` and `textgen info`."""
from __future__ import annotations

import json
import sys
from typing import List, Optional

import typer

from textgen.core.errors import TextgenError


def read_prompt(prompt: Optional[str]) -> str:
    """The prompt from the option, or from stdin when it is piped."""
    if prompt is not None:
        return prompt
    if not sys.stdin.isatty():
        return sys.stdin.read()
    raise TextgenError("no prompt: pass --prompt TEXT or pipe text on stdin")


def generate(
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model path: checkpoint folder, .pt, HF folder or .gguf."),
    prompt: Optional[str] = typer.Option(None, "--prompt", "-p", help="Text to continue (default: stdin)."),
    max_tokens: int = typer.Option(200, "--max-tokens", "-n", help="Most tokens to generate."),
    temperature: float = typer.Option(0.8, "--temperature", "-t", help="0 = greedy; higher = more random."),
    top_k: int = typer.Option(0, "--top-k", help="Keep the k most likely tokens (0 = off)."),
    top_p: float = typer.Option(1.0, "--top-p", help="Nucleus sampling mass (1 = off)."),
    min_p: float = typer.Option(0.0, "--min-p", help="Drop tokens below min_p x the top probability."),
    repetition_penalty: float = typer.Option(1.0, "--repetition-penalty", help="Penalise seen tokens (1 = off)."),
    beams: int = typer.Option(1, "--beams", help="Beam search width (1 = sampling)."),
    stop: List[str] = typer.Option([], "--stop", help="Stop sequence (repeatable)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed for reproducible output."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with text and stats."),
) -> None:
    """Continue a prompt with a model, streaming tokens to stdout."""
    from textgen.core import SamplingParams, load
    from textgen.tui.model_choice import resolve_model_path

    params = SamplingParams(
        max_tokens=max_tokens, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p,
        repetition_penalty=repetition_penalty, num_beams=beams, stop=list(stop), seed=seed,
    )
    text = read_prompt(prompt)
    generator = load(resolve_model_path(model))
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
