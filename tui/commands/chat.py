"""`textgen chat`: a conversation in the terminal (or scripted through stdin)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from textgen.tui import options


@options.with_sampling_options(exclude=("beams",))
def chat(
    model: Optional[str] = options.MODEL,
    system: Optional[str] = typer.Option(None, "--system", help="System prompt / personality "
                                         "text (@FILE reads a file)."),
    personality: Optional[str] = typer.Option(None, "--personality", help="A preset system "
                                              "prompt: helpful, concise, storyteller, tutor, "
                                              "pirate."),
    load: Optional[Path] = typer.Option(None, "--load", help="Continue a saved conversation "
                                        "(JSON Lines)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the most recent autosaved "
                                "conversation."),
    sampling: dict = None,
) -> None:
    """Chat with a model: streaming replies, /help for commands, autosaved history.

    With stdin piped, each line is a message (or /command); replies go to
    stdout and notices to stderr. Defaults: 256 tokens, temperature 0.7, top-p 0.95.
    """
    import sys

    from textgen.assistants import ChatAssistant
    from textgen.core.errors import TextgenError
    from textgen.tui.command_io import text_or_file
    from textgen.tui.model_choice import load_model
    from textgen.tui.repl import ChatRepl, banner, make_session
    from textgen.tui.user_data import (conversations_dir, input_history_path,
                                       new_conversation_path)

    params = options.sampling_params(ChatAssistant.default_params(), **sampling)
    if resume and load:
        raise TextgenError("--resume and --load both name a conversation; give one")
    if resume:
        saved = sorted(conversations_dir().glob("chat-*.jsonl"), key=lambda p: p.stat().st_mtime)
        if not saved:
            raise TextgenError(f"no autosaved conversation in {conversations_dir()}")
        load = saved[-1]
    generator = load_model(model)
    # a resumed conversation goes on in its own file; any other starts a new one
    assistant = ChatAssistant(generator, params,
                              autosave_path=load if resume else new_conversation_path())
    if load:
        assistant.load(load)
    if personality:
        assistant.set_personality(personality)
    if system is not None:
        assistant.system_prompt = text_or_file(system)
    interactive = sys.stdin.isatty()
    repl = ChatRepl(assistant, out=sys.stdout, err=sys.stdout if interactive else sys.stderr)
    if interactive:
        repl.notice(banner(assistant, assistant.autosave_path))
        repl.run_session(make_session(input_history_path("chat")))
    else:
        repl.run_lines(sys.stdin)


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)
