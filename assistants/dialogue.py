"""Dialogue: a character and a situation in, that character's next line out.

A base model gets a small script and an opened quote to fill:

    Characters: Gandalf, a wise old wizard.
    Scene: the hobbits are lost in the mines.

    Gandalf: "

Generation stops at the closing quote, at a blank line, or as soon as a new
speaker label ("NAME:") starts a line; the result is the spoken line alone.
"""
from __future__ import annotations

import re

from textgen.assistants.base import Assistant, AssistantStream
from textgen.assistants.context import PromptContext, trim_to_tokens
from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams

# A line that starts with a speaker label: "ROMEO:", "Lady Capulet:", "Guard 2:"
_SPEAKER = re.compile(r"\n[ \t]*[A-Z][\w .'-]{0,30}:(?=\s|$)")
_CLOSING_QUOTES = ('"', "”")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(?=\s|$)")


def guess_name(character: str) -> str:
    """The name a description starts with ("Gandalf, a wizard" -> "Gandalf"),
    else "Character"."""
    head = re.split(r",| - | – | — | is | the | who ", character.strip(), maxsplit=1)[0].strip()
    words = head.split()
    if 0 < len(words) <= 3 and all(w[:1].isupper() for w in words):
        return head
    return "Character"


def cut_dialogue_line(text: str, stop_reason: str, quoted: bool = True) -> tuple[str, bool]:
    """(the spoken line, whether it ended cleanly).

    The line ends at the first closing quote (when ``quoted``), blank line or
    next speaker label; a line cut off by the token limit is trimmed to its
    last full sentence.
    """
    clean = False
    for quote in _CLOSING_QUOTES if quoted else ():
        i = text.find(quote)
        if i >= 0:
            text, clean = text[:i], True
    speaker = _SPEAKER.search(text)
    if speaker:
        text, clean = text[:speaker.start()], True
    if "\n\n" in text:
        text, clean = text.split("\n\n", 1)[0], True
    if stop_reason in ("stop", "eos"):
        clean = True
    line = " ".join(text.split())
    if not clean:
        ends = list(_SENTENCE_END.finditer(line))
        if ends:
            line, clean = line[:ends[-1].end()], True
    return line, clean


class DialogueAssistant(Assistant):
    mode = "dialogue"

    @classmethod
    def default_params(cls) -> SamplingParams:
        return SamplingParams(max_tokens=80, temperature=0.8, top_p=0.95)

    @property
    def quoted(self) -> bool:
        """Whether lines are written in double quotes (the model can write '"')."""
        return self.represents('"')

    def build_context(self, character: str, situation: str, name: str | None = None,
                      params: SamplingParams | None = None) -> PromptContext:
        if not character.strip():
            raise TextgenError("no character: describe who speaks (e.g. --character "
                               "\"Gandalf, a wise old wizard\")")
        params = self.resolve_params(params)
        name = name or guess_name(character)
        parts = self.parts()
        budget = self.budget(params)
        if self.uses_chat:
            system = (f"You write dialogue. Answer with only {name}'s next line of speech, "
                      "in double quotes, with no narration.")
            character_text = f"Character: {character.strip()}\n"
            parts.add("system", system, role="system")
            parts.add("memory", character_text, role="user", label="character")
            room = budget - parts.tokens() - parts.count("Situation: ") - self.template_overhead()
            scene, dropped = trim_to_tokens(self.generator, situation.strip(), room)
            if dropped:
                parts.add("trimmed", dropped, included=False, reason="start of a long situation")
            parts.add("request", f"Situation: {scene}", role="user")
            messages = [{"role": "system", "content": system},
                        {"role": "user", "content": character_text + f"Situation: {scene}"}]
            return self.assemble(parts, params, messages)
        who = character.strip() if character.strip().startswith(name) else f"{name}, {character.strip()}"
        parts.add("memory", self.fit("Characters: ") + who.rstrip(".") + ".\n", label="character")
        # quoted speech when the model can write a double quote, else a play script
        cue = f'\n{name}: "' if self.quoted else f"\n{name}:\n"
        room = budget - parts.tokens() - parts.count(cue) - parts.count("Scene: \n")
        scene, dropped = trim_to_tokens(self.generator, situation.strip(), room)
        if dropped:
            parts.add("trimmed", dropped, included=False, reason="start of a long situation")
        if scene:
            parts.add("request", self.fit("Scene: ") + scene + "\n", label="situation")
        parts.add("cue", cue, reason="the speaker's opened quote" if self.quoted
                  else "the speaker's label, script style")
        return self.assemble(parts, params)

    def stream(self, character: str, situation: str, name: str | None = None,
               params: SamplingParams | None = None) -> AssistantStream:
        """The character's line; ``result.text`` is the line without quotes,
        ``result.extra`` has the speaker's ``name`` and whether it ended ``clean``."""
        chat = self.uses_chat
        quoted = chat or self.quoted
        params = self.resolve_params(params, [] if chat else (['"', "\n\n"] if quoted
                                                              else ["\n\n"]))
        name = name or guess_name(character)
        context = self.build_context(character, situation, name, params)

        def postprocess(raw: str, stats) -> tuple[str, dict]:
            text = raw
            if chat:   # the model may open its own quotes or name the speaker
                text = re.sub(r"^\s*(?:" + re.escape(name) + r"\s*:\s*)?[\"“]?", "", text)
            line, clean = cut_dialogue_line(text, stats.stop_reason, quoted)
            return line, {"name": name, "clean": clean}

        def next_speaker(text: str) -> bool:
            return _SPEAKER.search(text) is not None

        return self.single_stream(context, params, postprocess, should_stop=next_speaker)
