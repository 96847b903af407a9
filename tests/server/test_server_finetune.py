"""Fine-tune jobs over HTTP with the real trainer on the tiny model: one runs to the end
and its model is served; another is cancelled and leaves nothing behind."""
from __future__ import annotations

import time

import pytest

pytest.importorskip("textgen.train.finetune")


def wait_status(http, job_id: str, statuses: tuple, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/api/finetune/{job_id}").json()
        if job["status"] in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {statuses}: {job}")


@pytest.fixture(scope="module")
def tuning_server(models_dir, tmp_path_factory):
    import server_harness

    config = server_harness.make_config(models_dir, tmp_path_factory.mktemp("ft"))
    running = server_harness.start_server(config)
    yield running
    running.stop()


def test_a_finetune_job_runs_to_completion_and_its_model_is_served(tuning_server,
                                                                   shakespeare_text):
    with tuning_server.client() as http:
        started = http.post("/api/finetune", json={
            "model": "gpt", "text": shakespeare_text[:6000], "max_steps": 2,
            "name": "gpt-tuned"})
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["status"] in ("queued", "running")
        assert started.headers["location"] == f"/api/finetune/{job['id']}"
        assert "gpt-tuned" not in {m["id"] for m in http.get("/v1/models").json()["data"]}
        done = wait_status(http, job["id"], ("succeeded", "failed", "cancelled"))
        assert done["status"] == "succeeded", done
        assert done["step"] == done["total_steps"] == 2
        assert done["loss"] > 0 and len(done["losses"]) == 2
        assert done["model"] == "gpt-tuned" and done["eta_seconds"] is None
        models = {m["id"]: m for m in http.get("/v1/models").json()["data"]}
        assert models["gpt-tuned"]["source"] == "finetuned"
        reply = http.post("/v1/completions", json={"model": "gpt-tuned", "prompt": "ROMEO:",
                                                   "max_tokens": 5})
        assert reply.status_code == 200 and reply.json()["model"] == "gpt-tuned"
        assert any(j["id"] == job["id"] for j in http.get("/api/finetune").json()["data"])
        again = http.post("/api/finetune", json={"model": "gpt", "text": "more",
                                                 "name": "gpt-tuned"})
        assert again.status_code == 409
    finetuned = tuning_server.services.config.finetune_dir
    assert sorted(p.name for p in (finetuned / ".jobs").iterdir()) == []


def test_a_running_job_can_be_cancelled(tuning_server, shakespeare_text):
    with tuning_server.client() as http:
        job = http.post("/api/finetune", json={"model": "gpt", "text": shakespeare_text[:6000],
                                               "epochs": 100, "name": "never"}).json()
        running = wait_status(http, job["id"], ("running",))
        deadline = time.monotonic() + 60
        while running["step"] < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
            running = http.get(f"/api/finetune/{job['id']}").json()
        assert running["total_steps"] > 100 and running["eta_seconds"] > 0
        assert http.delete(f"/api/finetune/{job['id']}").status_code == 200
        done = wait_status(http, job["id"], ("succeeded", "failed", "cancelled"), 60)
        assert done["status"] == "cancelled", done
        assert done["step"] < done["total_steps"]
        assert http.delete(f"/api/finetune/{job['id']}").status_code == 409
        assert "never" not in {m["id"] for m in http.get("/v1/models").json()["data"]}
    finetuned = tuning_server.services.config.finetune_dir
    assert not (finetuned / "never").exists()
    assert list((finetuned / ".jobs").iterdir()) == []


def test_bad_finetune_requests(tuning_server):
    with tuning_server.client() as http:
        for body, field in [({"text": ""}, "text"), ({"text": "x", "epochs": 0}, "epochs"),
                            ({"text": "x", "name": "../evil"}, "name"),
                            ({"text": "x", "max_steps": 0}, "max_steps"),
                            ({"text": "x", "learning_rate": 1}, "learning_rate")]:
            response = http.post("/api/finetune", json=body)
            assert response.status_code == 422, body
            assert response.json()["error"]["param"] == field
        assert http.delete("/api/finetune/ft-nothing").status_code == 404


def test_finetuning_can_be_turned_off(make_server):
    off = make_server(finetune_dir=None)
    with off.client() as http:
        response = http.post("/api/finetune", json={"text": "hello"})
    assert response.status_code == 501
    assert "--finetune-dir" in response.json()["error"]["message"]
