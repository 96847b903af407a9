"""Entry point of `textgen-tui`: parse the arguments, then start the app.

Only argparse is imported before the arguments are checked; the Textual
app is imported after, and the model loads inside the app (in a worker),
so the first screen appears before any model library is imported.
"""
from __future__ import annotations

import argparse
import sys

MODES = ("story", "twist", "dialogue", "code", "chat")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="textgen-tui",
        description="The textgen terminal app: story, plot twist, dialogue, code and chat "
                    "modes with live streaming, sampling controls, a token inspector and "
                    "in-app fine-tuning. F1 inside the app lists every key.")
    parser.add_argument("--model", "-m", metavar="PATH",
                        help="model to load: checkpoint folder, .pt, Hugging Face folder or "
                             ".gguf (default: $TEXTGEN_MODEL, then the installed default)")
    parser.add_argument("--mode", choices=MODES, default="story",
                        help="mode to open in (default: story)")
    parser.add_argument("--session", metavar="FILE",
                        help="reopen a session saved with Ctrl+S")
    return parser


def make_app(argv: list[str] | None = None):
    """The app for these arguments (argparse exits with code 2 on bad ones)."""
    args = build_parser().parse_args(argv)
    from textgen.tui.app import TextgenApp

    return TextgenApp(args.model, mode=args.mode, session_file=args.session)


def main(argv: list[str] | None = None) -> None:
    app = make_app(argv)
    app.run()
    sys.exit(app.return_code or 0)


if __name__ == "__main__":
    main()
