"""The `textgen chat` REPL: prompt-toolkit input, streaming replies, slash commands.

Interactive use (stdin is a terminal): persistent input history, multi-line
input (end a line with ``\\`` or press Esc then Enter for a new line), Tab
completion of slash commands, Ctrl-C stops the reply being written (and
clears the input line at the prompt), Ctrl-D leaves. Piped stdin is read
line by line, each line a message or a slash command, replies on stdout and
notices on stderr, for scripting.

Replies are generated in the main thread: Ctrl-C there raises
KeyboardInterrupt between tokens, which ends the reply and keeps what was
written (the AssistantStream settles its result however it is stopped).
The ChatAssistant autosaves the conversation after every change.
"""
from __future__ import annotations

import sys
from typing import Iterable, TextIO

from textgen.core.errors import TextgenError
from textgen.tui.repl_commands import COMMANDS, lookup


class ChatRepl:
    def __init__(self, assistant, *, out: TextIO | None = None, err: TextIO | None = None):
        self.assistant = assistant
        self.out = out or sys.stdout
        self.err = err or self.out     # notices; stderr when scripted
        self.last_context = None

    # --- output --------------------------------------------------------------
    def notice(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()

    def error(self, error: Exception) -> None:
        self.notice(f"error: {error}")

    # --- actions -------------------------------------------------------------
    def switch_model(self, path: str) -> None:
        from textgen.tui.model_choice import load_model

        new = load_model(path)
        old, self.assistant.generator = self.assistant.generator, new
        if old is not new:
            old.close()

    def stream_reply(self, stream):
        """Print a reply as it streams; Ctrl-C ends it early. Returns the result."""
        self.last_context = stream.context
        started = False
        try:
            for event in stream:
                text = event.text
                if not started:          # the reply's leading space after "Assistant:"
                    text = text.lstrip()
                    started = bool(text)
                if text:
                    self.out.write(text)
                    self.out.flush()
        except KeyboardInterrupt:
            stream.close()
            self.out.write(" [stopped]")
        self.out.write("\n")
        self.out.flush()
        return stream.result

    def handle(self, line: str) -> bool:
        """Run one input (a message or a /command); False means leave."""
        text = line.strip()
        if not text:
            return True
        try:
            if text.startswith("/") and not text.startswith("//"):
                name, _, arg = text[1:].partition(" ")
                return lookup(name.lower()).handler(self, arg.strip()) is not False
            if text.startswith("//"):        # "//" sends a message that starts with "/"
                line = line.replace("/", "", 1)
            self.stream_reply(self.assistant.send(line))
        except TextgenError as e:
            self.error(e)
        return True

    # --- loops ---------------------------------------------------------------
    def run_lines(self, lines: Iterable[str]) -> None:
        """Scripted use: one message or command per line; a line ending in
        a backslash continues on the next."""
        pending = ""
        for raw in lines:
            line = raw.rstrip("\r\n")
            if line.endswith("\\"):
                pending += line[:-1] + "\n"
                continue
            if not self.handle(pending + line):
                return
            pending = ""
        if pending.strip():
            self.handle(pending)

    def run_session(self, session) -> None:
        """Interactive use with a prompt-toolkit PromptSession (see make_session)."""
        while True:
            try:
                line = session.prompt()
            except KeyboardInterrupt:      # Ctrl-C at the prompt clears the line
                continue
            except EOFError:               # Ctrl-D
                return
            if not self.handle(line):
                return


def make_session(history_path=None, input=None, output=None):
    """A PromptSession set up for chat: Enter sends, ``\\`` + Enter or
    Esc Enter adds a line, persistent history, slash-command completion."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter")
    def _send(event):
        buffer = event.current_buffer
        if buffer.document.text_before_cursor.endswith("\\"):
            buffer.delete_before_cursor(1)
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    @bindings.add("escape", "enter")
    def _newline(event):
        event.current_buffer.insert_text("\n")

    class SlashCompleter(Completer):
        def get_completions(self, document, complete_event):
            text = document.text_before_cursor
            if text.startswith("/") and " " not in text:
                for name in COMMANDS:
                    if name.startswith(text[1:]):
                        yield Completion("/" + name, start_position=-len(text))

    history = FileHistory(str(history_path)) if history_path else InMemoryHistory()
    return PromptSession("you> ", multiline=True, prompt_continuation="...> ",
                         key_bindings=bindings, history=history, completer=SlashCompleter(),
                         complete_while_typing=False, input=input, output=output)


def banner(assistant, autosave_path) -> str:
    info = assistant.generator.info
    context = info.context_length or "unbounded"
    return (f"textgen chat: {info.path} ({info.architecture}, context {context})\n"
            f"/help lists commands; Ctrl-C stops a reply, Ctrl-D quits. "
            f"Autosaving to {autosave_path}")
