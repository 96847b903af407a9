"""The chat REPL's slash commands, one small function each, in one table.

A handler gets the ChatRepl and the text after the command name; it returns
False to leave the REPL. Errors a user can cause raise TextgenError, which
the REPL prints as one line before going on.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Callable

from textgen.core.errors import TextgenError


@dataclass
class SlashCommand:
    name: str
    usage: str
    help: str
    handler: Callable


COMMANDS: dict[str, SlashCommand] = {}
ALIASES = {"quit": "exit", "q": "exit", "h": "help", "?": "help"}

# /set NAME: the SamplingParams fields a user may set, with short aliases
SETTABLE = ("max_tokens", "temperature", "top_k", "top_p", "min_p", "repetition_penalty",
            "presence_penalty", "frequency_penalty", "no_repeat_ngram_size", "seed", "num_beams",
            "stop")
SET_ALIASES = {"beams": "num_beams", "tokens": "max_tokens", "temp": "temperature",
               "max-tokens": "max_tokens", "top-p": "top_p", "top-k": "top_k", "min-p": "min_p"}


def command(name: str, usage: str, help: str):
    def add(handler):
        COMMANDS[name] = SlashCommand(name, usage, help, handler)
        return handler
    return add


def lookup(name: str) -> SlashCommand:
    name = ALIASES.get(name, name)
    if name not in COMMANDS:
        raise TextgenError(f"unknown command /{name}; /help lists them")
    return COMMANDS[name]


@command("help", "/help", "show this list")
def _help(repl, arg: str):
    width = max(len(c.usage) for c in COMMANDS.values())
    lines = [f"  {c.usage:<{width}}  {c.help}" for c in COMMANDS.values()]
    repl.notice("commands:\n" + "\n".join(lines) + "\nEnter sends; end a line with \\ or press "
                "Esc then Enter for a new line; Ctrl-C stops a reply; Ctrl-D quits.")


@command("model", "/model [PATH]", "show the model, or switch to another (history kept)")
def _model(repl, arg: str):
    if arg:
        repl.switch_model(arg)
    info = repl.assistant.generator.info
    context = info.context_length or "unbounded"
    repl.notice(f"model: {info.path} ({info.backend}, {info.architecture}, "
                f"context {context}, chat template: {'yes' if repl.assistant.uses_chat else 'no'})")


def parse_setting(name: str, value: str):
    """(field, typed value) for ``/set name value``, checked against SamplingParams."""
    name = SET_ALIASES.get(name.lower(), name.lower().replace("-", "_"))
    if name not in SETTABLE:
        raise TextgenError(f"cannot set {name!r}; settable: {', '.join(SETTABLE)}")
    if name == "stop":
        if value.lower() in ("", "none", "off"):
            return name, []
        return name, [codecs.decode(value, "unicode_escape")]
    if name == "seed" and value.lower() in ("none", "off", "random"):
        return name, None
    kind = int if name in ("max_tokens", "top_k", "no_repeat_ngram_size", "seed", "num_beams") \
        else float
    try:
        return name, kind(value)
    except ValueError:
        raise TextgenError(f"/set {name}: {value!r} is not a{'n integer' if kind is int else ' number'}") from None


@command("set", "/set [NAME VALUE]", "show sampling settings, or set one (e.g. /set temperature 0.7)")
def _set(repl, arg: str):
    params = repl.assistant.params
    if not arg:
        shown = {k: getattr(params, k) for k in SETTABLE}
        repl.notice("  ".join(f"{k}={v!r}" for k, v in shown.items()))
        return
    name, _, value = arg.partition(" ")
    field, typed = parse_setting(name, value.strip())
    repl.assistant.params = params.replace(**{field: typed})   # validates
    repl.notice(f"{field} = {typed!r}")


@command("system", "/system [TEXT]", "show the system prompt, or replace it")
def _system(repl, arg: str):
    if arg:
        repl.assistant.system_prompt = arg
    repl.notice(f"system prompt: {repl.assistant.system_prompt or '(none)'}")


@command("personality", "/personality [NAME]", "list personalities, or use one as system prompt")
def _personality(repl, arg: str):
    from textgen.assistants.chat import PERSONALITIES

    if not arg:
        repl.notice("\n".join(f"  {k:<12} {v}" for k, v in PERSONALITIES.items()))
        return
    repl.notice(f"system prompt: {repl.assistant.set_personality(arg.strip())}")


@command("retry", "/retry", "write the last reply again")
def _retry(repl, arg: str):
    repl.stream_reply(repl.assistant.retry())


@command("undo", "/undo", "remove the last exchange")
def _undo(repl, arg: str):
    removed = repl.assistant.undo()
    repl.notice(f"removed {len(removed)} message(s)" if removed else "nothing to undo")


@command("history", "/history", "show the conversation so far")
def _history(repl, arg: str):
    assistant = repl.assistant
    lines = [f"[system] {assistant.system_prompt}"] if assistant.system_prompt else []
    lines += [f"[{m['role']}] {m['content']}" for m in assistant.messages]
    repl.notice("\n".join(lines) if lines else "(empty)")


@command("context", "/context", "show how the last prompt was assembled, part by part")
def _context(repl, arg: str):
    repl.notice(repl.last_context.render() if repl.last_context else "no reply yet")


@command("save", "/save FILE", "save the conversation as JSON Lines")
def _save(repl, arg: str):
    if not arg:
        raise TextgenError("/save needs a file name, e.g. /save chat.jsonl")
    repl.notice(f"saved to {repl.assistant.save(arg.strip())}")


@command("load", "/load FILE", "replace the conversation with a saved one")
def _load(repl, arg: str):
    if not arg:
        raise TextgenError("/load needs a file name, e.g. /load chat.jsonl")
    repl.assistant.load(arg.strip())
    repl.notice(f"loaded {len(repl.assistant.messages)} message(s) from {arg.strip()}")


@command("clear", "/clear", "start over (the system prompt stays)")
def _clear(repl, arg: str):
    repl.assistant.clear()
    repl.notice("conversation cleared")


@command("exit", "/exit", "leave (also /quit or Ctrl-D)")
def _exit(repl, arg: str):
    return False
