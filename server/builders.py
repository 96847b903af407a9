"""What each kind of request runs: the ``build()`` of a GenerationJob.

A build runs on the model's own thread (tokenizers included), checks what
only the loaded model can tell (does the prompt fit its context? are the
logit-bias ids in its vocabulary?) and returns the streams to run, one per
choice, without generating anything yet. Its errors are the request's
answer: 400 with the numbers for a prompt over the context, 422 naming the
field for a value this model cannot take.

The modes use the same assistants as the command line and the TUI, so a
story written here is written exactly as ``textgen write`` would.
"""
from __future__ import annotations

from typing import Callable

from textgen.core.sampling import SamplingParams
from textgen.server.errors import ContextTooLong, InvalidField

Build = Callable[[], list]


def choice_params(params: SamplingParams, choice: int, n: int) -> SamplingParams:
    """Each of n choices samples differently; with a seed, reproducibly so."""
    if n == 1 or choice == 0:
        return params
    return params.replace(seed=None if params.seed is None else params.seed + choice)


def check_logit_bias(generator, params: SamplingParams) -> None:
    vocab = generator.info.vocab_size
    if vocab is None:
        return
    for token in params.logit_bias:
        if not 0 <= token < vocab:
            raise InvalidField("logit_bias", f"token id {token} is outside this model's "
                               f"vocabulary (0..{vocab - 1})")


def check_prompt_fits(generator, prompt_tokens: int) -> None:
    """A prompt must leave room for at least one new token in the context."""
    limit = generator.info.context_length
    if limit and prompt_tokens >= limit:
        raise ContextTooLong(prompt_tokens, limit - 1,
                             detail=f" (its context is {limit} tokens, one kept for the reply)")


def check_context_kept(context, what: str = "messages") -> None:
    """An assistant trims what does not fit; the OpenAI routes refuse instead."""
    left_out = context.left_out
    if left_out:
        needed = context.prompt_tokens + sum(p.tokens for p in left_out)
        raise ContextTooLong(needed, context.budget, what,
                             detail=f" (its context is {context.context_length} tokens, "
                                    f"{context.max_tokens} kept for the reply)")


def completion_build(generator, prompts: list[str], params: SamplingParams, n: int) -> Build:
    def build() -> list:
        check_logit_bias(generator, params)
        streams = []
        for index, prompt in enumerate(prompts):
            check_prompt_fits(generator, generator.count_tokens(prompt))
            for k in range(n):
                stream = generator.stream(prompt, choice_params(params, k, n))
                streams.append((index * n + k, stream))
        return streams
    return build


def split_messages(messages: list[dict]) -> tuple[str, list[dict]]:
    """(system prompt, user/assistant turns) from OpenAI-style messages."""
    system = "\n\n".join(m["content"] for m in messages
                         if m["role"] in ("system", "developer") and m["content"])
    turns = [{"role": m["role"], "content": m["content"]} for m in messages
             if m["role"] in ("user", "assistant")]
    if not turns or turns[-1]["role"] != "user":
        raise InvalidField("messages", "the last message must have role 'user'")
    return system, turns


def chat_build(generator, messages: list[dict], params: SamplingParams, n: int) -> Build:
    def build() -> list:
        from textgen.assistants import ChatAssistant

        check_logit_bias(generator, params)
        system, turns = split_messages(messages)
        streams = []
        for k in range(n):
            assistant = ChatAssistant(generator, params, system_prompt=system,
                                      messages=turns[:-1])
            stream = assistant.send(turns[-1]["content"], choice_params(params, k, n))
            check_context_kept(stream.context)
            streams.append((k, stream))
        return streams
    return build


def mode_build(generator, request, params: SamplingParams) -> Build:
    """One of the product's modes (a GenerateRequest) as a single stream."""
    def build() -> list:
        from textgen.assistants import (DEFAULT_SYSTEM_PROMPT, ChatAssistant, CodeAssistant,
                                        DialogueAssistant, StoryAssistant, TwistAssistant)

        check_logit_bias(generator, params)
        mode = request.mode
        if mode == "story":
            stream = StoryAssistant(generator, params, genre=request.genre, memory=request.memory,
                                    authors_note=request.authors_note).stream(request.prompt)
        elif mode == "twist":
            stream = TwistAssistant(generator, params, count=request.count).stream(request.prompt)
        elif mode == "dialogue":
            if not request.character.strip():
                raise InvalidField("character", "describe who speaks (e.g. \"Gandalf, a wise "
                                   "old wizard\")")
            stream = DialogueAssistant(generator, params).stream(
                request.character, request.prompt, request.name or None)
        elif mode == "code":
            stream = CodeAssistant(generator, params, language=request.language).stream(
                request.prompt, request.task)
        else:
            history = [{"role": m.role, "content": m.content} for m in request.messages
                       if m.role in ("user", "assistant")]
            system = (request.system_prompt if request.system_prompt is not None
                      else DEFAULT_SYSTEM_PROMPT)
            stream = ChatAssistant(generator, params, system_prompt=system,
                                   messages=history).send(request.prompt)
        return [(0, stream)]
    return build
