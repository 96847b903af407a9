"""Snapshots of the app's main screens at 80x24.

Content is deterministic: outputs come from a saved session (no timings),
paths are shown relative to the working folder, the data folder is empty,
cursors do not blink, and the inspector and fine-tune strip are given fixed
numbers. Update with ``pytest tests/tui/test_app_snapshots.py --snapshot-update``.
"""
from __future__ import annotations

import pytest
from test_app_helpers import tiny_gpt_path

from textgen.core import load
from textgen.core.generator import TokenAlternative, TokenEvent
from textgen.tui.app import TextgenApp
from textgen.tui.app_session_file import save_session
from textgen.tui.app_sessions import Segment, new_sessions
from textgen.tui.screens.inspector import InspectorScreen
from textgen.tui.widgets.finetune_panel import FinetunePanel

SIZE = (80, 24)


@pytest.fixture
def app_factory(tmp_path, monkeypatch):
    model = tiny_gpt_path()
    generator = load(model)
    monkeypatch.setenv("TEXTGEN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TEXTGEN_MODEL", raising=False)
    monkeypatch.chdir(model.parent)

    def make(**options):
        return TextgenApp(model, generator=generator, data_dir=tmp_path / "home", **options)
    return make


@pytest.fixture
def session_file(tmp_path):
    sessions = new_sessions()
    story = sessions["story"]
    story.inputs.update(story="The dragon circled the tower.", genre="fantasy",
                        memory="Aria is a young fire mage.")
    story.segments = [Segment(" Aria raised her staff, and the night went still.")]
    code = sessions["code"]
    code.inputs.update(text="add two numbers")
    code.segments = [Segment("def add(a, b):\n    \"\"\"The sum.\"\"\"\n    return a + b\n",
                             extra={"task": "write"})]
    chat = sessions["chat"]
    chat.inputs["system_prompt"] = "Speak briefly."
    chat.messages = [{"role": "user", "content": "Good morrow"},
                     {"role": "assistant", "content": "Good morrow to you, friend."},
                     {"role": "user", "content": "What news?"},
                     {"role": "assistant", "content": "The king is **well**."}]
    return save_session(tmp_path / "session.json", "story", None, sessions)


async def still_cursors(pilot, blur: bool = False) -> None:
    """No blinking cursors (a dialog shows the screen below it too); with
    ``blur`` no focus at all, so no cursor is drawn wherever focus settled."""
    for screen in pilot.app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False
    await pilot.pause()
    if blur:
        pilot.app.set_focus(None)
        await pilot.pause()


async def still_and_blurred(pilot) -> None:
    await still_cursors(pilot, blur=True)


def opened(session_file, mode=None):
    async def run_before(pilot):
        app = pilot.app
        await app.open_session_from(str(session_file))
        if mode:
            app.action_mode(mode)
        await pilot.pause()
        app.clear_notifications()       # the notice names a temporary path
        await still_cursors(pilot, blur=True)
    return run_before


def test_story_screen(app_factory, session_file, snap_compare):
    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=opened(session_file))


def test_story_notes_panel(app_factory, session_file, snap_compare):
    async def run_before(pilot):
        await opened(session_file)(pilot)
        pilot.app.query_one("#side-tabs").active = "side-notes"
        await pilot.pause()
    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_code_screen_highlights_code(app_factory, session_file, snap_compare):
    assert snap_compare(app_factory(), terminal_size=SIZE,
                        run_before=opened(session_file, "code"))


def test_chat_transcript(app_factory, session_file, snap_compare):
    assert snap_compare(app_factory(), terminal_size=SIZE,
                        run_before=opened(session_file, "chat"))


def test_dialogue_screen_before_a_request(app_factory, snap_compare):
    assert snap_compare(app_factory(mode="dialogue"), terminal_size=SIZE,
                        run_before=still_and_blurred)


def test_help_screen(app_factory, snap_compare):
    async def run_before(pilot):
        await still_cursors(pilot)
        await pilot.press("f1")
    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_model_picker(app_factory, snap_compare):
    async def run_before(pilot):
        await still_cursors(pilot)
        await pilot.press("f2")
        await still_cursors(pilot)
    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def fixed_tokens() -> list[TokenEvent]:
    """Three tokens with fixed numbers, as a temperature-0.7, top-k-3 run records them."""
    def alt(token_id, text, p, sampled):
        import math

        return TokenAlternative(token_id, text, math.log(p), sampled)

    return [
        TokenEvent("The", 1, -0.36, [alt(1, "The", 0.70, 0.86), alt(2, "A", 0.12, 0.09),
                                     alt(3, "In", 0.06, 0.05), alt(4, "Once", 0.04, 0.0)]),
        TokenEvent(" king", 5, -1.61, [alt(6, " old", 0.30, 0.41), alt(5, " king", 0.20, 0.33),
                                       alt(7, " night", 0.15, 0.26), alt(8, " sea", 0.05, 0.0)]),
        TokenEvent(" wept", 9, -0.92, [alt(9, " wept", 0.40, 0.58), alt(10, " rode", 0.25, 0.30),
                                       alt(11, " slept", 0.10, 0.12),
                                       alt(12, "\n", 0.02, 0.0)]),
    ]


def test_token_inspector(app_factory, snap_compare):
    async def run_before(pilot):
        await still_cursors(pilot)
        pilot.app.push_screen(InspectorScreen(fixed_tokens(), "Token inspector · top-k 3"))
        await pilot.pause()
        await pilot.press("down")
    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_finetune_progress(app_factory, snap_compare):
    async def run_before(pilot):
        panel = pilot.app.query_one(FinetunePanel)
        panel.start("fine-tuning on my text.txt (1 epoch)...")
        for step, loss in enumerate((2.9, 2.6, 2.4, 2.3, 2.1), 1):
            panel.show_progress(step, 10, loss, step / 10, 1)
        await still_cursors(pilot, blur=True)
    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)
