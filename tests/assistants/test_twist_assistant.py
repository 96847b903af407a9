"""Plot twists: several seeded candidates, near-duplicates removed."""
from __future__ import annotations

import pytest

from assistant_models import chat_template_checkpoint, load_cached, loaded_models
from textgen.assistants import TwistAssistant
from textgen.assistants.similarity import is_near_duplicate, jaccard, word_ngrams
from textgen.assistants.twist import clean_suggestion
from textgen.core import SamplingParams

STORY = "The old king lay dying.\nHis sons quarrelled over the crown.\n"


@pytest.fixture(scope="module")
def models(trained_models):
    return loaded_models(trained_models)


def test_jaccard_on_word_bigrams():
    assert word_ngrams("The king, the KING!") == {("the", "king"), ("king", "the")}
    assert jaccard("the king is dead", "the king is dead") == 1.0
    assert jaccard("the king is dead", "a queen was born") == 0.0
    # 2 shared bigrams of 4 distinct -> 0.5
    assert jaccard("the king is dead", "the king is alive") == pytest.approx(2 / 4)
    assert jaccard("king", "King") == 1.0                      # short texts compare as words
    assert is_near_duplicate("the king is dead", ["the king is alive"], 0.5)
    assert not is_near_duplicate("the king is dead", ["the king is alive"], 0.6)


def test_clean_suggestion_ends_at_a_sentence():
    assert clean_suggestion("the queen  was\na spy. And then the", "length") == "The queen was a spy."
    assert clean_suggestion("the queen was a spy and", "stop") == "The queen was a spy and"
    assert clean_suggestion("no full stop here", "length") == "No full stop here"


def test_greedy_candidates_are_all_duplicates(models):
    twist = TwistAssistant(models["gpt"], count=3)
    result = twist.run(STORY, SamplingParams(max_tokens=20, temperature=0))
    assert len(result.candidates) == 1
    assert result.extra["attempts"] == 6                       # count * 2 tries
    assert result.extra["duplicates_removed"] + result.extra["empty"] == 5
    assert result.text == f"1. {result.candidates[0]}"


def test_sampled_candidates_are_distinct_and_reproducible(models):
    twist = TwistAssistant(models["char_rnn"], count=3, similarity_threshold=0.3)
    params = SamplingParams(max_tokens=40, temperature=1.0, seed=11)
    stream = twist.stream(STORY, params)
    ends = [e for e in stream if e.kind == "candidate_end"]
    result = stream.result
    assert len(result.candidates) == 3
    for i, a in enumerate(result.candidates):
        for b in result.candidates[i + 1:]:
            assert jaccard(a, b) < 0.3
    assert [e.candidate_text for e in ends if e.accepted] == result.candidates
    assert result.extra["seeds"] == [11 + i for i in range(len(ends))]
    assert twist.run(STORY, params).candidates == result.candidates
    assert result.stats.completion_tokens == sum(
        s.stats.completion_tokens for s in stream.token_streams)


def test_prompt_ends_with_the_twist_cue(models):
    twist = TwistAssistant(models["char_rnn"])
    context = twist.build_context(STORY)
    assert context.prompt == STORY.rstrip() + "\n\nThen, without warning, "
    assert [p.name for p in context.included] == ["history", "cue"]


def test_cancel_stops_further_candidates(models):
    twist = TwistAssistant(models["char_rnn"], count=5)
    stream = twist.stream(STORY, SamplingParams(max_tokens=400, temperature=1.0, seed=1))
    for i, event in enumerate(stream):
        if i == 3:
            stream.cancel()
    result = stream.result
    assert result.extra["attempts"] == 1
    assert result.stats.stop_reason == "cancelled"
    assert result.candidates == []          # an unfinished candidate is not offered


def test_chat_template_twist_messages():
    g = load_cached(chat_template_checkpoint())
    context = TwistAssistant(g).build_context(STORY, SamplingParams(max_tokens=10))
    system, user = context.messages
    assert system["role"] == "system" and "plot twist" in system["content"]
    assert user["content"].startswith("Story so far:\n")
    assert "over the crown.\n\nSuggest" in user["content"]     # the story's end is kept
    assert context.parts_named("trimmed")[0].text.startswith("The old king")
    assert user["content"].endswith("in one or two sentences.")
    assert context.prompt_tokens <= context.budget
