"""In-app fine-tuning: the command trains a copy in the background, switches to
it when done, and cancelling keeps the original model in use."""
from __future__ import annotations

import hashlib

import pytest
from test_app_helpers import (anyio_backend, notices, set_controls, tiny_gpt_path,
                              wait_for_model, wait_for_run, wait_until)

from textgen.assistants import StoryAssistant
from textgen.core import load
from textgen.tui.app import TextgenApp
from textgen.tui.app_finetune import FinetuneRequest, finetune_support, progress_values
from textgen.tui.screens.dialogs import FinetuneDialog
from textgen.tui.widgets.finetune_panel import FinetunePanel

pytestmark = pytest.mark.anyio
assert anyio_backend   # the fixture, imported to run the tests on asyncio
SIZE = (80, 24)


def folder_digest(path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.name.encode() + file.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def text_file(tmp_path, shakespeare_text):
    path = tmp_path / "my text.txt"
    path.write_text(shakespeare_text[40_000:43_000], encoding="utf-8")
    return path


async def test_finetune_runs_to_completion_and_the_new_model_answers(tmp_path, text_file):
    original = tiny_gpt_path()
    before = folder_digest(original)
    app = TextgenApp(original, data_dir=tmp_path / "home")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot, original)
        await pilot.press("alt+5")
        app.query_one("#chat-message").focus()
        await pilot.press(*f'/finetune "{text_file}" --max-steps 3', "enter")
        panel = app.query_one(FinetunePanel)
        await wait_until(pilot, lambda: app.finetune_job is None, timeout=240,
                         what="the fine-tune to finish")
        await wait_until(pilot, lambda: app.model_path != str(original), what="the switch")
        await wait_for_model(app, pilot, app.model_path)
        new_path = app.model_path
        assert new_path.startswith(str(tmp_path / "home" / "finetuned"))
        assert not panel.has_class("-active")
        assert 1 <= len(panel.losses) <= 3 and all(loss > 0 for loss in panel.losses)
        assert "step 3/3" in str(panel.query_one("#finetune-label").render())
        # the fine-tuned model answers
        await pilot.press("alt+1")
        app.query_one("#story-text").load_text("ROMEO: ")
        await set_controls(app, pilot, seed=1, max_tokens=40)
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        params = StoryAssistant.default_params().replace(seed=1, max_tokens=40)
        expected = StoryAssistant(load(new_path), params).run("ROMEO: ")
        assert app.panel("story").output.text == expected.text and expected.text
    assert folder_digest(original) == before        # the original was only read


async def test_cancel_keeps_the_original_model(tmp_path, text_file):
    original = tiny_gpt_path()
    app = TextgenApp(original, data_dir=tmp_path / "home")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot, original)
        await pilot.press("ctrl+p", *"Fine-tune")        # the palette entry opens the dialog
        await wait_until(pilot, lambda: app.screen.query("CommandList"), what="the palette")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FinetuneDialog),
                         what="the fine-tune dialog")
        app.screen.query_one("#ft-path").value = str(text_file)
        app.screen.query_one("#ft-epochs").value = "500"
        await pilot.click("#ok")
        job = app.finetune_job
        assert job is not None and job.request.epochs == 500
        panel = app.query_one(FinetunePanel)
        await wait_until(pilot, lambda: bool(getattr(panel, "losses", None)), timeout=120,
                         what="the first progress report")
        await pilot.click("#finetune-cancel")
        await wait_until(pilot, lambda: app.finetune_job is None, timeout=120,
                         what="the cancelled fine-tune to end")
        await pilot.pause()
        assert job.cancelled
        assert app.model_path == str(original)
        assert not job.out_dir.exists()
        assert any("cancelled" in n for n in notices(app))
        assert not panel.has_class("-active")


def test_a_foreign_gguf_cannot_be_finetuned():
    """A llama.cpp file that textgen did not export is refused with a reason."""
    from types import SimpleNamespace

    from textgen.core.errors import TextgenError
    from textgen.core.generator import ModelInfo

    foreign = SimpleNamespace(info=ModelInfo(path="llama-7b.Q4_0.gguf", backend="gguf",
                                             architecture="llama"),
                              header={"general.architecture": "llama"})
    with pytest.raises(TextgenError, match="not exported by textgen"):
        finetune_support(foreign)
    hf = SimpleNamespace(info=ModelInfo(path="gpt2", backend="hf", architecture="gpt2"))
    assert finetune_support(hf)[0] is True          # LoRA required


async def test_finetune_command_reports_bad_arguments(tmp_path):
    original = tiny_gpt_path()
    app = TextgenApp(original, generator=load(original), data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot)
        app.run_slash("/finetune missing.txt --epochs 2")
        app.run_slash("/finetune --epochs x")
        await pilot.pause()
        messages = notices(app)
        assert any("missing.txt: no such text file" in m for m in messages)
        assert any("--epochs needs a whole number" in m for m in messages)
        assert app.finetune_job is None


def test_progress_values_accept_any_report_shape():
    from types import SimpleNamespace

    assert progress_values(step=2, total=9, loss=1.5) == {"step": 2, "total": 9, "loss": 1.5}
    assert progress_values(3, 10, 0.5) == {"step": 3, "total": 10, "loss": 0.5}
    report = SimpleNamespace(step=4, total_steps=8, train_loss=0.25)
    assert progress_values(report) == {"step": 4, "total": 8, "loss": 0.25}


def test_finetune_request_parsing(tmp_path):
    data = tmp_path / "a b.txt"
    data.write_text("hello")
    request = FinetuneRequest.parse(f'"{data}" --epochs 3 --lora --max-steps 7')
    assert (request.data_path, request.epochs, request.lora, request.max_steps) == \
        (data, 3, True, 7)


async def test_a_gguf_export_is_fine_tuned_and_comes_back_as_gguf(tmp_path, text_file):
    from textgen.core.checkpoint import load_checkpoint
    from textgen.core.export.gguf_export import export_gguf

    source = export_gguf(load_checkpoint(tiny_gpt_path()), tmp_path / "tiny.gguf", "q8_0").path
    before = source.read_bytes()
    app = TextgenApp(source, data_dir=tmp_path / "home")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_model(app, pilot, source)
        assert app.generator.info.backend == "gguf"
        app.run_slash(f'/finetune "{text_file}" --max-steps 2')
        await wait_until(pilot, lambda: app.finetune_job is None, timeout=240,
                         what="the fine-tune to finish")
        await wait_until(pilot, lambda: app.model_path != str(source) and not app.loading,
                         what="the switch")
        assert app.model_path.endswith("tiny.gguf") and app.model_path != str(source)
        info = app.generator.info
        assert (info.backend, info.quantization) == ("gguf", "q8_0")
    assert source.read_bytes() == before
