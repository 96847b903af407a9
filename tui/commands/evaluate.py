"""`textgen eval MODEL --data PATH`: perplexity, bits per character and
sample metrics.

`eval` is a command group: `textgen eval MODEL ...` runs the automatic
evaluation, and sub-commands (`textgen eval human`, `textgen eval report`)
live beside it. A word that names a sub-command selects it; anything else
is the MODEL.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup


class ModelOrCommandGroup(TyperGroup):
    """`eval MODEL [OPTIONS]` and `eval SUBCOMMAND [ARGS]` side by side."""

    def parse_args(self, ctx, args):
        if args and args[0] in self.commands:
            # the group's own parameters take their defaults (without the
            # no-arguments-means-help rule, which an empty list would trigger)
            help_rule, self.no_args_is_help = self.no_args_is_help, False
            try:
                super().parse_args(ctx, [])
            finally:
                self.no_args_is_help = help_rule
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        ctx.allow_interspersed_args = True       # MODEL --data X and --data X MODEL alike
        return super().parse_args(ctx, args)


eval_app = typer.Typer(cls=ModelOrCommandGroup, invoke_without_command=True,
                       no_args_is_help=True, add_completion=False,
                       context_settings={"help_option_names": ["-h", "--help"]})


@eval_app.callback()
def evaluate(
    ctx: typer.Context,
    model: Optional[str] = typer.Argument(None, help="A model path: checkpoint folder, "
                                          "Hugging Face folder, or one of our GGUF exports."),
    data: Optional[str] = typer.Option(None, "--data", help="Text to evaluate on: a file, "
                                       "folder, glob, or JSONL with a `text` field."),
    samples: int = typer.Option(8, "--samples", help="Continuations to generate for the "
                                "sample metrics (0: likelihood only)."),
    max_tokens: int = typer.Option(100, "--max-tokens", help="Length of each sample."),
    prompt_chars: int = typer.Option(64, "--prompt-chars", help="Prompt length, cut from the "
                                     "data."),
    reference_chars: int = typer.Option(0, "--reference-chars", help="Length of the true "
                                        "continuation used as the BLEU reference (0: as long "
                                        "as the sample)."),
    references: Optional[Path] = typer.Option(None, "--references", help="JSONL of "
                                              "{\"prompt\", \"reference\"} pairs to use "
                                              "instead of prompts cut from the data."),
    temperature: float = typer.Option(0.8, "--temperature", help="Sampling temperature."),
    seed: int = typer.Option(0, "--seed", help="Seed of the first sample (then +1 each)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Evaluate a model on a text: loss, perplexity, bits per character (comparable across
    character, word and BPE models), and BLEU, self-BLEU, distinct-1/2/3 and repetition
    rate of generated samples. Sub-commands: human, report."""
    if ctx.invoked_subcommand is not None:
        return
    from textgen.core.errors import TextgenError
    from textgen.train.evaluation import SampleSettings, evaluate as run_eval, format_report

    if model is None:
        raise TextgenError("textgen eval needs a MODEL (or a sub-command: human, report)")
    if data is None:
        raise TextgenError("textgen eval needs --data PATH: the text to evaluate on")
    if samples < 0 or max_tokens < 1 or prompt_chars < 1 or reference_chars < 0:
        raise TextgenError("--samples and --reference-chars must be >= 0; --max-tokens and "
                           "--prompt-chars >= 1")
    notes: list[str] = []
    settings = SampleSettings(count=samples, prompt_chars=prompt_chars,
                              reference_chars=reference_chars, max_tokens=max_tokens,
                              temperature=temperature, seed=seed)
    report = run_eval(model, data, settings, references, notify=notes.append)
    if as_json:
        report["notes"] = notes
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    import sys

    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(format_report(report))


def register(app: typer.Typer) -> None:
    try:
        from textgen.tui.commands.human_eval import register_eval
    except ImportError:
        register_eval = None
    if register_eval is not None:
        register_eval(eval_app)
    app.add_typer(eval_app, name="eval")
