"""Story continuation: genre control, memory, author's note, world info, trimming."""
from __future__ import annotations

import re

import pytest

from assistant_models import (CONTROL_CODES, chat_template_checkpoint, control_code_checkpoint,
                              load_cached, loaded_models)
from textgen.assistants import StoryAssistant, WorldInfoEntry, load_world_info
from textgen.assistants.genres import GENRE_WORDS, normalize_genre, steering_bias
from textgen.core import SamplingParams, TextgenError

STORY = ("The king rode out at dawn.\nHis knights were weary.\nThe queen watched from the wall.\n"
         "A storm gathered in the west.\nThen the bells rang.\n")


@pytest.fixture(scope="module")
def models(trained_models):
    return loaded_models(trained_models)


def names(context):
    return [p.name for p in context.included]


def test_parts_in_order_with_memory_note_and_world_info(models):
    story = StoryAssistant(
        models["char_rnn"], genre="horror", memory="The queen is a ghost.",
        authors_note="Write slowly.", authors_note_depth=2,
        world_info=[WorldInfoEntry(["storm", "tempest"], "Storms here are cursed.", "storms"),
                    WorldInfoEntry(["dragon"], "The dragon sleeps.")])
    context = story.build_context(STORY)
    assert names(context) == ["genre", "memory", "world_info", "history", "authors_note",
                              "history"]
    prompt = context.prompt
    assert prompt.startswith("A horror story")          # genre cue, brackets left out
    assert prompt.index("The queen is a ghost.") < prompt.index("The king rode out")
    # the note sits exactly two lines before the end
    assert prompt.endswith("Author's note: Write slowly.\nA storm gathered in the west.\n"
                           "Then the bells rang.\n")
    fired = context.parts_named("world_info")
    assert [p.label for p in fired] == ["storms"]
    assert fired[0].reason == "keyword 'storm' in recent text"
    assert "dragon" not in prompt
    assert sum(p.tokens for p in context.included) == context.prompt_tokens  # char-level: exact


def test_world_info_only_scans_recent_text(models):
    entry = WorldInfoEntry(["king"], "The king is old.")
    story = StoryAssistant(models["char_rnn"], world_info=[entry], world_info_scan_chars=60)
    assert not story.build_context(STORY).parts_named("world_info")   # "king" is in line 1 only
    story.world_info_scan_chars = 1000
    assert story.build_context(STORY).parts_named("world_info")
    # keywords match whole words, any case
    assert entry.matching_key("The KING spoke") == "king"
    assert entry.matching_key("the kingdom fell") is None


def test_trimming_keeps_memory_note_and_world_info(models):
    g = models["gpt"]                                      # context 64
    story = StoryAssistant(g, memory="Aria.", authors_note="Grim.",
                           world_info=[WorldInfoEntry(["bells"], "Bells toll."),
                                       WorldInfoEntry(["storm"], "Storms are long. " * 3)])
    params = SamplingParams(max_tokens=10)
    context = story.build_context(STORY * 3, params)
    assert context.budget == 54
    assert context.prompt_tokens <= context.budget
    assert names(context)[:2] == ["memory", "world_info"]
    assert "authors_note" in names(context)
    too_big = context.parts_named("world_info")[1]          # fired, but left out: no room
    assert not too_big.included and "no room" in too_big.reason
    trimmed = context.parts_named("trimmed")
    assert len(trimmed) == 1 and not trimmed[0].included
    kept = "".join(p.text for p in context.included if p.name == "history")
    assert (trimmed[0].text + kept) == STORY * 3            # oldest text dropped, order kept
    assert trimmed[0].tokens > 0 and "tokens of story fit" in trimmed[0].reason


def test_fixed_parts_too_big_is_a_clear_error(models):
    story = StoryAssistant(models["gpt"], memory="Aria rules the land. " * 5)
    with pytest.raises(TextgenError, match="memory"):
        story.build_context(STORY, SamplingParams(max_tokens=10))


def test_genre_cue_dropped_first_when_space_is_short(models):
    story = StoryAssistant(models["gpt"], genre="fantasy", memory="Aria rules.")
    context = story.build_context(STORY, SamplingParams(max_tokens=10))
    cue = context.parts_named("genre")[0]
    assert not cue.included and "no room" in cue.reason
    assert context.prompt_tokens <= context.budget


def test_control_code_used_when_the_model_has_one():
    g = load_cached(control_code_checkpoint())
    assert g.info.control_codes == CONTROL_CODES
    story = StoryAssistant(g, genre="scifi", steering=5.0)
    context = story.build_context("The ship fell.")
    assert context.prompt.startswith("<|sci-fi|>The ship fell.")
    assert context.parts[0].tokens == 1                      # one special token
    assert story.steering_bias() == {}                       # codes replace lexical steering
    assert StoryAssistant(g, genre="romance").control_code is None


def test_steering_biases_single_token_genre_words(models):
    g = models["word_lstm"]
    bias = steering_bias(g, "horror", 3.0)
    assert bias and set(bias.values()) == {3.0}
    words = {g.decode([i]).strip().lower() for i in bias}
    assert words <= set(GENRE_WORDS["horror"])
    assert steering_bias(models["char_rnn"], "horror", 3.0) == {}   # no whole words in chars


def test_steering_makes_genre_words_more_frequent(models):
    g = models["word_lstm"]
    genre_words = set(GENRE_WORDS["romance"])

    def share(strength: float) -> float:
        story = StoryAssistant(g, genre="romance", steering=strength)
        words = []
        for seed in range(3):
            text = story.run("ROMEO:", SamplingParams(max_tokens=60, seed=seed)).text
            words += re.findall(r"[a-z]+", text.lower())
        return sum(w in genre_words for w in words) / max(1, len(words))

    plain, steered = share(0.0), share(4.0)
    assert steered > plain + 0.05
    result = StoryAssistant(g, genre="romance", steering=4.0).run("ROMEO:",
                                                                  SamplingParams(max_tokens=5))
    assert result.extra["steering_tokens"] > 0


def test_genre_names():
    assert normalize_genre("Sci Fi") == "sci-fi" and normalize_genre(None) == "general"
    with pytest.raises(TextgenError, match="choose one of"):
        normalize_genre("elvish")


def test_world_info_file_json_and_yaml(tmp_path):
    (tmp_path / "w.json").write_text('[{"keys": ["Aria"], "content": "Aria is a mage."}]')
    (tmp_path / "w.yaml").write_text("Castle:\n  keys: castle, keep\n  content: A grim keep.\n")
    assert load_world_info(tmp_path / "w.json")[0].keys == ["Aria"]
    entry = load_world_info(tmp_path / "w.yaml")[0]
    assert (entry.name, entry.keys, entry.content) == ("Castle", ["castle", "keep"], "A grim keep.")
    (tmp_path / "bad.json").write_text('[{"keys": ["x"]}]')
    with pytest.raises(TextgenError, match="content"):
        load_world_info(tmp_path / "bad.json")
    with pytest.raises(TextgenError, match="not valid JSON"):
        (tmp_path / "broken.json").write_text("[{")
        load_world_info(tmp_path / "broken.json")


def test_chat_template_story_uses_messages():
    g = load_cached(chat_template_checkpoint())
    story = StoryAssistant(g, memory="Aria is a mage.", authors_note="Be brief.",
                           authors_note_depth=1)
    params = SamplingParams(max_tokens=8, seed=0)
    stream = story.stream("The tower fell.\nAria ran.", params)
    context = stream.context
    system, user = context.messages
    assert system["role"] == "system" and "Aria is a mage." in system["content"]
    assert user == {"role": "user",
                    "content": "The tower fell.\n[Author's note: Be brief.]\nAria ran."}
    assert context.prompt == g.apply_chat_template(context.messages)
    assert context.parts_named("template")[0].tokens > 0
    assert stream.finish().stats.completion_tokens <= 8
