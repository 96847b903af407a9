"""The app's controls and actions: validation, presets, the palette, continue /
regenerate / undo, copy, sessions on disk, the token inspector and help."""
from __future__ import annotations

import math

import pytest
from test_app_helpers import (anyio_backend, notices, set_controls, tiny_gpt_path,
                              wait_for_model, wait_for_run, wait_until)

from textgen.assistants import StoryAssistant
from textgen.core import load
from textgen.tui.app import TextgenApp
from textgen.tui.app_keys import KEYS
from textgen.tui.screens.help import HelpScreen, help_renderable, key_name
from textgen.tui.screens.inspector import InspectorScreen
from textgen.tui.widgets.controls import PRESETS

pytestmark = pytest.mark.anyio
assert anyio_backend   # the fixture, imported to run the tests on asyncio
SIZE = (80, 24)


@pytest.fixture(scope="module")
def gpt():
    return load(tiny_gpt_path())


def make_app(gpt, tmp_path, **options):
    return TextgenApp(tiny_gpt_path(), generator=gpt, data_dir=tmp_path, **options)


async def generate(app, pilot, key="ctrl+g"):
    previous = app.last_run
    await pilot.press(key)
    await wait_for_run(app, pilot, previous)


async def test_invalid_controls_are_flagged_and_block_generation(gpt, tmp_path):
    app = make_app(gpt, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#story-text").load_text("ROMEO: ")
        field = app.controls.field("temperature")
        field.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"warm")
        assert field.has_class("-invalid")
        assert "Temperature: 'warm' is not a number" in app.controls.error
        await pilot.press("ctrl+g")
        assert app.active_run is None and app.last_run is None
        assert any("fix the controls first" in n for n in notices(app))
        app.controls.field("top_p").value = "1.5"     # out of range: SamplingParams says why
        await pilot.pause()
        field.value = "0.5"
        await pilot.pause()
        assert "top_p" in app.controls.error and "(0, 1]" in app.controls.error
        app.controls.field("top_p").value = "0.9"
        await pilot.pause()
        assert app.controls.error is None
        params = app.sessions["story"].params
        assert (params.temperature, params.top_p) == (0.5, 0.9)


async def test_presets_from_buttons_and_the_palette(gpt, tmp_path):
    app = make_app(gpt, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        await pilot.click("#preset-precise")
        params = app.sessions["story"].params
        assert params.temperature == PRESETS["precise"]["temperature"]
        assert app.controls.field("top_k").value == str(PRESETS["precise"]["top_k"])
        await pilot.press("ctrl+p")
        await pilot.press(*"/preset creative")
        await wait_until(pilot, lambda: app.screen.query("CommandList Option") or
                         app.screen.query("CommandList"), what="palette results")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.sessions["story"].params.temperature ==
                         PRESETS["creative"]["temperature"], what="the preset from the palette")
        assert app.controls.field("min_p").value == "0.05"


async def test_continue_regenerate_and_undo(gpt, tmp_path):
    app = make_app(gpt, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#story-text").load_text("ROMEO: ")
        await set_controls(app, pilot, seed=5, max_tokens=20)
        params = StoryAssistant.default_params().replace(seed=5, max_tokens=20)
        session, view = app.sessions["story"], app.panel("story").output
        await generate(app, pilot)
        first = session.segments[0].text
        await generate(app, pilot, "ctrl+t")                         # continue
        second = StoryAssistant(gpt, params).run("ROMEO: " + first).text
        assert [s.text for s in session.segments] == [first, second]
        assert view.text == first + second
        await generate(app, pilot, "ctrl+r")                         # regenerate
        again = StoryAssistant(gpt, params.replace(seed=6)).run("ROMEO: " + first).text
        assert session.segments[-1].seed == 6
        assert view.text == first + again
        await pilot.press("ctrl+b")                                  # undo
        await pilot.pause()
        assert view.text == first + second
        await pilot.press("ctrl+b", "ctrl+b")
        await pilot.pause()
        assert view.text == "" and session.segments == []
        await pilot.press("ctrl+b")
        assert any("Nothing to undo" in n for n in notices(app))


async def test_copy_puts_the_output_on_the_clipboard(gpt, tmp_path):
    app = make_app(gpt, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        await pilot.press("f5")
        assert any("Nothing to copy" in n for n in notices(app))
        app.query_one("#story-text").load_text("ROMEO: ")
        await generate(app, pilot)
        await pilot.press("f5")
        assert app.clipboard == app.sessions["story"].document() != ""


async def test_save_and_reopen_a_session(gpt, tmp_path):
    path = tmp_path / "my session.json"
    app = make_app(gpt, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#story-text").load_text("ROMEO: ")
        app.query_one("#note-memory").load_text("Romeo loves Juliet.")
        await set_controls(app, pilot, seed=9, max_tokens=15)
        await generate(app, pilot)
        await pilot.press("alt+5")
        app.query_one("#chat-message").value = '/system Speak briefly.'
        app.query_one("#chat-message").focus()
        await pilot.press("enter")
        app.query_one("#chat-message").value = "Good morrow"
        await set_controls(app, pilot, max_tokens=10)
        await generate(app, pilot, "enter")
        await pilot.press("ctrl+s")
        app.screen.query_one("#path").value = str(path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: path.exists(), what="the session file")
        story_text = app.sessions["story"].document()
        messages = app.sessions["chat"].messages

    reopened = make_app(gpt, tmp_path, session_file=path)
    async with reopened.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: reopened.session_path is not None, what="the session")
        await pilot.pause()
        assert reopened.mode == "chat"
        assert reopened.sessions["chat"].messages == messages
        assert reopened.panel("story").output.text == story_text
        assert reopened.query_one("#story-text").text == "ROMEO: "
        assert reopened.query_one("#note-memory").text == "Romeo loves Juliet."
        assert reopened.sessions["story"].params.seed == 9
        assert reopened.query_one("#note-system_prompt").text == "Speak briefly."
        await pilot.press("ctrl+b")       # undo the last exchange of the reopened chat
        assert reopened.sessions["chat"].messages == []


async def test_token_inspector_shows_what_top_k_ruled_out(gpt, tmp_path):
    app = make_app(gpt, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.query_one("#story-text").load_text("ROMEO: ")
        await set_controls(app, pilot, seed=2, max_tokens=12, top_k=2, temperature=1)
        await generate(app, pilot)
        tokens = app.sessions["story"].segments[-1].tokens
        assert len(tokens) == 12 and all(len(t.top) == 5 for t in tokens)
        for token in tokens:
            allowed = [alt for alt in token.top if alt.sampling_prob > 0]
            assert len(allowed) <= 2 and token.token_id in {a.token_id for a in allowed}
            assert math.isclose(sum(a.sampling_prob for a in allowed), 1, rel_tol=1e-4)
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, InspectorScreen) and len(screen.tokens) == 12
        await pilot.press("down", "down")
        detail = str(screen.query_one("#token-detail").render())
        assert "token 3 of 12" in detail and "alternative" in detail and "0.0%" in detail
        await pilot.press("escape")
        assert not isinstance(app.screen, InspectorScreen)


async def test_help_lists_every_key(gpt, tmp_path):
    app = make_app(gpt, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        from rich.console import Console

        console = Console(width=100, record=True)
        console.print(help_renderable())
        shown = console.export_text()
        for key in KEYS:
            assert key_name(key.keys) in shown and key.description in shown
        assert "/finetune PATH" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_works_at_80_by_24(gpt, tmp_path):
    """Every mode's inputs and output fit on an 80x24 screen."""
    app = make_app(gpt, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for key, mode in (("alt+1", "story"), ("alt+2", "twist"), ("alt+3", "dialogue"),
                          ("alt+4", "code"), ("alt+5", "chat")):
            await pilot.press(key)
            panel = app.panel(mode)
            for widget in [panel.output, *panel.query("Input, TextArea, Select")]:
                region = widget.region
                assert region.height > 0 and region.bottom <= 22, (mode, widget, region)
                assert region.right <= 80
        assert app.query_one("#status").region.y == 22
