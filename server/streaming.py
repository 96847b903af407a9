"""Running a generation job for a route: queue, wait, stream, clean up.

The route's answer waits for the job's first item, so a request the model
cannot serve (prompt over the context, say) still gets a plain 400 rather
than a stream that opens and fails. While it waits (in the queue, or for a
non-streaming reply) a watcher listens for the client going away and
cancels the job; once streaming, Starlette's own disconnect watch cancels
the body, whose ``finally`` releases the job. Either way the model stops
before its next token and the slot is free.

Server-sent events are framed as ``data: <json>\\n\\n``, ending with
``data: [DONE]\\n\\n``; a comment line keeps a quiet stream alive.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import AsyncIterator, Callable

from fastapi import Request
from fastapi.responses import StreamingResponse

from textgen.server.errors import error_from_exception
from textgen.server.registry import ModelEntry, ModelRegistry
from textgen.server.scheduler import Delta, Done, Failed, GenerationJob, ModelWorker

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ClientGone(Exception):
    """The client disconnected before the answer was ready."""


def sse(data) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str)
    return f"data: {payload}\n\n"


async def _wait_disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def until_disconnect(awaitable, request: Request):
    """The awaitable's result, or ClientGone if the client leaves first."""
    task = asyncio.ensure_future(awaitable)
    watcher = asyncio.ensure_future(_wait_disconnect(request))
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        watcher.cancel()
        raise
    if task in done:
        watcher.cancel()
        return task.result()
    task.cancel()
    raise ClientGone()


def merge_ready(item, items: asyncio.Queue, limit: int = 256):
    """``item`` joined with the text deltas already waiting behind it, and the first
    waiting item that could not be joined (or None).

    When the client (or the event loop) falls behind the model, one SSE chunk then
    carries several tokens instead of one chunk each: fewer JSON encodings and socket
    writes, the same text. A reader keeping up still gets one token per chunk.
    """
    if not isinstance(item, Delta) or item.kind != "delta":
        return item, None
    texts = [item.text]
    last = item
    for _ in range(limit):
        try:
            following = items.get_nowait()
        except asyncio.QueueEmpty:
            break
        if (isinstance(following, Delta) and following.kind == "delta"
                and following.choice == item.choice and following.candidate == item.candidate):
            texts.append(following.text)
            last = following
            continue
        merged = Delta(item.choice, "".join(texts), last.token_id, item.candidate)
        return merged, following
    return Delta(item.choice, "".join(texts), last.token_id, item.candidate), None


@dataclass
class Started:
    entry: ModelEntry
    worker: ModelWorker
    job: GenerationJob
    first: object


class JobRunner:
    """Starts jobs for routes and remembers running ones (to cancel by id)."""

    def __init__(self, registry: ModelRegistry, keepalive_seconds: float = 10.0):
        self.registry = registry
        self.keepalive_seconds = keepalive_seconds
        self.running: dict[str, tuple[GenerationJob, ModelWorker]] = {}

    async def start(self, request: Request, model: str | None,
                    make_build: Callable[[object], Callable[[], list]]) -> Started:
        entry, worker = await self.registry.worker(model)
        job = GenerationJob(make_build(worker.generator), asyncio.get_running_loop(), entry.name)
        worker.submit(job)
        self.running[job.id] = (job, worker)
        try:
            first = await until_disconnect(job.items.get(), request)
        except BaseException:
            self.finish(job)
            raise
        if isinstance(first, Failed):
            self.finish(job)
            raise error_from_exception(first.error)
        return Started(entry, worker, job, first)

    def finish(self, job: GenerationJob) -> None:
        entry = self.running.pop(job.id, None)
        if entry is not None:
            entry[1].release(job)

    def cancel(self, job_id: str) -> bool:
        entry = self.running.get(job_id)
        if entry is None:
            return False
        self.finish(entry[0])
        return True

    async def collect(self, request: Request, started: Started) -> list:
        """Every item of a non-streaming job, up to its end."""
        async def gather() -> list:
            items = [started.first]
            while not isinstance(items[-1], (Done, Failed)):
                items.append(await started.job.items.get())
            return items

        try:
            items = await until_disconnect(gather(), request)
        finally:
            self.finish(started.job)
        if isinstance(items[-1], Failed):
            raise error_from_exception(items[-1].error)
        return items

    def stream(self, started: Started, render: Callable[[object], list],
               headers: dict[str, str] | None = None) -> StreamingResponse:
        """An SSE response: ``render(item)`` gives the events (dicts) for each item."""
        async def body() -> AsyncIterator[str]:
            item = started.first
            try:
                while True:
                    if isinstance(item, Failed):
                        error = error_from_exception(item.error)
                        yield sse({"error": {"message": error.message, "type": error.type,
                                             "param": error.param, "code": error.code}})
                        break
                    item, held = merge_ready(item, started.job.items)
                    text = "".join(sse(event) for event in render(item))
                    if text:
                        yield text
                    if isinstance(item, Done):
                        break
                    item = held
                    if item is None and not started.job.items.empty():
                        item = started.job.items.get_nowait()
                    while item is None:
                        try:
                            item = await asyncio.wait_for(started.job.items.get(),
                                                          self.keepalive_seconds)
                        except asyncio.TimeoutError:
                            yield ": keep-alive\n\n"
                yield sse("[DONE]")
            finally:
                self.finish(started.job)

        return StreamingResponse(body(), media_type="text/event-stream",
                                 headers={**SSE_HEADERS, "X-Request-Id": started.job.id,
                                          **(headers or {})})

