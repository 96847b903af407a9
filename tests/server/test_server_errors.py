"""What a client can get wrong: each answer has the right status and names the problem."""
from __future__ import annotations

import pytest


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


@pytest.mark.parametrize("body, field", [
    ({"prompt": "hi", "temperature": 2.5}, "temperature"),
    ({"prompt": "hi", "top_p": 0}, "top_p"),
    ({"prompt": "hi", "max_tokens": -1}, "max_tokens"),
    ({"prompt": "hi", "max_tokens": 10**9}, "max_tokens"),
    ({"prompt": "hi", "presence_penalty": 3}, "presence_penalty"),
    ({"prompt": "hi", "logit_bias": {"abc": 1}}, "logit_bias"),
    ({"prompt": "hi", "logit_bias": {"5": 500}}, "logit_bias"),
    ({"prompt": "hi", "logit_bias": {"100000": 1}}, "logit_bias"),
    ({"prompt": "hi", "n": 0}, "n"),
    ({"prompt": "hi", "n": 1000}, "n"),
    ({"prompt": "hi", "top_k": -3}, "top_k"),
    ({"prompt": "hi", "num_beams": 99}, "num_beams"),
    ({"prompt": "hi", "stop": [""]}, "stop"),
    ({"prompt": 5}, "prompt"),
    ({}, "prompt"),
])
def test_out_of_range_fields_are_422_naming_the_field(server, body, field):
    with server.client() as http:
        error = error_of(http.post("/v1/completions", json={"model": "gpt", **body}), 422)
    assert error["param"] == field
    assert field in error["message"]


def test_bad_json_and_wrong_shapes_are_422(server):
    with server.client() as http:
        bad = error_of(http.post("/v1/completions", content=b'{"prompt": "x",',
                                 headers={"Content-Type": "application/json"}), 422)
        assert "JSON" in bad["message"]
        listed = error_of(http.post("/v1/completions", json=[1, 2]), 422)
        assert "body" in listed["message"]
        form = error_of(http.post("/v1/completions", content=b'{"prompt": "x"}',
                                  headers={"Content-Type": "text/plain"}), 422)
        assert "application/json" in form["message"]
        roles = error_of(http.post("/v1/chat/completions", json={
            "messages": [{"role": "wizard", "content": "hi"}]}), 422)
        assert roles["param"] == "messages[0].role"
        last = error_of(http.post("/v1/chat/completions", json={
            "messages": [{"role": "user", "content": "hi"},
                         {"role": "assistant", "content": "yo"}]}), 422)
        assert "last message" in last["message"]


def test_own_routes_refuse_unknown_fields_and_bad_choices(server):
    with server.client() as http:
        typo = error_of(http.post("/api/generate", json={"mode": "story", "prompt": "x",
                                                          "temprature": 0.5}), 422)
        assert typo["param"] == "temprature" and "unknown field" in typo["message"]
        genre = error_of(http.post("/api/generate", json={"mode": "story", "prompt": "x",
                                                           "genre": "western"}), 422)
        assert genre["param"] == "genre" and "fantasy" in genre["message"]
        mode = error_of(http.post("/api/generate", json={"mode": "poem", "prompt": "x"}), 422)
        assert mode["param"] == "mode"
        who = error_of(http.post("/api/generate", json={"mode": "dialogue", "prompt": "x"}), 422)
        assert who["param"] == "character"


@pytest.mark.parametrize("name", ["no-such-model", "../gpt", "../../etc/passwd", "/etc/passwd",
                                  "gpt/../gpt", "..", ".", "gpt%2F..", "~root", "gpt\x00"])
def test_unknown_models_and_path_tricks_are_404(server, name):
    with server.client() as http:
        error = error_of(http.post("/v1/completions", json={"model": name, "prompt": "hi"}), 404)
        assert error["code"] == "model_not_found"
        error_of(http.post("/api/finetune", json={"model": name, "text": "hello"}), 404)


def test_unknown_routes_and_jobs_are_404(server):
    with server.client() as http:
        error_of(http.get("/v1/nothing-here"), 404)
        error_of(http.get("/v1/models/nope"), 404)
        error_of(http.get("/api/finetune/ft-000000000000"), 404)
        error_of(http.delete("/api/generate/gen-1-00000"), 404)
        error_of(http.get("/static/../server/app.py"), 404)


def test_prompt_over_the_context_is_400_with_the_numbers(server):
    with server.client() as http:
        error = error_of(http.post("/v1/completions", json={"model": "gpt",
                                                            "prompt": "a" * 100}), 400)
        assert error["code"] == "context_length_exceeded"
        assert error["prompt_tokens"] == 100 and error["limit"] == 63
        assert "100" in error["message"] and "64" in error["message"]
        chat = error_of(http.post("/v1/chat/completions", json={
            "model": "gpt", "max_tokens": 8,
            "messages": [{"role": "user", "content": "b" * 200}]}), 400)
        assert chat["code"] == "context_length_exceeded" and chat["prompt_tokens"] > 200
        # text the model cannot encode: a 400 saying which characters
        error = error_of(http.post("/v1/completions", json={"model": "gpt", "prompt": "€"}), 400)
        assert "€" in error["message"]
        # the recurrent model has no context limit
        assert http.post("/v1/completions", json={"model": "char_rnn", "prompt": "a" * 100,
                                                  "max_tokens": 2}).status_code == 200


def test_unsupported_openai_features_say_so(server):
    with server.client() as http:
        for body in ({"tools": [{"type": "function"}]}, {"logprobs": True},
                     {"response_format": {"type": "json_object"}}):
            error = error_of(http.post("/v1/chat/completions", json={
                "model": "gpt", "messages": [{"role": "user", "content": "hi"}], **body}), 400)
            assert "not supported" in error["message"] or "only" in error["message"]


def test_oversized_body_is_413(make_server):
    small = make_server(max_body_bytes=1000)
    with small.client() as http:
        assert http.post("/v1/completions", json={"prompt": "x" * 5000}).status_code == 413
        fits = http.post("/v1/completions", json={"prompt": "hi", "max_tokens": 2})
        assert fits.status_code == 200


def test_api_key_is_required_everywhere_but_health(make_server):
    keyed = make_server(api_key="s3cret-key")
    with keyed.client() as http:
        assert http.get("/health").status_code == 200
        assert http.get("/").status_code == 200          # the page itself holds no data
        for method, path in [("GET", "/v1/models"), ("POST", "/v1/completions"),
                             ("POST", "/v1/chat/completions"), ("POST", "/api/generate"),
                             ("GET", "/metrics"), ("GET", "/api/status"),
                             ("POST", "/api/finetune"), ("GET", "/api/finetune/x")]:
            response = http.request(method, path, json={})
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"].startswith("Bearer")
        wrong = http.get("/v1/models", headers={"Authorization": "Bearer s3cret-kez"})
        assert wrong.status_code == 401
        basic = http.get("/v1/models", headers={"Authorization": "Basic s3cret-key"})
        assert basic.status_code == 401
    with keyed.client(api_key="s3cret-key") as http:
        assert http.get("/v1/models").status_code == 200
        reply = http.post("/v1/completions", json={"prompt": "hi", "max_tokens": 3})
        assert reply.status_code == 200


def test_the_server_survives_all_of_it(server):
    with server.client() as http:
        assert http.get("/health").json()["status"] == "ok"
        assert http.post("/v1/completions", json={"prompt": "ROMEO:", "max_tokens": 4}
                         ).status_code == 200
