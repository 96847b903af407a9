"""`textgen generate` and `textgen info` as a user runs them."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from textgen.core import SamplingParams, load


def run_cli(*args, input=None):
    return subprocess.run([sys.executable, "-m", "textgen.tui.cli", *args], capture_output=True,
                          text=True, input=input, timeout=120)


def test_generate_json_matches_library(trained_models):
    path = trained_models["gpt"][0]
    r = run_cli("generate", "--model", str(path), "--prompt", "ROMEO:", "--max-tokens", "30",
                "--temperature", "0.9", "--seed", "5", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    expected = load(path).generate("ROMEO:", SamplingParams(max_tokens=30, temperature=0.9, seed=5))
    assert data["text"] == expected.text
    assert data["stats"]["completion_tokens"] == 30
    assert data["stats"]["stop_reason"] == "length"


def test_generate_streams_plain_text_from_stdin(trained_models):
    path = trained_models["char_rnn"][0]
    r = run_cli("generate", "--model", str(path), "--max-tokens", "20", "--temperature", "0",
                "--stop", "\n\n", input="KING:")
    assert r.returncode == 0, r.stderr
    expected = load(path).generate("KING:", SamplingParams(max_tokens=20, temperature=0, stop=["\n\n"]))
    assert r.stdout == expected.text + "\n"


def test_info(trained_models):
    r = run_cli("info", str(trained_models["transformer"][0]))
    assert r.returncode == 0, r.stderr
    assert "architecture:   transformer" in r.stdout
    assert "context length: 64" in r.stdout
    r = run_cli("info", str(trained_models["word_lstm"][0]), "--json")
    data = json.loads(r.stdout)
    assert data["architecture"] == "word_lstm" and data["context_length"] is None
    assert data["tokenizer"] == "word" and data["parameters"] > 0


@pytest.mark.parametrize("args, message", [
    (["generate", "--model", "/nonexistent/model", "--prompt", "x"], "no such file"),
    (["generate", "--prompt", "x", "--top-p", "1.5", "--model", "."], "top_p"),
    (["info", "/etc/hostname"], "not a model textgen can load"),
])
def test_bad_input_one_line_exit_2(args, message, trained_models):
    if "." in args:
        args = [str(trained_models["gpt"][0]) if a == "." else a for a in args]
    r = run_cli(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_option_type_exit_2():
    r = run_cli("generate", "--max-tokens", "many")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_no_model_explains(monkeypatch):
    monkeypatch.delenv("TEXTGEN_MODEL", raising=False)
    r = run_cli("generate", "--prompt", "x")
    assert r.returncode == 2
    assert "--model" in r.stderr and "textgen train" in r.stderr
