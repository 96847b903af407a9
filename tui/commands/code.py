"""`textgen code write|complete|explain`.

The group is ``code_app``; another module adds a task to it with
``from textgen.tui.commands.code import code_app`` and
``code_app.command("infill")(infill)`` in its own ``register(app)``
(command modules register in name order, so ``code`` comes first).
"""
from __future__ import annotations

from typing import Optional

import typer

from textgen.tui import options

code_app = typer.Typer(name="code", no_args_is_help=True,
                       help="Write, complete or explain code (Python is syntax-checked and "
                            "formatted).")

LANGUAGE = typer.Option("python", "--language", "-l", help="Programming language.")
NO_FORMAT = typer.Option(False, "--no-format", help="Leave generated Python unformatted.")


def run_code_task(task: str, text: Optional[str], language: str, no_format: bool, model,
                  as_json: bool, show_context: bool, sampling: dict) -> None:
    """Shared body of the code commands: input, assistant, output."""
    from textgen.assistants import CodeAssistant
    from textgen.tui.command_io import read_input, run_stream
    from textgen.tui.model_choice import load_model

    params = options.sampling_params(CodeAssistant.default_params(), **sampling)
    what = "description" if task == "write" else "code"
    source = read_input(text, what, f"give the {what} as an argument or pipe it on stdin")
    generator = load_model(model)
    assistant = CodeAssistant(generator, params, language=language, format_code=not no_format)
    run_stream(assistant.stream(source, task=task), as_json=as_json, show_context=show_context,
               live=False, info={"model": generator.info.path, "task": task, "input": source})


@code_app.command("write")
@options.with_sampling_options()
def write_code(
    description: Optional[str] = typer.Argument(None, help="What the code should do "
                                                "(default: stdin)."),
    language: str = LANGUAGE, no_format: bool = NO_FORMAT, model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON, show_context: bool = options.SHOW_CONTEXT,
    sampling: dict = None,
) -> None:
    """Write code from a description. Defaults: 256 tokens, temperature 0.2, top-p 0.95."""
    run_code_task("write", description, language, no_format, model, as_json, show_context,
                  sampling)


@code_app.command("complete")
@options.with_sampling_options()
def complete_code(
    code: Optional[str] = typer.Argument(None, help="Partial code (default: stdin)."),
    language: str = LANGUAGE, no_format: bool = NO_FORMAT, model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON, show_context: bool = options.SHOW_CONTEXT,
    sampling: dict = None,
) -> None:
    """Complete partial code; prints the whole completed code."""
    run_code_task("complete", code, language, no_format, model, as_json, show_context, sampling)


@code_app.command("explain")
@options.with_sampling_options(exclude=("beams",))
def explain_code(
    code: Optional[str] = typer.Argument(None, help="Code to explain (default: stdin)."),
    language: str = LANGUAGE, model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON, show_context: bool = options.SHOW_CONTEXT,
    sampling: dict = None,
) -> None:
    """Explain what code does, in plain language. Defaults: temperature 0.5."""
    run_code_task("explain", code, language, True, model, as_json, show_context, sampling)


def register(app: typer.Typer) -> None:
    app.add_typer(code_app, name="code")
