"""Slash commands of the app, in one table, and their command-palette provider.

A command is typed in the chat box or in the command palette (Ctrl+P, then
``/``). Each entry names the app method that runs it: ``command_<name>(arg)``
gets the text after the command name and raises TextgenError for bad input.
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.command import DiscoveryHit, Hit, Hits, Provider

from textgen.core.errors import TextgenError
from textgen.tui.app_finetune import USAGE as FINETUNE_USAGE


@dataclass(frozen=True)
class SlashCommand:
    name: str
    usage: str
    help: str


SLASH_COMMANDS: dict[str, SlashCommand] = {c.name: c for c in (
    SlashCommand("finetune", FINETUNE_USAGE + " | /finetune cancel",
                 "fine-tune the model on a text file in the background, then use the copy"),
    SlashCommand("model", "/model [PATH]", "load a model, or open the model picker"),
    SlashCommand("mode", "/mode NAME", "switch to story, twist, dialogue, code or chat"),
    SlashCommand("preset", "/preset NAME", "sampling preset: creative, balanced or precise"),
    SlashCommand("set", "/set NAME VALUE", "set a sampling control, e.g. /set temperature 0.5"),
    SlashCommand("save", "/save [FILE]", "save the session"),
    SlashCommand("open", "/open FILE", "reopen a saved session"),
    SlashCommand("stop", "/stop", "stop the generation"),
    SlashCommand("regenerate", "/regenerate", "regenerate the last output"),
    SlashCommand("continue", "/continue", "continue the output"),
    SlashCommand("undo", "/undo", "undo the last generation"),
    SlashCommand("copy", "/copy", "copy the output to the clipboard"),
    SlashCommand("clear", "/clear", "clear the current mode's output"),
    SlashCommand("system", "/system TEXT", "set the chat system prompt"),
    SlashCommand("inspect", "/inspect", "open the token inspector"),
    SlashCommand("help", "/help", "list keys and commands"),
)}
ALIASES = {"retry": "regenerate", "load": "open", "quit": "exit", "ft": "finetune", "?": "help"}


def parse_slash(text: str) -> tuple[SlashCommand, str]:
    """(command, argument text) for a line starting with '/'."""
    name, _, arg = text.strip().lstrip("/").partition(" ")
    name = ALIASES.get(name.lower(), name.lower())
    if name not in SLASH_COMMANDS:
        raise TextgenError(f"unknown command /{name}; /help lists them")
    return SLASH_COMMANDS[name], arg.strip()


class SlashCommandProvider(Provider):
    """Palette entries for slash commands: type '/finetune data.txt' and press Enter."""

    async def discover(self) -> Hits:
        for command in SLASH_COMMANDS.values():
            yield DiscoveryHit(command.usage, self._prefill(command), help=command.help)

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if query.startswith("/"):
            name = query[1:].split(" ", 1)[0].lower()
            name = ALIASES.get(name, name)
            if name in SLASH_COMMANDS and " " in query:
                yield Hit(1.0, f"Run {query}", self._runner(query),
                          help=SLASH_COMMANDS[name].help)
                return
        matcher = self.matcher(query.lstrip("/"))
        for command in SLASH_COMMANDS.values():
            score = matcher.match(command.usage)
            if score > 0:
                yield Hit(score, matcher.highlight(command.usage), self._runner("/" + command.name),
                          help=command.help)

    def _runner(self, text: str):
        return lambda: self.app.run_slash(text)

    def _prefill(self, command: SlashCommand):
        return lambda: self.app.run_slash("/" + command.name)
