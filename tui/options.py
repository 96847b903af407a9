"""Command-line options shared by every generating command, defined once.

``@with_sampling_options()`` adds the sampling options (--max-tokens,
--temperature, ...) to a command, which receives the typed values as one
``sampling`` dict and turns them into SamplingParams with
:func:`sampling_params`. They default to None, meaning "the mode's own
default" (a story samples warmer than code), so only what the user typed
changes anything. --model, --json and --show-context are plain option
objects a command names as parameter defaults.
"""
from __future__ import annotations

import functools
import inspect
from typing import Callable, List, Optional

import typer

MODEL = typer.Option(None, "--model", "-m", help="Model path: checkpoint folder, .pt, Hugging Face "
                     "folder or .gguf (default: $TEXTGEN_MODEL, then the installed default).")
MAX_TOKENS = typer.Option(None, "--max-tokens", "-n", help="Most tokens to generate.",
                          show_default="per command")
TEMPERATURE = typer.Option(None, "--temperature", "-t", help="Randomness; 0 = greedy.",
                           show_default="per command")
TOP_K = typer.Option(None, "--top-k", help="Keep the k most likely tokens (0 = off).")
TOP_P = typer.Option(None, "--top-p", help="Nucleus sampling mass (1 = off).",
                     show_default="per command")
MIN_P = typer.Option(None, "--min-p", help="Drop tokens below min_p x the top probability.")
REPETITION_PENALTY = typer.Option(None, "--repetition-penalty",
                                  help="Penalise tokens already seen (1 = off).")
BEAMS = typer.Option(None, "--beams", help="Beam search width (1 = sampling).")
STOP = typer.Option([], "--stop", help="Extra stop sequence (repeatable).")
SEED = typer.Option(None, "--seed", help="Random seed, for reproducible output.")
JSON = typer.Option(False, "--json", help="Print one JSON object (text, stats, ...) instead of text.")
SHOW_CONTEXT = typer.Option(False, "--show-context",
                            help="Show the assembled prompt, part by part with token counts "
                                 "(on stderr; inside the JSON with --json).")

# parameter name -> (annotation, option); the order is the order in --help
SAMPLING_OPTIONS = {
    "max_tokens": (Optional[int], MAX_TOKENS),
    "temperature": (Optional[float], TEMPERATURE),
    "top_k": (Optional[int], TOP_K),
    "top_p": (Optional[float], TOP_P),
    "min_p": (Optional[float], MIN_P),
    "repetition_penalty": (Optional[float], REPETITION_PENALTY),
    "beams": (Optional[int], BEAMS),
    "stop": (List[str], STOP),
    "seed": (Optional[int], SEED),
}


def with_sampling_options(exclude: tuple[str, ...] = ()) -> Callable:
    """Decorator: give a command the shared sampling options (less ``exclude``).

    The command declares a ``sampling: dict`` parameter and gets the values
    there; Typer sees the options through the wrapper's signature.
    """
    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command)
        own = [p for p in signature.parameters.values() if p.name != "sampling"]
        added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option,
                                   annotation=annotation)
                 for name, (annotation, option) in SAMPLING_OPTIONS.items() if name not in exclude]

        @functools.wraps(command)
        def run(*args, **kwargs):
            sampling = {name: kwargs.pop(name) for name in list(kwargs) if name in SAMPLING_OPTIONS}
            return command(*args, sampling=sampling, **kwargs)

        run.__signature__ = signature.replace(parameters=own + added)
        return run
    return decorate


# option parameter name -> SamplingParams field
_FIELDS = {"max_tokens": "max_tokens", "temperature": "temperature", "top_k": "top_k",
           "top_p": "top_p", "min_p": "min_p", "repetition_penalty": "repetition_penalty",
           "beams": "num_beams", "stop": "stop", "seed": "seed"}


def sampling_params(base, *, max_tokens: Optional[int] = None, temperature: Optional[float] = None,
                    top_k: Optional[int] = None, top_p: Optional[float] = None,
                    min_p: Optional[float] = None, repetition_penalty: Optional[float] = None,
                    beams: Optional[int] = None, stop: Optional[List[str]] = None,
                    seed: Optional[int] = None):
    """``base`` (a SamplingParams: the mode's defaults) with the options the
    user gave; extra stop sequences are added to the mode's own.
    Invalid values raise TextgenError naming the option."""
    given = {"max_tokens": max_tokens, "temperature": temperature, "top_k": top_k, "top_p": top_p,
             "min_p": min_p, "repetition_penalty": repetition_penalty, "beams": beams,
             "seed": seed}
    changes = {_FIELDS[k]: v for k, v in given.items() if v is not None}
    if stop:
        changes["stop"] = list(base.stop) + [s for s in stop if s not in base.stop]
    return base.replace(**changes) if changes else base
