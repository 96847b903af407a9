"""The `textgen` command: a Typer app whose command groups live in
`textgen.tui.commands.*`, one module each.

Errors a user can cause (TextgenError) become one line on stderr and exit
code 2, never a traceback.
"""
from __future__ import annotations

import sys

import typer

from textgen.core.errors import TextgenError

app = typer.Typer(
    name="textgen",
    help="textgen: write, code and chat with local language models; train your own.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _register() -> None:
    """Each module in textgen.tui.commands adds its commands through `register(app)`.

    Modules import only Typer at the top; their work imports stay inside the
    command functions, so listing them costs nothing.
    """
    import importlib
    import pkgutil

    from textgen.tui import commands

    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"textgen.tui.commands.{module_info.name}")
        if hasattr(module, "register"):
            module.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        # standalone mode: Typer reports usage errors itself (exit code 2)
        app(args=argv, prog_name="textgen")
    except TextgenError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
