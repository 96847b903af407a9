"""Under load and faults: a full queue, clients that leave, fairness, an explicit stop."""
from __future__ import annotations

import json
import threading
import time

import httpx

LONG = {"model": "gpt", "prompt": "ROMEO:", "max_tokens": 50_000, "ignore_eos": True,
        "stream": True}


def next_event(lines) -> str:
    return next(line for line in lines if line)


def tokens_generated(server) -> float:
    return server.services.metrics.tokens.value(model="gpt")


def wait_for(condition, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def read_some_chunks(response, count: int):
    """Read ``count`` events and return the line iterator, still open.

    (Abandoning an httpx line iterator closes the connection: the iterator
    must stay referenced while the test means to keep the stream.)"""
    lines = response.iter_lines()
    seen = 0
    while seen < count:
        if next(lines).startswith("data: {"):
            seen += 1
    return lines


def test_client_disconnect_stops_generation_at_once(server):
    worker = server.services.registry.workers["gpt"]
    before_cancelled = server.services.metrics.generations.value(model="gpt", outcome="cancelled")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        with http.stream("POST", "/v1/completions", json=LONG) as response:
            assert response.status_code == 200
            lines = read_some_chunks(response, 5)
            time.sleep(0.2)
            assert worker.active == 1              # still generating while the client stays
            assert next_event(lines).startswith("data: {")
        # leaving the block drops the connection mid-stream
    wait_for(lambda: worker.active == 0 and not server.services.runner.running, 5,
             "the generation to stop")
    stopped_at = tokens_generated(server)
    time.sleep(0.3)
    assert tokens_generated(server) == stopped_at            # nothing more is generated
    assert stopped_at < 5_000                                  # far from the 50k asked for
    assert server.services.metrics.generations.value(
        model="gpt", outcome="cancelled") == before_cancelled + 1


def test_full_queue_is_503_with_retry_after_and_waiting_clients_can_leave(make_server):
    busy = make_server(max_active_per_model=1, max_waiting_per_model=1)
    worker = busy.services.registry.workers["gpt"]
    results: dict[str, object] = {}
    release = threading.Event()

    def hold(name: str) -> None:
        with httpx.Client(base_url=busy.url, timeout=30) as http:
            with http.stream("POST", "/v1/completions", json=LONG) as response:
                results[name] = response.status_code
                lines = read_some_chunks(response, 1)
                release.wait(20)
                del lines

    first = threading.Thread(target=hold, args=("first",))
    first.start()
    wait_for(lambda: worker.active == 1, what="the first stream")
    # the second waits in the queue: its client gives up before it starts
    with httpx.Client(base_url=busy.url, timeout=httpx.Timeout(30, read=0.5)) as http:
        try:
            http.post("/v1/completions", json={**LONG, "stream": False})
        except httpx.ReadTimeout:
            pass
    wait_for(lambda: worker.waiting == 0, 5, "the waiting request to leave the queue")
    queued = threading.Thread(target=hold, args=("queued",))
    queued.start()
    wait_for(lambda: worker.waiting == 1, what="a request to wait")
    with httpx.Client(base_url=busy.url, timeout=30) as http:
        refused = http.post("/v1/completions", json=LONG)
        assert refused.status_code == 503
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "queue_full"
        metrics = http.get("/metrics").text
    assert 'textgen_queue_depth{model="gpt"} 1' in metrics
    assert "textgen_queue_rejections_total" in metrics
    release.set()
    first.join(20)
    queued.join(20)
    assert results == {"first": 200, "queued": 200}
    busy.wait_idle()


def test_short_request_is_not_stuck_behind_a_long_one(server):
    """Round-robin: a short reply finishes while a long stream is still going."""
    worker = server.services.registry.workers["gpt"]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        with http.stream("POST", "/v1/completions", json=LONG) as long_stream:
            lines = read_some_chunks(long_stream, 3)
            started = time.monotonic()
            short = http.post("/v1/completions", json={"model": "gpt", "prompt": "KING:",
                                                       "max_tokens": 20, "ignore_eos": True})
            took = time.monotonic() - started
            assert short.status_code == 200
            assert short.json()["usage"]["completion_tokens"] == 20
            wait_for(lambda: worker.active == 1, 5, "the short one to leave")
            assert next_event(lines).startswith("data: {")
    assert took < 10
    server.wait_idle()


def test_stop_by_request_id(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        with http.stream("POST", "/api/generate", json={
                "model": "gpt", "mode": "story", "prompt": "The king", "stream": True,
                "max_tokens": 50_000, "ignore_eos": True}) as response:
            job_id = response.headers["x-request-id"]
            lines = read_some_chunks(response, 3)
            assert http.delete(f"/api/generate/{job_id}").json()["cancelled"] is True
            rest = [line for line in lines if line.startswith("data: ")]
    # the stream ends at once, with what was written so far, instead of running on
    assert rest[-1] == "data: [DONE]"
    done = json.loads(rest[-2][len("data: "):])
    assert done["type"] == "done"
    assert done["result"]["stats"]["stop_reason"] == "cancelled"
    assert 2 <= done["usage"]["completion_tokens"] < 5_000    # start event + 2 deltas read
    server.wait_idle()


def test_many_concurrent_clients_all_get_their_answers(server):
    errors: list[str] = []
    lengths: list[int] = []

    def client(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            reply = http.post("/v1/chat/completions", json={
                "model": "gpt" if i % 2 else "char_rnn", "max_tokens": 10, "seed": i,
                "messages": [{"role": "user", "content": "Speak " + "abcdefghijklmnop"[i]}]})
            if reply.status_code != 200:
                errors.append(reply.text)
            else:
                lengths.append(reply.json()["usage"]["completion_tokens"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(lengths) == 16 and all(n >= 1 for n in lengths)
    server.wait_idle()
