"""What every assistant shares: streaming, cancelling, results, prompts.

An assistant turns a user's request into a prompt (or, for a model with a
chat template, chat messages rendered by ``generator.apply_chat_template``),
runs the generator and post-processes the text. Its ``stream(...)`` methods
return an :class:`AssistantStream`:

    stream = StoryAssistant(generator, genre="fantasy").stream("The dragon")
    print(stream.context.render())      # the assembled prompt, part by part
    for event in stream:                 # live text as the model writes it
        show(event.text)
    result = stream.result               # post-processed text and stats

``stream.cancel()`` may be called from any thread (a UI thread while a worker
iterates); the stream then ends after the current token and ``result`` holds
what was written so far. ``close()`` does the same from the iterating thread.
The result is computed exactly once, however the stream ends (finished,
cancelled, closed, or an exception such as KeyboardInterrupt raised while
iterating), so nothing a user saw is lost.

Live ``event.text`` is the model's raw output; ``result.text`` is the
post-processed text (trimmed code, a dialogue line without its quotes, ...),
and may differ: a view should replace the live text with it at the end.
``Assistant.live_text_is_final`` is True for modes where it never differs
except in surrounding whitespace.
"""
from __future__ import annotations

from typing import Callable, Iterator

from textgen.assistants.context import (DEFAULT_RNN_CONTEXT_CAP, ContextParts, PromptContext,
                                        context_budget)
from textgen.assistants.stream import (AssistantEvent, AssistantResult, AssistantStream,
                                       combine_stats)
from textgen.core.errors import TextgenError
from textgen.core.generator import GenerationStats
from textgen.core.sampling import SamplingParams

__all__ = ["Assistant", "AssistantEvent", "AssistantResult", "AssistantStream", "combine_stats"]


# Replacements for scaffolding characters a vocabulary lacks ("" = leave out).
_FALLBACK_CHARS = {'"': "'", "“": "'", "”": "'", "[": "", "]": "", "(": "", ")": "", "#": "",
                   "`": "'", "—": "-", "–": "-"}


class Assistant:
    """Base of every mode. Holds the generator and the mode's default sampling.

    ``params`` given to the constructor replace the mode's defaults; the
    ``params`` given to a ``stream`` call replace those for that call. Stop
    sequences a mode needs are added to whatever the caller gives.
    ``use_chat_template``: None = use messages when the model has a chat
    template; False = always a plain prompt; True = require a template.
    """

    mode = "base"
    live_text_is_final = False

    def __init__(self, generator, params: SamplingParams | None = None, *,
                 use_chat_template: bool | None = None,
                 rnn_context_cap: int = DEFAULT_RNN_CONTEXT_CAP):
        self.generator = generator
        self.params = params if params is not None else self.default_params()
        self.use_chat_template = use_chat_template
        self.rnn_context_cap = rnn_context_cap

    @classmethod
    def default_params(cls) -> SamplingParams:
        return SamplingParams()

    @property
    def uses_chat(self) -> bool:
        """Whether requests become chat messages rendered by the model's template."""
        if self.use_chat_template is False:
            return False
        has_template = bool(self.generator.chat_template)
        if self.use_chat_template and not has_template:
            raise TextgenError(f"model {self.generator.info.path} has no chat template")
        return has_template

    # --- scaffolding text the model can read ------------------------------------
    def fit(self, text: str) -> str:
        """Scaffolding text (cues, labels, brackets) made encodable by this model.

        A character-level vocabulary may lack '"', '[', '#', digits or some
        capitals; such characters are replaced by a close fallback or left
        out, so a mode never fails on its own wording. User text is not
        passed through here: the tokenizer's own error names what it lacks.
        """
        try:
            self.generator.encode(text)
            return text
        except TextgenError:
            pass
        out = []
        for ch in text:
            if self._encodable(ch):
                out.append(ch)
                continue
            alt = _FALLBACK_CHARS.get(ch, ch.lower() if ch.isupper() else "")
            out.append(alt if alt and self._encodable(alt) else "")
        return "".join(out)

    def represents(self, text: str) -> bool:
        """Whether the model can read and write ``text`` exactly (no error, no unknown token)."""
        try:
            return self.generator.decode(self.generator.encode(text)) == text
        except TextgenError:
            return False

    def _encodable(self, ch: str) -> bool:
        cache = self.__dict__.setdefault("_encodable_cache", {})
        key = (id(self.generator), ch)
        if key not in cache:
            try:
                self.generator.encode(ch)
                cache[key] = True
            except TextgenError:
                cache[key] = False
        return cache[key]

    def resolve_params(self, params: SamplingParams | None = None,
                       extra_stops: list[str] = ()) -> SamplingParams:
        params = params if params is not None else self.params
        stops = list(params.stop) + [s for s in extra_stops if s not in params.stop]
        return params.replace(stop=stops) if stops != list(params.stop) else params

    def template_overhead(self, roles: tuple[str, ...] = ("system", "user")) -> int:
        """Tokens the chat template adds around messages with these roles."""
        empty = [{"role": role, "content": ""} for role in roles]
        return self.generator.count_tokens(self.generator.apply_chat_template(empty))

    def budget(self, params: SamplingParams) -> int:
        return context_budget(self.generator, params.max_tokens, self.rnn_context_cap)

    def parts(self) -> ContextParts:
        return ContextParts(self.generator)

    def assemble(self, parts: ContextParts, params: SamplingParams,
                 messages: list[dict] | None = None) -> PromptContext:
        """The PromptContext for these parts: plain concatenation, or the
        messages rendered by the chat template (its overhead shown as a part)."""
        if messages is None:
            prompt = parts.plain_prompt()
        else:
            prompt = self.generator.apply_chat_template(messages)
        total = self.generator.count_tokens(prompt)
        if messages is not None:
            overhead = total - parts.tokens()
            parts.add("template", "", tokens=max(0, overhead),
                      reason="role markers added by the chat template")
        return PromptContext(parts.parts, prompt, total, self.budget(params), params.max_tokens,
                             self.generator.info.context_length, messages)

    def single_stream(self, context: PromptContext, params: SamplingParams,
                      postprocess: Callable[[str, GenerationStats], tuple[str, dict]],
                      should_stop: Callable[[str], bool] | None = None,
                      on_result: Callable[[AssistantResult], None] | None = None) -> AssistantStream:
        """A stream over one generation.

        ``postprocess(raw_text, stats) -> (text, extra)`` makes the result;
        ``should_stop(text_so_far)`` lets a mode end the generation itself
        (its stop reason is then "stop"); ``on_result`` runs once with the result.
        """
        def produce(stream: AssistantStream) -> Iterator[AssistantEvent]:
            with stream.track(self.generator.stream(context.prompt, params)) as tokens:
                for event in tokens:
                    yield AssistantEvent(event.text, 0, event)
                    if should_stop is not None and event.text and should_stop(tokens.text):
                        stream.mark_completed("stop")
                        return
                stream.mark_completed()

        def finalize(stream: AssistantStream) -> AssistantResult:
            raw = stream.raw_texts[0] if stream.token_streams else ""
            stats = stream.stats()
            text, extra = postprocess(raw, stats)
            result = AssistantResult(self.mode, text, raw, stats, context, extra=extra)
            if on_result is not None:
                on_result(result)
            return result

        return AssistantStream(context, produce, finalize)

    def run(self, *args, **kwargs) -> AssistantResult:
        """``stream(...)`` run to the end; returns the result."""
        return self.stream(*args, **kwargs).finish()

    def stream(self, *args, **kwargs) -> AssistantStream:  # pragma: no cover - each mode defines it
        raise NotImplementedError
