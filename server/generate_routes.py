"""The product's own generation routes: ``/api/generate`` and friends.

``POST /api/generate`` runs one mode (story with a genre, twist, dialogue,
code, chat) with the mode's own sampling defaults, which any given field
replaces. Without ``stream`` it answers the assistant's result as JSON;
with it, server-sent events:

    {"type": "start", "id": ..., "model": ..., "mode": ...}
    {"type": "delta", "text": ..., "candidate": 0}          (many)
    {"type": "candidate_end", "candidate": 0, "text": ..., "accepted": true}   (twist)
    {"type": "done", "result": {...}, "usage": {...}}
    [DONE]

``DELETE /api/generate/{id}`` stops a running generation (the id is in the
start event and the X-Request-Id header): the web page's stop button
uses it besides dropping the connection.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from textgen.server.builders import mode_build
from textgen.server.errors import APIError
from textgen.server.openai_routes import sampling_params
from textgen.server.scheduler import ChoiceEnd, Delta
from textgen.server.schemas import MODES, GenerateRequest

router = APIRouter()


def _usage(end: ChoiceEnd) -> dict:
    stats = end.stats
    return {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens,
            "total_tokens": stats.prompt_tokens + stats.completion_tokens}


def _result(end: ChoiceEnd) -> dict:
    return end.result.to_dict(include_context=False) if end.result is not None else {
        "text": end.text, "stats": end.stats.to_dict()}


@router.get("/api/modes")
async def modes():
    """What the web page offers: the modes, genres, code tasks and defaults."""
    from textgen.assistants import ASSISTANTS, GENRES, CodeAssistant

    return {"modes": {name: {"defaults": ASSISTANTS[name].default_params().to_dict()}
                      for name in MODES},
            "genres": list(GENRES), "code_tasks": list(CodeAssistant.TASKS)}


@router.post("/api/generate")
async def generate(body: GenerateRequest, request: Request):
    from textgen.assistants import ASSISTANTS

    params = sampling_params(request, body, ASSISTANTS[body.mode].default_params())
    runner = request.app.state.services.runner
    started = await runner.start(request, body.model,
                                 lambda gen: mode_build(gen, body, params))
    head = {"id": started.job.id, "model": started.entry.name, "mode": body.mode}

    if not body.stream:
        items = await runner.collect(request, started)
        end = next(i for i in items if isinstance(i, ChoiceEnd))
        return JSONResponse({**head, **_result(end), "usage": _usage(end)},
                            headers={"X-Request-Id": started.job.id})

    sent_start = False

    def render(item) -> list:
        nonlocal sent_start
        events = []
        if not sent_start:
            sent_start = True
            events.append({"type": "start", **head})
        if isinstance(item, Delta):
            if item.kind == "candidate_end":
                events.append({"type": "candidate_end", "candidate": item.candidate,
                               **(item.payload or {})})
            elif item.text:
                events.append({"type": "delta", "text": item.text, "candidate": item.candidate})
        elif isinstance(item, ChoiceEnd):
            events.append({"type": "done", "result": _result(item), "usage": _usage(item)})
        return events

    return runner.stream(started, render)


@router.delete("/api/generate/{job_id}")
async def cancel_generation(job_id: str, request: Request):
    if not request.app.state.services.runner.cancel(job_id):
        raise APIError(404, f"no running generation {job_id!r}", param="id", code="not_found")
    return {"id": job_id, "cancelled": True}
