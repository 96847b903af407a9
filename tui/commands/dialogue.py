"""`textgen dialogue`: a character's next line in a situation."""
from __future__ import annotations

from typing import Optional

import typer

from textgen.tui import options


@options.with_sampling_options(exclude=("beams",))
def dialogue(
    character: str = typer.Option(..., "--character", "-c", help="Who speaks, e.g. "
                                  "\"Gandalf, a wise old wizard\" (@FILE reads a file)."),
    situation: Optional[str] = typer.Option(None, "--situation", "-s", help="What is happening "
                                            "(default: stdin; @FILE reads a file)."),
    name: Optional[str] = typer.Option(None, "--name", help="Speaker name (default: taken from "
                                       "the start of --character)."),
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
    show_context: bool = options.SHOW_CONTEXT,
    sampling: dict = None,
) -> None:
    """Write the character's next line, printed as NAME: "line".

    Defaults: 80 tokens, temperature 0.8, top-p 0.95.
    """
    from textgen.assistants import DialogueAssistant
    from textgen.tui.command_io import read_input, run_stream, text_or_file
    from textgen.tui.model_choice import load_model

    params = options.sampling_params(DialogueAssistant.default_params(), **sampling)
    scene = read_input(text_or_file(situation) if situation is not None else None, "situation",
                       "pass --situation TEXT or pipe it on stdin")
    generator = load_model(model)
    assistant = DialogueAssistant(generator, params)
    stream = assistant.stream(text_or_file(character), scene, name=name)
    run_stream(stream, as_json=as_json, show_context=show_context, live=False,
               info={"model": generator.info.path, "character": character, "situation": scene},
               final_text=lambda r: f'{r.extra["name"]}: "{r.text}"')


def register(app: typer.Typer) -> None:
    app.command("dialogue")(dialogue)
