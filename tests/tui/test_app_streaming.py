"""A fast model never freezes the screen: tokens reach it in batches, and the
event loop keeps ticking while thousands of tokens a second arrive."""
from __future__ import annotations

import time
from typing import Iterator, Sequence

import pytest
from test_app_helpers import anyio_backend, wait_for_run

from textgen.core.generator import Generator, ModelInfo, RawToken
from textgen.tui.app import TextgenApp
from textgen.tui.app_run import ActiveRun

pytestmark = pytest.mark.anyio
assert anyio_backend   # the fixture, imported to run the tests on asyncio

WORDS = ["the", "night", "was", "cold", "and", "the", "river", "ran", "on", ".", "\n\n"]
PARAGRAPH = 60      # tokens per paragraph, about as in prose


class InstantGenerator(Generator):
    """A word-level 'model' that costs nothing per token: the speed of a very
    fast backend, so only the app's own handling of the stream is measured."""

    def __init__(self):
        self.info = ModelInfo(path="instant", backend="test", architecture="instant",
                              vocab_size=len(WORDS), context_length=None)

    def encode(self, text: str) -> list[int]:
        return [0] * len(text.split())

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(w if w in (".", "\n\n") else " " + w for w in (WORDS[i] for i in ids))

    def _token_ids(self, prompt_ids, params, stream) -> Iterator[RawToken]:
        i = 0
        while not stream.cancelled:
            i += 1
            yield RawToken(10 if i % PARAGRAPH == 0 else 9 if i % 12 == 0 else i % 9, -1.0)


async def test_a_fast_model_streams_in_batches_without_freezing_the_screen(tmp_path):
    app = TextgenApp("instant", generator=InstantGenerator(), data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#story-text").load_text("Once")
        session = app.sessions["story"]
        session.params = session.params.replace(max_tokens=20_000, repetition_penalty=1.0)
        view = app.panel("story").output
        appends = []
        original = view.append

        async def counting_append(text):
            appends.append(len(text))
            await original(text)

        view.append = counting_append
        ticks = []
        timer = app.set_interval(0.01, lambda: ticks.append(time.perf_counter()))
        started = time.perf_counter()
        await pilot.press("ctrl+g")
        await wait_for_run(app, pilot)
        elapsed = time.perf_counter() - started
        timer.stop()
        segment = session.segments[-1]
        assert segment.stats["completion_tokens"] == 20_000
        assert view.text == segment.text
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        assert len(appends) < 20_000 / 20, len(appends)       # batched, not per token
        assert max(gaps) < 1.0, f"the event loop stalled for {max(gaps):.2f}s"
        print(f"20000 tokens in {elapsed:.1f}s, {len(appends)} batches, "
              f"longest stall {max(gaps) * 1000:.0f} ms")


def test_a_batch_of_events_becomes_one_append():
    """ActiveRun folds whatever piled up into one piece of text."""
    from textgen.assistants.base import AssistantEvent
    from textgen.core.generator import TokenEvent

    run = ActiveRun("story", "new", None)
    for i in range(5000):
        run.push(AssistantEvent("ab", token=TokenEvent("ab", i)))
    assert run.token_count == 5000 and run.first_token_at is not None
    text = run.apply(run.take())
    assert text == "ab" * 5000 and len(run.tokens) == 5000
    assert run.take() == []
