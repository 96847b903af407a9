"""Plot twists: several distinct suggestions for where a story could turn.

Each candidate is a separate generation with its own seed (``seed``, ``seed
+ 1``, ... so a run is reproducible). A candidate whose word-bigram Jaccard
similarity to one already kept reaches ``similarity_threshold`` is dropped,
and generation goes on until ``count`` distinct ones are found or
``max_attempts`` generations were spent.
"""
from __future__ import annotations

import random
import re
from typing import Iterator

from textgen.assistants.base import Assistant, AssistantEvent, AssistantResult, AssistantStream
from textgen.assistants.context import PromptContext, trim_to_tokens
from textgen.assistants.similarity import is_near_duplicate
from textgen.core.sampling import SamplingParams

# A base model is led into the twist by a narrative cue; the cue itself is
# not part of the suggestion (it would make all suggestions look alike).
TWIST_CUE = "\n\nThen, without warning, "
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s|$)")


def clean_suggestion(text: str, stop_reason: str) -> str:
    """One paragraph, whitespace collapsed, ending at the last full sentence
    when the model was cut off mid-sentence; first letter capitalised."""
    text = " ".join(text.split())
    if stop_reason in ("length", "cancelled", "context"):
        ends = list(_SENTENCE_END.finditer(text))
        if ends:
            text = text[:ends[-1].end()]
    return text[:1].upper() + text[1:]


class TwistAssistant(Assistant):
    mode = "twist"

    def __init__(self, generator, params: SamplingParams | None = None, *, count: int = 3,
                 similarity_threshold: float = 0.5, ngram: int = 2,
                 max_attempts: int | None = None, cue: str = TWIST_CUE, **options):
        super().__init__(generator, params, **options)
        self.count = count
        self.similarity_threshold = similarity_threshold
        self.ngram = ngram
        self.max_attempts = max_attempts
        self.cue = cue

    @classmethod
    def default_params(cls) -> SamplingParams:
        return SamplingParams(max_tokens=60, temperature=1.0, top_p=0.95)

    def build_context(self, story: str, params: SamplingParams | None = None) -> PromptContext:
        params = self.resolve_params(params, ["\n\n"])
        parts = self.parts()
        budget = self.budget(params)
        if self.uses_chat:
            system = "You suggest surprising plot twists for stories.\n"
            request = ("\n\nSuggest one surprising plot twist for this story, in one or two "
                       "sentences.")
            parts.add("system", system, role="system")
            room = (budget - parts.count(system) - parts.count(request)
                    - parts.count("Story so far:\n") - self.template_overhead())
            kept, dropped = trim_to_tokens(self.generator, story.rstrip(), room)
            if dropped:
                parts.add("trimmed", dropped, included=False, reason="oldest story text")
            parts.add("history", "Story so far:\n" + kept, role="user")
            parts.add("request", request, role="user")
            messages = [{"role": "system", "content": system.strip()},
                        {"role": "user", "content": "Story so far:\n" + kept + request}]
            return self.assemble(parts, params, messages)
        cue = self.fit(self.cue)
        room = budget - parts.count(cue)
        kept, dropped = trim_to_tokens(self.generator, story.rstrip(), room)
        if dropped:
            parts.add("trimmed", dropped, included=False, reason="oldest story text")
        parts.add("history", kept)
        parts.add("cue", cue, reason="leads the model into a twist")
        return self.assemble(parts, params)

    def stream(self, story: str, params: SamplingParams | None = None,
               count: int | None = None) -> AssistantStream:
        """Up to ``count`` distinct twists; events carry the candidate index,
        and a ``candidate_end`` event says whether each was kept."""
        params = self.resolve_params(params, ["\n\n"])
        context = self.build_context(story, params)
        want = count or self.count
        attempts = self.max_attempts or want * 2
        base_seed = params.seed if params.seed is not None else random.randrange(2**31)
        kept: list[str] = []
        log = {"seeds": [], "duplicates_removed": 0, "empty": 0}

        def produce(stream: AssistantStream) -> Iterator[AssistantEvent]:
            for attempt in range(attempts):
                if len(kept) >= want or stream.cancelled:
                    return
                seed = base_seed + attempt
                log["seeds"].append(seed)
                tokens = stream.track(self.generator.stream(context.prompt,
                                                            params.replace(seed=seed)))
                with tokens:
                    for event in tokens:
                        yield AssistantEvent(event.text, attempt, event)
                stream.mark_completed()
                if tokens.stats.stop_reason == "cancelled":
                    return
                text = clean_suggestion(tokens.text, tokens.stats.stop_reason)
                duplicate = bool(text) and is_near_duplicate(text, kept, self.similarity_threshold,
                                                             self.ngram)
                accepted = bool(text) and not duplicate
                log["duplicates_removed"] += duplicate
                log["empty"] += not text
                if accepted:
                    kept.append(text)
                yield AssistantEvent("", attempt, kind="candidate_end", candidate_text=text,
                                     accepted=accepted)

        def finalize(stream: AssistantStream) -> AssistantResult:
            text = "\n".join(f"{i + 1}. {t}" for i, t in enumerate(kept))
            raw = "\n\n".join(stream.raw_texts)
            extra = {**log, "attempts": len(stream.token_streams), "requested": want}
            return AssistantResult(self.mode, text, raw, stream.stats(), context,
                                   candidates=list(kept), extra=extra)

        return AssistantStream(context, produce, finalize)
