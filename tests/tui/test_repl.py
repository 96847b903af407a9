"""The `textgen chat` REPL: typed input (prompt-toolkit pipe input), slash
commands, Ctrl-C during a reply, autosave, and scripted stdin."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from assistant_models import code_checkpoint, load_cached, transcript_checkpoint
from textgen.assistants import PERSONALITIES, ChatAssistant, load_conversation
from textgen.core import SamplingParams
from textgen.tui.repl import ChatRepl, make_session
from textgen.tui.repl_commands import COMMANDS


@pytest.fixture(scope="module")
def model():
    return load_cached(transcript_checkpoint())


@pytest.fixture
def assistant(model, tmp_path):
    return ChatAssistant(model, SamplingParams(max_tokens=30, temperature=0), system_prompt="",
                         autosave_path=tmp_path / "auto.jsonl")


def typed(repl, keys: str, history_path=None) -> None:
    """Run the interactive loop on these keystrokes ("\\r" is Enter)."""
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        repl.run_session(make_session(history_path, input=pipe, output=DummyOutput()))


def test_typed_messages_stream_replies_and_persist_history(assistant, tmp_path):
    out = io.StringIO()
    repl = ChatRepl(assistant, out=out)
    history = tmp_path / "history"
    typed(repl, "ping\rhello\r/exit\r", history)
    expected = ChatAssistant(assistant.generator, assistant.params, system_prompt="")
    first = expected.send("ping").finish().text
    second = expected.send("hello").finish().text
    assert out.getvalue() == f"{first}\n{second}\n"
    assert [m["content"] for m in assistant.messages] == ["ping", first, "hello", second]
    assert "ping" in history.read_text() and "hello" in history.read_text()


def test_multiline_input(assistant):
    repl = ChatRepl(assistant, out=io.StringIO())
    typed(repl, "first\\\rsecond\rthird\x1b\rfourth\r/exit\r")
    users = [m["content"] for m in assistant.messages if m["role"] == "user"]
    assert users == ["first\nsecond", "third\nfourth"]


def test_ctrl_c_at_prompt_clears_and_ctrl_d_quits(assistant):
    out = io.StringIO()
    repl = ChatRepl(assistant, out=out)
    typed(repl, "abandoned\x03ping\r\x04")
    assert [m["content"] for m in assistant.messages if m["role"] == "user"] == ["ping"]


class InterruptAfter(io.StringIO):
    """Stands for the terminal: the user presses Ctrl-C after some tokens."""

    def __init__(self, writes: int):
        super().__init__()
        self.left = writes

    def write(self, text):
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt
        return super().write(text)


def test_ctrl_c_stops_the_reply_but_not_the_repl(tmp_path):
    g = load_cached(code_checkpoint())            # writes on and on, never "User:"
    chat = ChatAssistant(g, SamplingParams(max_tokens=500, seed=1),
                         autosave_path=tmp_path / "auto.jsonl")
    out = InterruptAfter(8)
    repl = ChatRepl(chat, out=out)
    assert repl.handle("Tell me a long tale")
    assert out.getvalue().endswith(" [stopped]\n")
    reply = chat.messages[-1]
    assert reply["role"] == "assistant" and 0 < len(reply["content"]) < 500
    assert out.getvalue().startswith(reply["content"][:5])
    assert load_conversation(tmp_path / "auto.jsonl")[1][-1] == reply   # saved at once
    assert repl.handle("/history")                       # the REPL goes on


def run(repl, *lines):
    for line in lines:
        assert repl.handle(line) is not False


def test_set_system_personality_and_errors(assistant):
    out = io.StringIO()
    repl = ChatRepl(assistant, out=out)
    run(repl, "/set temperature 0.7", "/set max-tokens 12", "/set stop \\n\\n", "/set seed 4")
    p = assistant.params
    assert (p.temperature, p.max_tokens, p.stop, p.seed) == (0.7, 12, ["\n\n"], 4)
    run(repl, "/set seed none", "/set top_p 2", "/set bogus 1", "/set temperature warm",
        "/frobnicate")
    assert assistant.params.seed is None and assistant.params.top_p == 1.0   # unchanged
    text = out.getvalue()
    assert "error: invalid sampling parameter top_p=2.0" in text
    assert "error: cannot set 'bogus'" in text and "is not a number" in text
    assert "error: unknown command /frobnicate" in text
    run(repl, "/system Speak in rhyme.", "/personality pirate")
    assert assistant.system_prompt == PERSONALITIES["pirate"]
    run(repl, "/help")
    assert all(f"/{name}" in out.getvalue() for name in COMMANDS)


def test_retry_undo_clear_save_load(assistant, tmp_path):
    out = io.StringIO()
    repl = ChatRepl(assistant, out=out)
    run(repl, "ping", "/retry")
    assert len(assistant.messages) == 2                  # the reply replaced, not added
    run(repl, "bye", "/undo")
    assert [m["content"] for m in assistant.messages][0] == "ping" and len(assistant.messages) == 2
    saved = tmp_path / "saved.jsonl"
    run(repl, f"/save {saved}", "/clear")
    assert assistant.messages == []
    run(repl, f"/load {saved}", "/history", "/context")
    assert [m["content"] for m in assistant.messages][0] == "ping"
    text = out.getvalue()
    assert "removed 2 message(s)" in text and f"saved to {saved}" in text
    assert "[user] ping" in text and "prompt tokens" in text
    run(repl, "//not a command")
    assert assistant.messages[-2]["content"] == "/not a command"


def test_model_switch_keeps_the_conversation(assistant):
    out = io.StringIO()
    repl = ChatRepl(assistant, out=out)
    run(repl, "ping", f"/model {code_checkpoint()}")
    assert assistant.generator.info.architecture == "gpt"
    assert "context 256" in out.getvalue()
    assert len(assistant.messages) == 2
    run(repl, "/model /nonexistent/model")
    assert "error: /nonexistent/model: no such file" in out.getvalue()
    assert assistant.generator.info.architecture == "gpt"


def test_piped_stdin_autosaves_and_resumes(tmp_path):
    env = {**os.environ, "TEXTGEN_HOME": str(tmp_path)}
    model = str(transcript_checkpoint())
    cmd = [sys.executable, "-m", "textgen.tui.cli", "chat", "--model", model, "--temperature",
           "0", "--system", "Be brief.", "-n", "30"]
    r = subprocess.run(cmd, input="ping\nhello\n", capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    replies = r.stdout.splitlines()
    assert len(replies) == 2 and all(replies)
    saved = list((tmp_path / "conversations").glob("chat-*.jsonl"))
    assert len(saved) == 1
    lines = [json.loads(line) for line in saved[0].read_text().splitlines()]
    assert lines[0] == {"role": "system", "content": "Be brief."}
    assert [m["content"] for m in lines[1:]] == ["ping", replies[0], "hello", replies[1]]

    r = subprocess.run([*cmd, "--resume"], input="/history\n/undo\n", capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"[assistant] {replies[1]}" in r.stderr      # notices go to stderr when scripted
    assert r.stdout == ""
    assert len(load_conversation(saved[0])[1]) == 2      # the resumed file was updated
