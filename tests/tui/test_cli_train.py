"""`textgen train`, `distill`, `plot` and `eval` as a user runs them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
TINY = ["--set", "model.n_layer=1", "--set", "model.n_embd=16", "--set", "model.n_head=2",
        "--set", "model.context_length=32", "--set", "train.seq_len=32",
        "--set", "train.batch_size=4", "--set", "train.eval_batches=4",
        "--set", "train.threads=1"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return {**os.environ, "TEXTGEN_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


@pytest.fixture(scope="module")
def data(tmp_path_factory, shakespeare_text) -> Path:
    path = tmp_path_factory.mktemp("data") / "shakespeare.txt"
    path.write_text(shakespeare_text[:20_000], encoding="utf-8")
    return path


def run_cli(*args, env=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "textgen.tui.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def cli(capsys, *args) -> tuple[int, str, str]:
    """The command in this process (quicker than a subprocess): (exit code, stdout, stderr)."""
    from textgen.tui.cli import main

    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code or 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, data, env) -> Path:
    out = tmp_path_factory.mktemp("runs") / "gpt"
    r = run_cli("train", CONFIGS / "gpt.yaml", "--data", data, "--out", out, "--max-steps", 20,
                "--set", "train.eval_interval=10", *TINY, env=env)
    assert r.returncode == 0, r.stderr
    assert "finished at step 20" in r.stdout and "best validation loss" in r.stdout
    return out


def test_train_writes_a_run_that_generate_and_eval_use(trained_run, data, capsys):
    assert {p.name for p in trained_run.iterdir()} >= {"best", "last", "metrics.jsonl",
                                                       "config.yaml"}
    code, out, err = cli(capsys, "generate", "--model", trained_run / "best", "--prompt",
                         "ROMEO:", "--max-tokens", "12", "--seed", "1")
    assert code == 0 and out.strip(), err
    code, out, err = cli(capsys, "eval", trained_run / "best", "--data", data, "--json",
                         "--samples", "2", "--max-tokens", "10")
    assert code == 0, err
    report = json.loads(out)
    assert report["perplexity"] > 1 and report["bits_per_character"] > 0
    assert report["characters"] == 20_000 and report["samples"]["count"] == 2
    code, out, err = cli(capsys, "eval", "--data", data, trained_run / "best", "--samples", "0")
    assert code == 0 and "bits per character" in out, err


def test_plot_draws_a_png(trained_run, tmp_path, capsys):
    code, out, err = cli(capsys, "plot", trained_run, "--out", tmp_path / "curve.png")
    assert code == 0, err
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sigterm_saves_and_resume_finishes(tmp_path, data, env):
    out = tmp_path / "run"
    args = ["train", CONFIGS / "char_rnn.yaml", "--data", data, "--out", out,
            "--max-steps", 100_000, "--set", "model.hidden_size=16", "--set",
            "model.embedding_dim=8", "--set", "train.batch_size=4", "--set", "train.log_interval=1",
            "--set", "train.threads=1"]
    proc = subprocess.Popen([sys.executable, "-m", "textgen.tui.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    metrics = out / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
            metrics.is_file() and metrics.read_text().count('"event": "train"') >= 3):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "SIGTERM: saving a checkpoint" in stderr and "interrupted at step" in stdout
    assert "--resume" in stdout
    state = json.loads((out / "last" / "train_state.json").read_text())
    step = state["step"]
    assert step >= 3
    r = run_cli("train", CONFIGS / "char_rnn.yaml", "--out", out, "--resume", "--max-steps",
                step + 4, env=env)
    assert r.returncode == 0, r.stderr
    assert f"finished at step {step + 4}" in r.stdout


def test_distill_command(trained_models, data, tmp_path, capsys, monkeypatch, env):
    monkeypatch.setenv("TEXTGEN_CACHE_DIR", env["TEXTGEN_CACHE_DIR"])
    out = tmp_path / "student"
    code, stdout, err = cli(capsys, "distill", "--teacher", trained_models["gpt"][0],
                            "--student", CONFIGS / "gpt.yaml", "--data", data, "--out", out,
                            "--max-steps", 6, "--temperature", 3, "--alpha", 0.8, *TINY)
    assert code == 0 and "finished at step 6" in stdout, err
    config = (out / "config.yaml").read_text()
    assert "temperature: 3.0" in config and "alpha: 0.8" in config
    meta = json.loads((out / "best" / "config.json").read_text())["metadata"]
    assert meta["distilled_from"] == str(trained_models["gpt"][0])


@pytest.mark.parametrize("make_args, message", [
    (lambda p, d: ["train", p / "bad.yaml", "--data", d], "unknown key(s) train.batchsize"),
    (lambda p, d: ["train", CONFIGS / "gpt.yaml", "--data", d, "--set", "optim.lr=fast"],
     "optim.lr must be float"),
    (lambda p, d: ["train", CONFIGS / "gpt.yaml", "--data", p / "absent.txt", "--out", p / "o"],
     "absent.txt: no such file"),
    (lambda p, d: ["train", CONFIGS / "gpt.yaml", "--data", p, "--out", p / "o"],
     "no text files in this folder"),
    (lambda p, d: ["train", CONFIGS / "gpt.yaml", "--data", d, "--dataset", "shakespeare"],
     "not both"),
    (lambda p, d: ["train", CONFIGS / "gpt.yaml", "--data", d, "--out", p / "o", "--resume"],
     "no saved run to resume"),
    (lambda p, d: ["train", p / "absent.yaml"], "no such config file"),
    (lambda p, d: ["eval", CONFIGS], "needs --data PATH"),
    (lambda p, d: ["plot", p], "no metrics.jsonl"),
])
def test_user_errors_are_one_line_with_exit_2(make_args, message, tmp_path, data, capsys,
                                              monkeypatch, env):
    monkeypatch.setenv("TEXTGEN_CACHE_DIR", env["TEXTGEN_CACHE_DIR"])
    (tmp_path / "bad.yaml").write_text("model: {architecture: gpt}\ntrain: {batchsize: 3}\n")
    code, _, err = cli(capsys, *make_args(tmp_path, data))
    err = err.strip()
    assert code == 2 and message in err, err
    assert err.startswith("error: ") and len(err.splitlines()) == 1


def test_eval_keeps_room_for_subcommands(capsys):
    code, out, _ = cli(capsys, "eval", "report", "--help")
    assert code == 0 and "ratings" in out.lower()
    code, out, _ = cli(capsys, "eval", "--help")
    assert code == 0 and "bits per character" in out and "report" in out
