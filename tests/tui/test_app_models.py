"""Models in the app: loading in a worker, switching, the picker, bad paths."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from test_app_helpers import (anyio_backend, notices, set_controls, tiny_gpt_path,
                              wait_for_model, wait_for_run, wait_until)

from textgen.assistants import StoryAssistant
from textgen.core import load
from textgen.tui.app import TextgenApp
from textgen.tui.app_finetune import finetune_support
from textgen.tui.screens.model_picker import ModelPickerScreen

pytestmark = pytest.mark.anyio
assert anyio_backend   # the fixture, imported to run the tests on asyncio
SIZE = (80, 24)


async def test_switch_models_from_the_picker(tmp_path):
    first, second = tiny_gpt_path(), tiny_gpt_path("other_gpt", seed=1)
    app = TextgenApp(first, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot, first)
        assert app.status.model.startswith("gpt ")
        await pilot.press("f2")
        assert isinstance(app.screen, ModelPickerScreen)
        app.screen.query_one("#model-path").value = str(second)
        app.screen.query_one("#model-path").focus()
        await pilot.press("enter")
        await wait_for_model(app, pilot, second)
        assert app.generator.info.path == str(second)
        assert app.status.model.startswith("other_gpt")
        app.query_one("#story-text").load_text("ROMEO: ")
        await set_controls(app, pilot, seed=6, max_tokens=30)
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        params = StoryAssistant.default_params().replace(seed=6, max_tokens=30)
        assert app.panel().output.text == StoryAssistant(load(second), params).run("ROMEO: ").text
        # both are now recent, newest first
        assert [e["path"] for e in app.recent.entries[:2]] == [str(second), str(first)]


async def test_a_bad_model_path_shows_an_error_and_the_app_keeps_running(tmp_path):
    app = TextgenApp(tmp_path / "no-such-model", data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any("Could not load" in n for n in notices(app)),
                         what="the error notice")
        assert any("no such file or folder" in n for n in notices(app))
        assert app.generator is None and app.is_running
        assert "no model" in app.status.state
        await pilot.press("ctrl+g")          # nothing to run with: a notice, no crash
        assert any("no model loaded" in n for n in notices(app))
        good = tiny_gpt_path()
        app.run_slash(f"/model {good}")
        await wait_for_model(app, pilot, good)
        (tmp_path / "junk.gguf").write_bytes(b"not a gguf")
        app.load_model(str(tmp_path / "junk.gguf"))
        await wait_until(pilot, lambda: sum("Could not load" in n for n in notices(app)) == 2,
                         what="the second error")
        assert app.model_path == str(good) and app.generator is not None
        assert app.status.state == "ready"


async def test_a_gguf_export_loads_and_shows_its_facts(tmp_path):
    from textgen.core.checkpoint import load_checkpoint
    from textgen.core.export.gguf_export import export_gguf
    from textgen.tui.app_models import describe_path, facts_line

    gguf = export_gguf(load_checkpoint(tiny_gpt_path()), tmp_path / "tiny.gguf", "q8_0").path
    app = TextgenApp(gguf, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot, gguf)
        assert "q8_0" in app.status.model and "ctx 128" in app.status.model
        assert finetune_support(app.generator)[0] is False   # ours: trainable as is
        app.query_one("#story-text").load_text("ROMEO: ")
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        assert app.last_run.token_count > 0
    facts = describe_path(gguf)
    assert facts["quantization"] == "q8_0" and facts["context_length"] == 128
    assert "q8_0" in facts_line(facts) and "context 128" in facts_line(facts)


async def test_picker_offers_the_default_and_recent_models(tmp_path, monkeypatch):
    default, other = tiny_gpt_path(), tiny_gpt_path("other_gpt", seed=1)
    monkeypatch.setenv("TEXTGEN_MODEL", str(default))
    app = TextgenApp(data_dir=tmp_path)          # no --model: the default is loaded
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot, default)
        app.load_model(str(other))
        await wait_for_model(app, pilot, other)
        await pilot.press("f2")
        picker = app.screen
        labels = [e["label"] for e in picker.entries]
        assert labels == ["current", "default"]     # the recent first model is the default
        facts = str(picker.query_one("#model-facts").render())
        assert "gpt" in facts and "context 128" in facts and "params" in facts
        await pilot.press("down", "enter")          # choose the default
        await wait_for_model(app, pilot, default)


def test_first_screen_paints_before_any_model_library_is_imported(tmp_path):
    """The model loads in a worker; the first paint never waits for torch."""
    script = textwrap.dedent(f"""
        import asyncio, sys, threading
        from textgen.tui.app import TextgenApp
        from textgen.core import load

        release = threading.Event()
        def slow_loader(path):
            release.wait(30)
            return load(path)

        async def main():
            app = TextgenApp({str(tiny_gpt_path())!r}, loader=slow_loader,
                             data_dir={str(tmp_path)!r})
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                assert app.query_one("#story-text").region.height > 0
                heavy = [m for m in ("torch", "transformers", "llama_cpp") if m in sys.modules]
                assert not heavy, heavy
                assert app.status.state.startswith("loading"), app.status.state
                release.set()
                while app.generator is None:
                    await asyncio.sleep(0.05)
                assert "torch" in sys.modules
            print("painted first")
        asyncio.run(main())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "painted first" in result.stdout
