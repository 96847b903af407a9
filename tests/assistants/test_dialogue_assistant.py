"""Dialogue: one character's line, ending at the closing quote or the next speaker."""
from __future__ import annotations

import pytest

from assistant_models import chat_template_checkpoint, load_cached, loaded_models
from textgen.assistants import DialogueAssistant
from textgen.assistants.dialogue import cut_dialogue_line, guess_name
from textgen.core import SamplingParams, TextgenError


@pytest.fixture(scope="module")
def models(trained_models):
    return loaded_models(trained_models)


@pytest.mark.parametrize("raw, reason, expected", [
    ('I will not go." She turned away.', "length", ("I will not go.", True)),
    ("Come here, boy.\nJULIET: No!", "length", ("Come here, boy.", True)),
    ("Come here.\nLady Capulet: Stay.", "length", ("Come here.", True)),
    ("Away with you.\n\nThe scene ends.", "length", ("Away with you.", True)),
    ("Hold. I am the\nking and I", "length", ("Hold.", True)),           # cut at a sentence
    ("never ending words", "length", ("never ending words", False)),
    ("Go now", "stop", ("Go now", True)),
    ("It said: yes\nand more", "length", ("It said: yes and more", False)),  # not a speaker
])
def test_cut_dialogue_line(raw, reason, expected):
    assert cut_dialogue_line(raw, reason) == expected


def test_script_lines_ignore_quotes():
    assert cut_dialogue_line("I'll go, 'tis late.\n\nROMEO:", "stop", quoted=False) == \
        ("I'll go, 'tis late.", True)


def test_guess_name():
    assert guess_name("Gandalf, a wise old wizard") == "Gandalf"
    assert guess_name("Lady Macbeth - ambitious") == "Lady Macbeth"
    assert guess_name("a gruff dwarf") == "Character"


def test_script_format_for_a_model_without_double_quotes(models):
    dialogue = DialogueAssistant(models["char_rnn"])      # Shakespeare chars: no '"'
    assert not dialogue.quoted
    context = dialogue.build_context("Romeo, a young lover", "Juliet is at her window.")
    assert context.prompt == ("Characters: Romeo, a young lover.\n"
                              "Scene: Juliet is at her window.\n\nRomeo:\n")


def test_line_stops_at_a_blank_line(models):
    """A strong bias towards newline makes the model end its speech at once."""
    g = models["char_rnn"]
    newline = g.encode("\n")[0]
    dialogue = DialogueAssistant(g)
    params = SamplingParams(max_tokens=60, seed=1, logit_bias={newline: 3.0})
    stream = dialogue.stream("Romeo, a young lover", "Juliet calls him.", params=params)
    result = stream.finish()
    assert result.stats.stop_reason == "stop"
    assert "\n\n" not in result.raw_text and result.stats.completion_tokens < 60
    assert "\n" not in result.text
    assert result.extra == {"name": "Romeo", "clean": True}


def test_quoted_format_stops_at_the_closing_quote():
    g = load_cached(chat_template_checkpoint())          # byte-level BPE: can write '"'
    dialogue = DialogueAssistant(g, use_chat_template=False)
    assert dialogue.quoted
    quote = g.encode('"')
    assert len(quote) == 1
    params = SamplingParams(max_tokens=40, seed=3, logit_bias={quote[0]: 4.0})
    result = dialogue.run("Gandalf, a wizard", "The bridge shakes.", params=params)
    assert result.context.prompt.endswith('\nGandalf: "')
    assert result.stats.stop_reason == "stop"
    assert '"' not in result.raw_text and '"' not in result.text
    assert result.extra["clean"]


def test_chat_template_dialogue():
    g = load_cached(chat_template_checkpoint())
    dialogue = DialogueAssistant(g)
    stream = dialogue.stream("Gandalf, a wizard", "The bridge shakes.", params=SamplingParams(
        max_tokens=10, seed=0))
    system, user = stream.context.messages
    assert "Gandalf's next line" in system["content"]
    head, scene = user["content"].split("Situation: ")
    assert head == "Character: Gandalf, a wizard\n"
    assert scene and "The bridge shakes.".endswith(scene)   # trimmed to the tiny context
    assert stream.context.prompt_tokens <= stream.context.budget
    result = stream.finish()
    assert '"' not in result.text


def test_no_character_is_an_error(models):
    with pytest.raises(TextgenError, match="no character"):
        DialogueAssistant(models["char_rnn"]).stream("  ", "anywhere")
