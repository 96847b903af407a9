"""What all assistants share: token budgets, trimming, streaming, cancelling."""
from __future__ import annotations

import threading

import pytest

from textgen.assistants import (ChatAssistant, StoryAssistant, context_budget, trim_to_tokens)
from textgen.assistants.context import DEFAULT_RNN_CONTEXT_CAP
from textgen.core import SamplingParams, TextgenError
from assistant_models import loaded_models


@pytest.fixture(scope="module")
def models(trained_models):
    return loaded_models(trained_models)


def test_budget_is_context_minus_reply(models):
    gpt = models["gpt"]                       # context 64
    assert context_budget(gpt, 10) == 54
    assert context_budget(gpt, 500) == 32     # a reply longer than the context keeps half
    assert context_budget(models["char_rnn"], 10) == DEFAULT_RNN_CONTEXT_CAP
    assert context_budget(models["char_rnn"], 10, rnn_cap=300) == 300


@pytest.mark.parametrize("arch", ["char_rnn", "word_lstm"])
def test_trim_keeps_the_end_within_the_token_limit(models, shakespeare_text, arch):
    g = models[arch]
    text = shakespeare_text[:3000]
    kept, dropped = trim_to_tokens(g, text, 100)
    assert dropped + kept == text
    assert 80 <= g.count_tokens(kept) <= 100
    assert dropped[-1].isspace() or kept[0].isspace() or not dropped   # cut at a word boundary
    whole, nothing = trim_to_tokens(g, text[:50], 1000)
    assert (whole, nothing) == (text[:50], "")
    head, rest = trim_to_tokens(g, text, 40, keep="start")
    assert head + rest == text and g.count_tokens(head) <= 40


def test_prompt_is_the_included_parts(models):
    story = StoryAssistant(models["char_rnn"], memory="Aria is a mage.", genre="horror")
    context = story.build_context("The night was cold.\nShe waited.")
    assert context.prompt == "".join(p.text for p in context.included)
    assert context.prompt_tokens == models["char_rnn"].count_tokens(context.prompt)
    data = context.to_dict()
    assert [p["name"] for p in data["parts"]] == [p.name for p in context.parts]
    assert "memory" in context.render() and "prompt tokens" in context.render()


def test_stream_events_add_up_to_the_result(models):
    story = StoryAssistant(models["gpt"])
    stream = story.stream("ROMEO:", SamplingParams(max_tokens=25, seed=4))
    pieces = [e.text for e in stream]
    result = stream.result
    assert "".join(pieces) == result.raw_text == result.text
    assert result.stats.completion_tokens == 25 and result.stats.stop_reason == "length"
    assert result.context is stream.context


def test_cancel_from_another_thread_keeps_partial_text(models):
    chat = ChatAssistant(models["char_rnn"], SamplingParams(max_tokens=2000, seed=1,
                                                            temperature=1.0))
    stream = chat.send("Hello")
    seen = []
    for event in stream:
        seen.append(event.text)
        if len(seen) == 5:
            threading.Thread(target=stream.cancel).start()
    result = stream.result
    assert result.stats.stop_reason == "cancelled"
    assert 5 <= result.stats.completion_tokens < 2000
    assert result.raw_text == "".join(seen)
    assert result.extra["cancelled"]
    assert chat.messages[-1] == {"role": "assistant", "content": result.text}


def test_interrupt_while_iterating_settles_the_result(models):
    """A KeyboardInterrupt in the consumer still leaves a complete result."""
    chat = ChatAssistant(models["char_rnn"], SamplingParams(max_tokens=500, seed=2))
    stream = chat.send("Hello")
    with pytest.raises(KeyboardInterrupt):
        for i, _ in enumerate(stream):
            if i == 10:
                raise KeyboardInterrupt
    stream.close()
    result = stream.result
    assert result.stats.stop_reason == "cancelled"
    assert result.stats.completion_tokens == 11
    assert chat.messages[-1]["role"] == "assistant"
    assert list(stream) == []            # a settled stream yields nothing more


def test_close_before_iterating(models):
    stream = StoryAssistant(models["gpt"]).stream("KING:", SamplingParams(max_tokens=5))
    stream.close()
    assert stream.result.text == "" and stream.result.stats.stop_reason == "cancelled"


def test_scaffolding_fits_a_small_vocabulary(models):
    """Shakespeare's characters lack '[' and '"': cues adapt instead of failing."""
    story = StoryAssistant(models["char_rnn"], genre="fantasy", authors_note="Be grim.")
    with pytest.raises(TextgenError):
        models["char_rnn"].encode("[")
    assert story.fit("[Author's note: ") == "Author's note: "
    assert not story.represents('"') and story.represents("KING")
    context = story.build_context("The king slept.")
    models["char_rnn"].encode(context.prompt)    # encodes: no error


def test_chat_template_required_but_missing(models):
    chat = ChatAssistant(models["gpt"], use_chat_template=True)
    with pytest.raises(TextgenError, match="no chat template"):
        chat.send("hello")
    assert chat.messages == []


def test_assistants_import_without_ui_or_torch():
    import subprocess
    import sys

    code = ("import sys, textgen.assistants; "
            "print(' '.join(m for m in ('torch', 'typer', 'click', 'prompt_toolkit', 'textual', "
            "'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
