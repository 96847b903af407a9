"""`textgen twist`: distinct plot-twist suggestions for a story."""
from __future__ import annotations

from typing import Optional

import typer

from textgen.tui import options


@options.with_sampling_options(exclude=("beams",))
def twist(
    story: Optional[str] = typer.Argument(None, help="The story so far (default: stdin)."),
    count: int = typer.Option(3, "--count", "-c", help="How many distinct suggestions."),
    similarity: float = typer.Option(0.5, "--similarity", help="Drop a suggestion whose word-"
                                     "bigram overlap (Jaccard) with a kept one reaches this."),
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
    show_context: bool = options.SHOW_CONTEXT,
    sampling: dict = None,
) -> None:
    """Suggest plot twists, one numbered line each, printed as each is found.

    Defaults: 60 tokens, temperature 1.0, top-p 0.95; suggestion i uses seed + i.
    """
    from textgen.assistants import TwistAssistant
    from textgen.core.errors import TextgenError
    from textgen.tui.command_io import read_input, run_stream
    from textgen.tui.model_choice import load_model

    if count < 1:
        raise TextgenError(f"--count {count}: must be at least 1")
    if not 0 < similarity <= 1:
        raise TextgenError(f"--similarity {similarity}: must be in (0, 1]")
    params = options.sampling_params(TwistAssistant.default_params(), **sampling)
    text = read_input(story, "story", "give the story so far as an argument or pipe it on stdin")
    generator = load_model(model)
    assistant = TwistAssistant(generator, params, count=count, similarity_threshold=similarity)
    shown = []

    def print_kept(event, out) -> None:
        if event.kind == "candidate_end" and event.accepted:
            shown.append(event.candidate_text)
            out.write(f"{len(shown)}. {event.candidate_text}\n")
            out.flush()

    run_stream(assistant.stream(text), as_json=as_json, show_context=show_context, live=False,
               info={"model": generator.info.path, "prompt": text}, on_event=print_kept)


def register(app: typer.Typer) -> None:
    app.command("twist")(twist)
