"""Shared helpers of the app's Pilot tests (no tests here)."""
from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import pytest

TIMEOUT = 60.0


async def wait_until(pilot, condition, timeout: float = TIMEOUT, what: str = "condition"):
    """Let the app run until ``condition()`` holds.

    Sleeps rather than ``pilot.pause()``: a pause waits for every widget on
    screen to answer, and one removed meanwhile (the output view rebuilds its
    Markdown when a run starts and ends) would never answer."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_model(app, pilot, path=None):
    def ready():
        return app.generator is not None and (path is None or app.model_path == str(path))
    await wait_until(pilot, ready, what=f"model {path or ''} to load")
    await pilot.pause()


async def wait_for_run(app, pilot, previous=None):
    """Wait for a run (other than ``previous``) to end and its output to be drawn."""
    from textgen.tui.widgets.output_view import OutputView

    await wait_until(pilot, lambda: app.active_run is None and app.last_run is not None
                     and app.last_run is not previous, what="the run to end")
    await wait_until(pilot, lambda: all(v.idle for v in app.query(OutputView)),
                     what="the output to be drawn")
    await pilot.pause()


async def set_controls(app, pilot, **values):
    """Type values into the controls panel, as a user would."""
    for name, value in values.items():
        app.controls.field(name).value = str(value)
    await pilot.pause()


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


@lru_cache(maxsize=None)
def tiny_gpt_path(name: str = "gpt", seed: int = 0) -> Path:
    """A tiny character-level GPT on Shakespeare, trained once per session
    (seconds); ``name``/``seed`` give a second, different model."""
    import torch

    from conftest import SHAKESPEARE, make_tokenizer, train_steps
    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.models import build_model

    if not SHAKESPEARE.is_file():
        pytest.skip(f"{SHAKESPEARE} is absent")
    text = SHAKESPEARE.read_text(encoding="utf-8")[:30_000]
    torch.manual_seed(seed)
    tokenizer = make_tokenizer("gpt", text)
    model = build_model("gpt", {"context_length": 128, "n_layer": 1, "n_head": 2, "n_embd": 32,
                                "vocab_size": tokenizer.vocab_size})
    train_steps(model, tokenizer.encode(text), steps=30, seed=seed)
    root = Path(tempfile.mkdtemp(prefix="textgen-app-tests-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return save_checkpoint(root / name, model, tokenizer, "gpt", {"steps": 30})


@pytest.fixture
def anyio_backend():
    """The app runs on asyncio (import this fixture into a test module)."""
    return "asyncio"
