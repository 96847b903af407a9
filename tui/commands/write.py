"""`textgen write`: continue a story in a genre."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from textgen.tui import options


@options.with_sampling_options()
def write(
    prompt: Optional[str] = typer.Argument(None, help="The story so far (default: stdin)."),
    genre: str = typer.Option("general", "--genre", "-g",
                              help="general, fantasy, sci-fi, mystery, romance or horror."),
    memory: str = typer.Option("", "--memory", help="Notes always kept at the top of the "
                               "context (@FILE reads a file)."),
    authors_note: str = typer.Option("", "--authors-note", help="Style instruction placed a few "
                                     "lines before the end of the context (@FILE reads a file)."),
    world_info: Optional[Path] = typer.Option(None, "--world-info", help="JSON/YAML file of "
                                              "entries {keys, content} added when a key appears."),
    steering: float = typer.Option(1.0, "--steering", help="Logit bias towards genre words when "
                                   "the model has no genre control code (0 = off)."),
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
    show_context: bool = options.SHOW_CONTEXT,
    sampling: dict = None,
) -> None:
    """Continue a story, streaming the continuation to stdout.

    Defaults: 200 tokens, temperature 0.8, top-p 0.95, repetition penalty 1.05.
    Example: echo "The dragon" | textgen write --genre fantasy
    """
    from textgen.assistants import StoryAssistant, load_world_info
    from textgen.assistants.genres import normalize_genre
    from textgen.tui.command_io import read_input, run_stream, text_or_file
    from textgen.tui.model_choice import load_model

    genre = normalize_genre(genre)
    entries = load_world_info(world_info) if world_info else []
    params = options.sampling_params(StoryAssistant.default_params(), **sampling)
    story = read_input(prompt, "story", "give the story so far as an argument or pipe it on stdin")
    generator = load_model(model)
    assistant = StoryAssistant(generator, params, genre=genre, memory=text_or_file(memory),
                               authors_note=text_or_file(authors_note), world_info=entries,
                               steering=steering)
    run_stream(assistant.stream(story), as_json=as_json, show_context=show_context, live=True,
               info={"model": generator.info.path, "prompt": story})


def register(app: typer.Typer) -> None:
    app.command("write")(write)
