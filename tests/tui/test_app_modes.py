"""Every mode of the app: type a request, start, watch it stream, compare with
the assistant's own output for the same seed; stop a run part-way."""
from __future__ import annotations

import pytest
from test_app_helpers import (anyio_backend, notices, set_controls, tiny_gpt_path, wait_for_model, wait_for_run,
                              wait_until)

from textgen.assistants import (ChatAssistant, CodeAssistant, DialogueAssistant, StoryAssistant,
                                TwistAssistant)
from textgen.tui.app import TextgenApp
from textgen.tui.app_sessions import numbered

pytestmark = pytest.mark.anyio
assert anyio_backend   # the fixture, imported to run the tests on asyncio
SIZE = (80, 24)


@pytest.fixture(scope="module")
def gpt_path():
    return tiny_gpt_path()


@pytest.fixture(scope="module")
def gpt(gpt_path):
    from textgen.core import load

    return load(gpt_path)


def spy_on_appends(view) -> list[str]:
    """Record each batch of text the view is given while a run streams."""
    batches = []
    original = view.append

    async def append(text):
        batches.append(text)
        await original(text)

    view.append = append
    return batches


def make_app(gpt, gpt_path, tmp_path, mode="story"):
    return TextgenApp(gpt_path, mode=mode, generator=gpt, data_dir=tmp_path)


async def test_story_streams_and_matches_the_assistant(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#story-text").focus()
        await pilot.press(*"ROMEO: ")
        await set_controls(app, pilot, seed=11, max_tokens=150)
        view = app.panel("story").output
        batches = spy_on_appends(view)
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        params = StoryAssistant.default_params().replace(seed=11, max_tokens=150)
        expected = StoryAssistant(gpt, params).run("ROMEO: ")
        assert expected.text.strip()
        assert view.text == expected.text
        assert app.last_run.live_text == expected.raw_text
        assert view.markdown.source == expected.text
        # it streamed: the text reached the screen in several batches, in order
        assert len(batches) >= 2 and "".join(batches) == expected.raw_text
        stats = app.sessions["story"].segments[-1].stats
        assert app.status.tokens == stats["completion_tokens"] == expected.stats.completion_tokens
        assert "seed 11" in app.status.state


async def test_stop_mid_stream_keeps_what_was_written(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#story-text").load_text("JULIET: ")
        session = app.sessions["story"]
        session.params = session.params.replace(max_tokens=20_000, ignore_eos=True, seed=5)
        await pilot.press("ctrl+g")
        view = app.panel("story").output
        await wait_until(pilot, lambda: len(view.text) > 20, what="some streamed text")
        await pilot.press("escape")
        await wait_for_run(app, pilot)
        segment = session.segments[-1]
        assert segment.stats["stop_reason"] == "cancelled"
        assert 0 < segment.stats["completion_tokens"] < 20_000
        assert view.text == segment.text and len(segment.text) > 20
        # what was kept is exactly the start of the uninterrupted generation
        full = StoryAssistant(gpt, session.params.replace(
            max_tokens=segment.stats["completion_tokens"] + 5)).run("JULIET: ")
        assert full.text.startswith(segment.text)
        assert app.status.state.startswith("stopped")
        assert app.is_running


async def test_twist_mode_lists_the_assistants_twists(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path, mode="twist")
    story = "The king sent his son away, and the queen wept at the gate."
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#twist-story").load_text(story)
        app.query_one("#twist-count").value = "2"
        await set_controls(app, pilot, seed=3)
        view = app.panel("twist").output
        batches = spy_on_appends(view)
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        expected = TwistAssistant(gpt, TwistAssistant.default_params().replace(seed=3),
                                  count=2).run(story)
        assert expected.candidates
        assert app.sessions["twist"].segments[-1].candidates == expected.candidates
        assert view.text == numbered(expected.candidates)
        assert batches and batches[0].startswith("1. ")
        assert "2. " in "".join(batches)


async def test_dialogue_mode_writes_the_characters_line(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path, mode="dialogue")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#dialogue-character").value = "Romeo, a young lover"
        app.query_one("#dialogue-situation").load_text("Juliet stands on the balcony.")
        await set_controls(app, pilot, seed=8)
        app.query_one("#dialogue-character").focus()
        await pilot.press("enter")          # Enter in the character field starts it
        await wait_for_run(app, pilot)
        expected = DialogueAssistant(gpt, DialogueAssistant.default_params().replace(seed=8)).run(
            "Romeo, a young lover", "Juliet stands on the balcony.")
        segment = app.sessions["dialogue"].segments[-1]
        assert segment.text == expected.text
        assert segment.extra["name"] == "Romeo"
        assert app.panel("dialogue").output.text == f"**Romeo:** {expected.text}\n\n"


async def test_code_mode_highlights_the_assistants_code(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path, mode="code")
    request = "return the sum of two numbers"
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#code-text").load_text(request)
        await set_controls(app, pilot, seed=4, temperature=0.9)
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        params = CodeAssistant.default_params().replace(seed=4, temperature=0.9)
        expected = CodeAssistant(gpt, params).run(request)
        view = app.panel("code").output
        assert view.text == expected.text
        assert view.language == "python"
        assert view.code_widget.display and not view.markdown.display


async def test_chat_mode_keeps_a_transcript(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path, mode="chat")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        await set_controls(app, pilot, seed=2, max_tokens=40)
        app.query_one("#chat-message").focus()
        await pilot.press(*"/system Speak briefly.", "enter")
        assert app.query_one("#note-system_prompt").text == "Speak briefly."
        await pilot.press(*"Good morrow", "enter")
        await wait_for_run(app, pilot)
        params = ChatAssistant.default_params().replace(seed=2, max_tokens=40)
        assistant = ChatAssistant(gpt, params, system_prompt="Speak briefly.")
        expected = assistant.send("Good morrow").finish()
        session = app.sessions["chat"]
        assert session.messages == assistant.messages
        view = app.panel("chat").output
        assert view.text.startswith("**You:** Good morrow\n\n**Assistant:** ")
        assert view.text == session.document()
        assert expected.text in view.text
        assert app.query_one("#chat-message").value == ""


async def test_mode_keys_switch_modes_and_their_controls(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        for key, mode in (("alt+4", "code"), ("alt+5", "chat"), ("alt+2", "twist"),
                          ("alt+3", "dialogue"), ("alt+1", "story")):
            await pilot.press(key)
            await pilot.pause()
            assert app.mode == mode
            expected = app.sessions[mode].params.temperature
            assert app.controls.field("temperature").value == f"{expected:g}"
        assert app.controls.field("temperature").value == "0.8"   # story's default
        await pilot.press("alt+4")
        assert app.controls.field("temperature").value == "0.2"   # code's default


async def test_app_opens_straight_into_a_mode(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path, mode="code")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.mode == "code"
        assert app.focused is app.query_one("#code-text")


async def test_story_notes_shape_the_prompt(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#story-text").load_text("ROMEO: where is my lady?")
        app.query_one("#note-memory").load_text("Romeo loves Juliet.")
        app.query_one("#note-authors_note").load_text("Sad tone.")
        app.query_one("#note-world_info").load_text("lady, Juliet: Juliet waits above.\n"
                                                    "sword: Swords are drawn.")
        await set_controls(app, pilot, seed=1, max_tokens=20)
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        parts = {p.name: p for p in app.last_run.context.parts if p.included}
        assert parts["memory"].text == "Romeo loves Juliet.\n"
        assert parts["world_info"].text == "Juliet waits above.\n"      # 'lady' fired
        assert "Sad tone." in parts["authors_note"].text
        assert "Swords" not in app.last_run.context.prompt                # 'sword' did not
        # a malformed world-info line is reported, and nothing runs
        app.query_one("#note-world_info").load_text("no colon here")
        previous = app.last_run
        await pilot.press("ctrl+g")
        assert app.last_run is previous and app.active_run is None
        assert any("world info line 1" in n for n in notices(app))


async def test_dialogue_continue_adds_the_next_line(gpt, gpt_path, tmp_path):
    app = make_app(gpt, gpt_path, tmp_path, mode="dialogue")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#dialogue-character").value = "Romeo, a young lover"
        await set_controls(app, pilot, seed=3, max_tokens=20)
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        first = app.sessions["dialogue"].segments[0]
        previous = app.last_run
        await pilot.press("ctrl+t")
        await wait_for_run(app, pilot, previous)
        segments = app.sessions["dialogue"].segments
        assert len(segments) == 2 and segments[0] is first
        assert f"Romeo: {first.text}" in app.last_run.context.prompt   # the scene so far
        assert app.panel("dialogue").output.text == (f"**Romeo:** {first.text}\n\n"
                                                     f"**Romeo:** {segments[1].text}\n\n")
