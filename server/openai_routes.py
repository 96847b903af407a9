"""OpenAI-compatible routes: /v1/models, /v1/completions, /v1/chat/completions.

Shapes follow OpenAI's API, so its official clients (and tools built on
them) work unchanged; our extra sampling controls are accepted as extra
fields (``extra_body`` in the Python client). What is not supported
(tools, log-probabilities, a suffix) is refused with a 400 that says so,
never silently ignored.
"""
from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams
from textgen.server.builders import chat_build, completion_build
from textgen.server.errors import APIError, InvalidField
from textgen.server.scheduler import ChoiceEnd, Delta, Done
from textgen.server.schemas import ChatRequest, CompletionRequest, SamplingFields

router = APIRouter()

# OpenAI's defaults where they differ from ours.
COMPLETION_DEFAULTS = SamplingParams(max_tokens=16, temperature=1.0, top_p=1.0)
CHAT_DEFAULTS = SamplingParams(max_tokens=256, temperature=1.0, top_p=1.0)


def finish_reason(stop_reason: str) -> str:
    return "length" if stop_reason in ("length", "context") else "stop"


def sampling_params(request: Request, body: SamplingFields, base: SamplingParams,
                    extra: dict | None = None) -> SamplingParams:
    """``base`` with the fields the client set; out-of-range -> 422 naming the field."""
    changes = {**body.sampling_changes(), **(extra or {})}
    limit = request.app.state.services.config.max_tokens_limit
    if changes.get("max_tokens", 0) > limit:
        raise InvalidField("max_tokens", f"at most {limit} on this server, not "
                           f"{changes['max_tokens']}")
    try:
        return base.replace(**changes)
    except TextgenError as e:
        message = str(e)
        field = message.split("=")[0].rsplit(" ", 1)[-1] if "=" in message else None
        raise APIError(422, message, param=field, code="invalid_value") from None


def check_choices(request: Request, n: int) -> None:
    limit = request.app.state.services.config.max_choices
    if n > limit:
        raise InvalidField("n", f"at most {limit} choices on this server, not {n}")


def usage(ends: dict[int, ChoiceEnd], choices_per_prompt: int) -> dict:
    prompt = sum(end.stats.prompt_tokens for c, end in ends.items() if c % choices_per_prompt == 0)
    completion = sum(end.stats.completion_tokens for end in ends.values())
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


# --- models ----------------------------------------------------------------------------
@router.get("/v1/models")
async def list_models(request: Request):
    services = request.app.state.services
    entries = services.registry.entries(fresh=True)
    loaded = services.registry.workers
    data = []
    for entry in entries.values():
        item = entry.to_dict()
        item["loaded"] = entry.name in loaded
        if entry.name in loaded:
            info = loaded[entry.name].generator.info
            item.update(backend=info.backend, architecture=info.architecture,
                        context_length=info.context_length)
        data.append(item)
    return {"object": "list", "data": data}


@router.get("/v1/models/{name}")
async def get_model(name: str, request: Request):
    return request.app.state.services.registry.lookup(name).to_dict()


# --- completions -----------------------------------------------------------------------
@router.post("/v1/completions")
async def completions(body: CompletionRequest, request: Request):
    if body.suffix:
        raise APIError(400, "suffix is not supported by this server", param="suffix")
    if body.logprobs:
        raise APIError(400, "logprobs are not supported by this server yet", param="logprobs")
    if body.best_of is not None and body.best_of != body.n:
        raise APIError(400, "best_of must equal n (no server-side ranking)", param="best_of")
    check_choices(request, body.n)
    params = sampling_params(request, body, COMPLETION_DEFAULTS)
    prompts = [body.prompt] if isinstance(body.prompt, str) else list(body.prompt)
    n = body.n
    runner = request.app.state.services.runner
    started = await runner.start(request, body.model,
                                 lambda gen: completion_build(gen, prompts, params, n))
    cid, created, model = f"cmpl-{started.job.id}", int(time.time()), started.entry.name

    def prompt_of(choice: int) -> str:
        return prompts[choice // n]

    if not body.stream:
        items = await runner.collect(request, started)
        ends = {i.choice: i for i in items if isinstance(i, ChoiceEnd)}
        choices = [{"text": (prompt_of(c) if body.echo else "") + ends[c].text, "index": c,
                    "logprobs": None, "finish_reason": finish_reason(ends[c].stats.stop_reason)}
                   for c in sorted(ends)]
        return JSONResponse({"id": cid, "object": "text_completion", "created": created,
                             "model": model, "choices": choices, "usage": usage(ends, n)},
                            headers={"X-Request-Id": started.job.id})

    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    ends: dict[int, ChoiceEnd] = {}
    opened: set[int] = set()

    def chunk(choice: int, text: str, reason: str | None) -> dict:
        return {"id": cid, "object": "text_completion", "created": created, "model": model,
                "choices": [{"text": text, "index": choice, "logprobs": None,
                             "finish_reason": reason}]}

    def render(item) -> list:
        events = []
        if isinstance(item, (Delta, ChoiceEnd)) and item.choice not in opened:
            opened.add(item.choice)
            if body.echo:
                events.append(chunk(item.choice, prompt_of(item.choice), None))
        if isinstance(item, Delta) and item.text:
            events.append(chunk(item.choice, item.text, None))
        elif isinstance(item, ChoiceEnd):
            ends[item.choice] = item
            events.append(chunk(item.choice, "", finish_reason(item.stats.stop_reason)))
        elif isinstance(item, Done) and include_usage:
            events.append({"id": cid, "object": "text_completion", "created": created,
                           "model": model, "choices": [], "usage": usage(ends, n)})
        return events

    return runner.stream(started, render)


# --- chat ------------------------------------------------------------------------------
@router.post("/v1/chat/completions")
async def chat_completions(body: ChatRequest, request: Request):
    for name in ("tools", "functions"):
        if getattr(body, name):
            raise APIError(400, f"{name} are not supported by this server", param=name)
    if body.tool_choice not in (None, "none"):
        raise APIError(400, "tool_choice is not supported by this server", param="tool_choice")
    if body.response_format and body.response_format.get("type", "text") != "text":
        raise APIError(400, "only response_format {\"type\": \"text\"} is supported",
                       param="response_format")
    if body.logprobs or body.top_logprobs:
        raise APIError(400, "logprobs are not supported by this server yet", param="logprobs")
    check_choices(request, body.n)
    extra = {}
    if body.max_completion_tokens is not None:
        extra["max_tokens"] = body.max_completion_tokens
    params = sampling_params(request, body, CHAT_DEFAULTS, extra)
    messages = [{"role": m.role, "content": m.content} for m in body.messages]
    runner = request.app.state.services.runner
    started = await runner.start(request, body.model,
                                 lambda gen: chat_build(gen, messages, params, body.n))
    cid, created, model = f"chatcmpl-{started.job.id}", int(time.time()), started.entry.name

    if not body.stream:
        items = await runner.collect(request, started)
        ends = {i.choice: i for i in items if isinstance(i, ChoiceEnd)}
        choices = [{"index": c, "message": {"role": "assistant", "content": ends[c].text},
                    "logprobs": None, "finish_reason": finish_reason(ends[c].stats.stop_reason)}
                   for c in sorted(ends)]
        return JSONResponse({"id": cid, "object": "chat.completion", "created": created,
                             "model": model, "choices": choices, "usage": usage(ends, 1)},
                            headers={"X-Request-Id": started.job.id})

    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    ends: dict[int, ChoiceEnd] = {}
    started_text: set[int] = set()   # choices whose reply has begun (leading blanks dropped)
    opened: set[int] = set()

    def chunk(choice: int, delta: dict, reason: str | None) -> dict:
        return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": choice, "delta": delta, "logprobs": None,
                             "finish_reason": reason}]}

    def render(item) -> list:
        events = []
        if isinstance(item, (Delta, ChoiceEnd)) and item.choice not in opened:
            opened.add(item.choice)
            events.append(chunk(item.choice, {"role": "assistant", "content": ""}, None))
        if isinstance(item, Delta):
            text = item.text
            if item.choice not in started_text:
                text = text.lstrip()
                if text:
                    started_text.add(item.choice)
            if text:
                events.append(chunk(item.choice, {"content": text}, None))
        elif isinstance(item, ChoiceEnd):
            ends[item.choice] = item
            events.append(chunk(item.choice, {}, finish_reason(item.stats.stop_reason)))
        elif isinstance(item, Done) and include_usage:
            events.append({"id": cid, "object": "chat.completion.chunk", "created": created,
                           "model": model, "choices": [], "usage": usage(ends, 1)})
        return events

    return runner.stream(started, render)
