"""Server-sent events checked on the wire with httpx, and the product's /api/generate."""
from __future__ import annotations

import json

import pytest

from server_harness import sse_events


def test_chat_stream_framing_on_the_wire(server):
    with server.client() as http:
        with http.stream("POST", "/v1/chat/completions", json={
                "model": "gpt", "messages": [{"role": "user", "content": "Hail"}],
                "max_tokens": 15, "temperature": 0, "stream": True}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            raw = b"".join(response.iter_raw()).decode()
    assert raw.startswith("data: {")
    assert raw.endswith("data: [DONE]\n\n")
    blocks = raw.split("\n\n")[:-1]
    assert all(b.startswith("data: ") and "\n" not in b for b in blocks)
    chunks = [json.loads(b[6:]) for b in blocks[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


def test_completion_stream_tokens_arrive_one_by_one(server):
    with server.client() as http:
        with http.stream("POST", "/v1/completions", json={
                "model": "gpt", "prompt": "KING:", "max_tokens": 12, "temperature": 0,
                "stream": True, "echo": True}) as response:
            events = []
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(line[6:])
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    texts = [c["choices"][0]["text"] for c in chunks]
    assert texts[0] == "KING:"                      # echo comes first
    assert len([t for t in texts[1:] if t]) >= 5   # then the tokens, in many chunks
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize("mode, fields", [
    ("story", {"prompt": "The king rode out at dawn.", "genre": "fantasy"}),
    ("twist", {"prompt": "The king rode out at dawn.", "count": 2, "max_tokens": 20}),
    ("dialogue", {"prompt": "at the castle gate", "character": "Romeo, a young lover"}),
    ("code", {"prompt": "add two numbers", "task": "write", "max_tokens": 30}),
    ("chat", {"prompt": "How art thou?", "messages": [
        {"role": "user", "content": "Hail"}, {"role": "assistant", "content": "Well met"}]}),
])
def test_every_mode_streams_and_answers(server, mode, fields):
    body = {"model": "char_rnn", "mode": mode, "max_tokens": 25, "seed": 2, **fields}
    with server.client() as http:
        plain = http.post("/api/generate", json=body)
        assert plain.status_code == 200, plain.text
        result = plain.json()
        assert result["mode"] == mode and result["model"] == "char_rnn"
        assert result["usage"]["completion_tokens"] >= 1
        streamed = http.post("/api/generate", json={**body, "stream": True})
    events = sse_events(streamed)
    assert events[-1] == "[DONE]"
    kinds = [e["type"] for e in events[:-1]]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert "delta" in kinds
    done = events[-2]["result"]
    assert done["text"] == result["text"]       # same seed, same answer, streamed or not
    if mode == "twist":
        assert "candidate_end" in kinds and len(done["candidates"]) <= 2
    if mode == "story":
        assert done["extra"]["genre"] == "fantasy"


def test_mode_defaults_are_used_and_replaced(server):
    with server.client() as http:
        modes = http.get("/api/modes").json()
        assert modes["modes"]["code"]["defaults"]["temperature"] == 0.2
        assert "fantasy" in modes["genres"]
        reply = http.post("/api/generate", json={"model": "gpt", "mode": "story",
                                                  "prompt": "Once", "max_tokens": 7}).json()
    assert reply["usage"]["completion_tokens"] <= 7


def test_waiting_deltas_are_sent_as_one_chunk():
    import asyncio

    from textgen.server.scheduler import ChoiceEnd, Delta
    from textgen.server.streaming import merge_ready

    queue: asyncio.Queue = asyncio.Queue()
    end = ChoiceEnd(0, "abc", None)
    for item in (Delta(0, "b", 2), Delta(0, "c", 3), end, Delta(1, "x", 9)):
        queue.put_nowait(item)
    merged, held = merge_ready(Delta(0, "a", 1), queue)
    assert (merged.text, merged.token_id, held) == ("abc", 3, end)
    assert queue.qsize() == 1                      # the other choice's delta still waits
    alone, held = merge_ready(Delta(1, "x", 9), asyncio.Queue())
    assert (alone.text, held) == ("x", None)
