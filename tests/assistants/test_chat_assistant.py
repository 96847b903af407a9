"""Chat: transcript and chat-template prompts, stops, trimming, history, autosave."""
from __future__ import annotations

import json

import pytest

from assistant_models import (TRANSCRIPT_PAIRS, chat_template_checkpoint, load_cached,
                              loaded_models, transcript_checkpoint)
from textgen.assistants import ChatAssistant, PERSONALITIES, load_conversation
from textgen.core import SamplingParams, TextgenError


@pytest.fixture(scope="module")
def models(trained_models):
    return loaded_models(trained_models)


@pytest.fixture(scope="module")
def template_model():
    return load_cached(chat_template_checkpoint())


def test_plain_transcript_prompt(models):
    chat = ChatAssistant(models["char_rnn"], system_prompt="Be brief.",
                         messages=[{"role": "user", "content": "Hi"},
                                   {"role": "assistant", "content": "Hello."},
                                   {"role": "user", "content": "Who are you?"}])
    context = chat.build_context()
    assert context.prompt == ("Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Who are you?\n"
                              "Assistant:")
    assert [p.name for p in context.parts] == ["system", "history", "history", "history", "cue"]
    assert chat.stop_sequences() == ["\nUser:", "\nAssistant:"]


def test_reply_stops_at_the_next_user_turn():
    """A model that learnt the transcript format writes the next "User:" turn
    itself; the reply ends before it."""
    g = load_cached(transcript_checkpoint())
    chat = ChatAssistant(g, SamplingParams(max_tokens=60, temperature=0), system_prompt="")
    free = g.generate("User: ping\nAssistant:", SamplingParams(max_tokens=60, temperature=0))
    assert "\nUser:" in free.text                       # left alone, it goes on
    stream = chat.send("ping")
    live = "".join(e.text for e in stream)
    result = stream.result
    assert result.stats.stop_reason == "stop"
    assert "User" not in live and result.text == live.strip()
    assert result.text in {a for _, a in TRANSCRIPT_PAIRS}
    assert chat.messages == [{"role": "user", "content": "ping"},
                             {"role": "assistant", "content": result.text}]


def test_history_trimmed_oldest_first_system_kept(models):
    g = models["gpt"]                                   # context 64
    chat = ChatAssistant(g, SamplingParams(max_tokens=14), system_prompt="Be kind.")
    for i in range(6):
        chat.messages += [{"role": "user", "content": f"Say {'a' * i}"},
                          {"role": "assistant", "content": "No."}]
    chat.messages.append({"role": "user", "content": "Last one"})
    context = chat.build_context()
    assert context.prompt_tokens <= context.budget == 50
    assert context.prompt.startswith("Be kind.\n\nUser: ")
    assert context.prompt.endswith("User: Last one\nAssistant:")
    trimmed = context.parts_named("trimmed")
    kept = context.parts_named("history")
    assert trimmed and not any(p.included for p in trimmed)
    assert [p.text for p in trimmed] + [p.text for p in kept] == \
        [chat._turn_text(m) for m in chat.messages]     # oldest dropped, order kept
    assert kept[0].label == "user"                      # kept turns start with the user
    # keeping the last dropped exchange too would not have fitted
    assert trimmed[-2].label == "user"
    fewer_dropped = chat._render(chat.messages[len(trimmed) - 2:])
    assert g.count_tokens(fewer_dropped) > context.budget


def test_overlong_message_keeps_its_end(models):
    chat = ChatAssistant(models["gpt"], SamplingParams(max_tokens=14), system_prompt="")
    chat.messages.append({"role": "user", "content": "word " * 40 + "END"})
    context = chat.build_context()
    assert context.prompt_tokens <= context.budget
    assert context.prompt.endswith("END\nAssistant:")
    assert context.parts_named("trimmed")[0].reason.startswith("start of a message")


def test_chat_template_messages_stops_and_trimming(template_model):
    chat = ChatAssistant(template_model, SamplingParams(max_tokens=20, seed=1),
                         system_prompt="Be kind.")
    assert chat.uses_chat
    assert chat.stop_sequences() == ["<|im_end|>", "<|im_end|>\n<|im_start|>user"]
    for i in range(4):
        chat.send(f"Hello number {i}, how are you").finish()
    chat.messages.append({"role": "user", "content": "And now?"})
    context = chat.build_context()
    assert context.messages[0] == {"role": "system", "content": "Be kind."}
    assert context.messages[-1] == {"role": "user", "content": "And now?"}
    assert context.messages[1]["role"] == "user"
    assert context.prompt == template_model.apply_chat_template(context.messages)
    assert context.prompt.endswith("<|im_start|>assistant\n")
    assert context.prompt_tokens <= context.budget
    assert len(context.messages) < len(chat.messages) + 1     # some turns were dropped
    assert context.parts_named("template")[0].tokens > 0


def test_undo_retry_clear_and_personality(models):
    chat = ChatAssistant(models["char_rnn"], SamplingParams(max_tokens=15, seed=5))
    first = chat.send("Good morrow").finish().text
    again = chat.retry().finish().text
    assert again == first                              # same seed, same reply
    assert len(chat.messages) == 2
    chat.params = chat.params.replace(seed=6)
    assert chat.retry().finish().text != first
    chat.send("Farewell").finish()
    assert [m["content"] for m in chat.undo()][0] == "Farewell"
    assert len(chat.messages) == 2
    chat.set_personality("pirate")
    assert chat.system_prompt == PERSONALITIES["pirate"]
    with pytest.raises(TextgenError, match="unknown personality"):
        chat.set_personality("vampire")
    chat.clear()
    assert chat.messages == [] and chat.system_prompt == PERSONALITIES["pirate"]
    with pytest.raises(TextgenError, match="nothing to retry"):
        chat.retry()


def test_autosave_after_every_change_and_reload(models, tmp_path):
    path = tmp_path / "auto.jsonl"
    chat = ChatAssistant(models["char_rnn"], SamplingParams(max_tokens=10, seed=1),
                         system_prompt="Be brief.", autosave_path=path)
    stream = chat.send("Hello")
    # the user's message is on disk before the reply is written
    assert load_conversation(path) == ("Be brief.", [{"role": "user", "content": "Hello"}])
    reply = stream.finish().text
    system, messages = load_conversation(path)
    assert messages[-1] == {"role": "assistant", "content": reply}
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {"role": "system", "content": "Be brief."}
    chat.system_prompt = "Be long."
    assert load_conversation(path)[0] == "Be long."

    restored = ChatAssistant(models["char_rnn"])
    restored.load(path)
    assert restored.system_prompt == "Be long." and restored.messages == chat.messages
    saved = chat.save(tmp_path / "copy.jsonl")
    assert saved.read_text() == path.read_text()


def test_unencodable_message_is_not_kept(models):
    chat = ChatAssistant(models["char_rnn"])
    with pytest.raises(TextgenError, match="vocabulary"):
        chat.send("naïve ☃")
    assert chat.messages == []


def test_bad_conversation_files(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"role": "user", "content": "hi"}\nnot json\n')
    with pytest.raises(TextgenError, match=r"bad.jsonl:2"):
        load_conversation(bad)
    bad.write_text('{"role": "wizard", "content": "hi"}\n')
    with pytest.raises(TextgenError, match="role must be one of"):
        load_conversation(bad)
    with pytest.raises(TextgenError, match="no such conversation"):
        load_conversation(tmp_path / "missing.jsonl")
