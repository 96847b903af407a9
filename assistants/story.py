"""Story continuation, with the long-form aids of KoboldCpp / NovelAI users.

The context is assembled top to bottom as:

    genre        control code (a model trained with them) or a one-line cue
    memory       notes always kept at the top
    world_info   entries whose keyword appears in the recent story text
    history      the story, trimmed from the start to fit the budget
    authors_note "[Author's note: ...]", ``authors_note_depth`` lines before the end
    history      the last lines of the story

Memory, author's note and fired world info survive trimming; only the oldest
story text is dropped (shown as a "trimmed" part). For a model with a chat
template the same pieces go into a system message and a user message.
"""
from __future__ import annotations

from typing import Iterable

from textgen.assistants.base import Assistant, AssistantStream
from textgen.assistants.context import ContextParts, PromptContext, trim_to_tokens
from textgen.assistants.genres import (GENRE_CUES, control_code_for, normalize_genre,
                                       steering_bias)
from textgen.assistants.world_info import WorldInfoEntry
from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams

DEFAULT_STEERING = 1.0


class StoryAssistant(Assistant):
    """Continue a story in a genre.

    ``steering``: logit bias added to the genre's words when the model has no
    control code for the genre (0 turns it off; ignored with a control code).
    ``world_info_scan_chars``: how much of the end of the story is searched
    for world-info keywords.
    """

    mode = "story"
    live_text_is_final = True

    def __init__(self, generator, params: SamplingParams | None = None, *,
                 genre: str = "general", memory: str = "", authors_note: str = "",
                 world_info: Iterable[WorldInfoEntry] = (), steering: float = DEFAULT_STEERING,
                 authors_note_depth: int = 3, world_info_scan_chars: int = 1000, **options):
        super().__init__(generator, params, **options)
        self.genre = normalize_genre(genre)
        self.memory = memory
        self.authors_note = authors_note
        self.world_info = list(world_info)
        self.steering = steering
        self.authors_note_depth = authors_note_depth
        self.world_info_scan_chars = world_info_scan_chars

    @classmethod
    def default_params(cls) -> SamplingParams:
        return SamplingParams(max_tokens=200, temperature=0.8, top_p=0.95, repetition_penalty=1.05)

    # --- genre ----------------------------------------------------------------
    @property
    def control_code(self) -> str | None:
        return control_code_for(self.genre, list(self.generator.info.control_codes or []))

    def steering_bias(self) -> dict[int, float]:
        """The genre logit bias this assistant adds (empty with a control code)."""
        if self.control_code or self.genre == "general":
            return {}
        return steering_bias(self.generator, self.genre, self.steering)

    # --- context --------------------------------------------------------------
    def build_context(self, story: str, params: SamplingParams | None = None) -> PromptContext:
        params = self.resolve_params(params)
        chat = self.uses_chat
        parts = self.parts()
        role = "system" if chat else None
        if chat:
            cue = GENRE_CUES[self.genre]
            parts.add("system", "You are a fiction writer. Continue the user's story in the same "
                      "voice, without commentary." + (f" Genre: {self.genre}. {cue}" if cue else "")
                      + "\n", role=role)
        elif self.control_code:
            parts.add("genre", self.control_code, reason="the model's control code")
        elif GENRE_CUES[self.genre]:
            parts.add("genre", self.fit(f"[{GENRE_CUES[self.genre]}]\n"), reason="genre cue")
        if self.memory.strip():
            parts.add("memory", self.memory.strip() + "\n", role=role)
        note = (self.fit("[Author's note: ") + self.authors_note.strip() + self.fit("]\n")
                if self.authors_note.strip() else "")
        note_tokens = parts.count(note)
        budget = self.budget(params)
        overhead = self.template_overhead() if chat else 0
        fixed = parts.tokens() + note_tokens + overhead
        cue = next((q for q in parts.parts if q.name == "genre" and q.reason == "genre cue"), None)
        if fixed >= budget and cue is not None:   # the cue is a hint; memory and note are not
            cue.included, cue.reason = False, "genre cue; no room in the context"
            fixed -= cue.tokens
        if fixed >= budget:
            raise TextgenError(
                f"the fixed parts of the context (instructions, memory, author's note) take "
                f"{fixed} tokens but the model's context leaves {budget} for the prompt; shorten "
                "the memory or author's note, or lower --max-tokens")
        self._add_world_info(parts, story, budget - fixed - min(32, (budget - fixed) // 2), role)
        room = budget - parts.tokens() - note_tokens - overhead
        kept, dropped = trim_to_tokens(self.generator, story, room)
        if dropped:
            parts.add("trimmed", dropped, included=False,
                      reason=f"oldest story text; {room} tokens of story fit")
        self._add_history(parts, kept, note, "user" if chat else None)
        messages = self._messages(parts) if chat else None
        return self.assemble(parts, params, messages)

    def _add_world_info(self, parts: ContextParts, story: str, room: int, role) -> None:
        recent = story[-self.world_info_scan_chars:] if self.world_info_scan_chars else story
        for entry in self.world_info:
            key = entry.matching_key(recent)
            if key is None:
                continue
            text = entry.content.strip() + "\n"
            tokens = parts.count(text)
            fits = tokens <= room
            room -= tokens if fits else 0
            parts.add("world_info", text, included=fits, role=role, label=entry.name,
                      tokens=tokens, reason=f"keyword {key!r} in recent text"
                      + ("" if fits else "; no room left in the context"))

    def _add_history(self, parts: ContextParts, kept: str, note: str, role) -> None:
        lines = kept.splitlines(keepends=True)
        depth = max(0, self.authors_note_depth)
        split = max(0, len(lines) - depth)
        before, after = "".join(lines[:split]), "".join(lines[split:])
        if before:
            parts.add("history", before, role=role)
        if note:
            parts.add("authors_note", note, role=role,
                      reason=f"{min(depth, len(lines))} lines before the end")
        if after:
            parts.add("history", after, role=role)

    @staticmethod
    def _messages(parts: ContextParts) -> list[dict]:
        messages: list[dict] = []
        for part in parts.parts:
            if not part.included or part.role is None:
                continue
            if messages and messages[-1]["role"] == part.role:
                messages[-1]["content"] += part.text
            else:
                messages.append({"role": part.role, "content": part.text})
        for m in messages:
            m["content"] = m["content"].rstrip("\n")
        return messages

    # --- generation -----------------------------------------------------------
    def stream(self, story: str, params: SamplingParams | None = None) -> AssistantStream:
        """Continue ``story``; the result's text is the continuation only."""
        params = self.resolve_params(params)
        bias = self.steering_bias()
        if bias:
            params = params.replace(logit_bias={**bias, **params.logit_bias})
        context = self.build_context(story, params)
        extra = {"genre": self.genre, "control_code": self.control_code,
                 "steering_tokens": len(bias)}
        return self.single_stream(context, params, lambda raw, stats: (raw, dict(extra)))
