"""/health, /metrics (Prometheus text format), /api/status, and unloading idle models."""
from __future__ import annotations

import re

import httpx

SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf)$')


def parse_metrics(text: str) -> dict[str, dict[str, float]]:
    """family -> {labels: value}; every line must be a comment or a valid sample."""
    families: dict[str, dict[str, float]] = {}
    declared = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            declared.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        name, labels, value = match.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in declared else name
        assert family in declared, f"{name} has no # TYPE line"
        families.setdefault(name, {})[labels or ""] = float(value)
    return families


def test_health_is_small_and_public(server):
    health = httpx.get(server.url + "/health").json()
    assert health["status"] == "ok" and health["models_loaded"] >= 1


def test_metrics_count_requests_tokens_queue_and_first_token_time(server):
    with server.client() as http:
        before = parse_metrics(http.get("/metrics").text)
        reply = http.post("/v1/completions", json={"model": "gpt", "prompt": "KING:",
                                                   "max_tokens": 9, "ignore_eos": True})
        assert reply.status_code == 200
        response = http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    after = parse_metrics(response.text)

    def value(family, labels, data):
        return data.get(family, {}).get(labels, 0.0)

    tokens = '{model="gpt"}'
    assert value("textgen_tokens_generated_total", tokens, after) == \
        value("textgen_tokens_generated_total", tokens, before) + 9
    route = '{method="POST",route="/v1/completions",status="200"}'
    assert value("textgen_requests_total", route, after) == \
        value("textgen_requests_total", route, before) + 1
    assert after["textgen_queue_depth"]['{model="gpt"}'] == 0
    assert "textgen_active_streams" in after
    count = after["textgen_time_to_first_token_seconds_count"][""]
    assert count == before["textgen_time_to_first_token_seconds_count"][""] + 1
    buckets = [v for k, v in after["textgen_time_to_first_token_seconds_bucket"].items()]
    assert buckets == sorted(buckets) and buckets[-1] == count      # cumulative, +Inf = count


def test_status_shows_models_and_queues(server):
    status = httpx.get(server.url + "/api/status").json()
    assert status["models"]["gpt"] == {"active": 0, "waiting": 0, "max_active": 8,
                                       "max_waiting": 64}
    assert status["auth"] is False


def test_idle_models_are_unloaded_beyond_the_limit(make_server):
    small = make_server(max_loaded_models=1)
    with small.client() as http:
        assert set(small.services.registry.workers) == {"gpt"}
        assert http.post("/v1/completions", json={"model": "char_rnn", "prompt": "A",
                                                   "max_tokens": 2}).status_code == 200
        assert set(small.services.registry.workers) == {"char_rnn"}
        loaded = {m["id"]: m["loaded"] for m in http.get("/v1/models").json()["data"]}
        assert loaded == {"gpt": False, "char_rnn": True}
        assert http.post("/v1/completions", json={"model": "gpt", "prompt": "A",
                                                   "max_tokens": 2}).status_code == 200
        assert set(small.services.registry.workers) == {"gpt"}
