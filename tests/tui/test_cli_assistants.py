"""`textgen write|twist|dialogue|code` as a user (or a script) runs them."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from assistant_models import code_checkpoint, load_cached
from textgen.assistants import (CodeAssistant, DialogueAssistant, StoryAssistant,
                                TwistAssistant)
from textgen.tui.cli import app


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Invoke the app in-process with a private data folder and no default model."""
    monkeypatch.setenv("TEXTGEN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TEXTGEN_MODEL", raising=False)
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input)
    return invoke


def run_cli(*args, input=None, env=None):
    import os

    return subprocess.run([sys.executable, "-m", "textgen.tui.cli", *map(str, args)],
                          capture_output=True, text=True, input=input, timeout=120,
                          env={**os.environ, **(env or {})})


def test_write_from_stdin_matches_the_library(cli, trained_models):
    path = trained_models["char_rnn"][0]
    r = cli("write", "--model", path, "--genre", "fantasy", "-n", 30, "--seed", 3,
            input="The dragon")
    assert r.exit_code == 0, r.output
    params = StoryAssistant.default_params().replace(max_tokens=30, seed=3)
    expected = StoryAssistant(load_cached(path), genre="fantasy").run("The dragon", params)
    assert r.stdout == expected.text + "\n"


def test_write_json_with_memory_note_world_info(cli, trained_models, tmp_path):
    path = trained_models["char_rnn"][0]
    world = tmp_path / "world.yaml"
    world.write_text("- keys: [dragon]\n  content: The dragon is old.\n"
                     "- keys: [ship]\n  content: Ships sink.\n")
    note = tmp_path / "note.txt"
    note.write_text("Be grim.")
    r = cli("write", "The dragon woke.", "--model", path, "--memory", "Aria is a mage.",
            "--authors-note", f"@{note}", "--world-info", world, "-n", 10, "--seed", 1,
            "--json", "--show-context")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["mode"] == "story" and data["prompt"] == "The dragon woke."
    assert data["stats"]["completion_tokens"] == 10
    parts = {p["name"]: p for p in data["context"]["parts"]}
    assert parts["memory"]["text"] == "Aria is a mage.\n"
    assert parts["world_info"]["text"] == "The dragon is old.\n"
    assert "Be grim." in parts["authors_note"]["text"]
    assert data["context"]["prompt_tokens"] == sum(p["tokens"] for p in data["context"]["parts"]
                                                   if p["included"])


def test_show_context_goes_to_stderr(cli, trained_models):
    r = cli("write", "KING:", "--model", trained_models["char_rnn"][0], "-n", 5,
            "--memory", "Notes.", "--show-context")
    assert r.exit_code == 0
    assert "memory" in r.stderr and "prompt tokens" in r.stderr
    assert "memory" not in r.stdout


def test_twist_prints_numbered_suggestions(cli, trained_models):
    path = trained_models["char_rnn"][0]
    r = cli("twist", "The king is dead.", "--model", path, "--count", 2, "-n", 30, "--seed", 4)
    assert r.exit_code == 0, r.output
    params = TwistAssistant.default_params().replace(max_tokens=30, seed=4)
    expected = TwistAssistant(load_cached(path), count=2).run("The king is dead.", params)
    assert r.stdout == expected.text + "\n"
    assert r.stdout.startswith("1. ")
    r = cli("twist", "--model", path, "--count", 2, "-n", 30, "--seed", 4, "--json",
            input="The king is dead.")
    assert json.loads(r.stdout)["candidates"] == expected.candidates


def test_dialogue_prints_name_and_line(cli, trained_models):
    path = trained_models["char_rnn"][0]
    r = cli("dialogue", "--character", "Romeo, a young lover", "--situation", "Night.",
            "--model", path, "--seed", 2, "-n", 40)
    assert r.exit_code == 0, r.output
    params = DialogueAssistant.default_params().replace(max_tokens=40, seed=2)
    expected = DialogueAssistant(load_cached(path)).run("Romeo, a young lover", "Night.",
                                                        params=params)
    assert r.stdout == f'Romeo: "{expected.text}"\n'
    r = cli("dialogue", "-c", "a gruff dwarf", "--name", "Gimli", "--model", path, "--json",
            "-n", 10, input="The gate is shut.")
    data = json.loads(r.stdout)
    assert data["extra"]["name"] == "Gimli" and data["situation"] == "The gate is shut."


def test_code_commands(cli):
    path = code_checkpoint()
    r = cli("code", "write", "return the larger of two numbers", "--model", path, "-n", 60,
            "--seed", 1, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    expected = CodeAssistant(load_cached(path)).write(
        "return the larger of two numbers",
        CodeAssistant.default_params().replace(max_tokens=60, seed=1)).finish()
    assert data["text"] == expected.text and data["extra"]["task"] == "write"

    code = "def add(a, b):\n    return"
    r = cli("code", "complete", "--model", path, "-n", 40, "--seed", 2, input=code)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("def add(a, b):")

    r = cli("code", "explain", "--model", path, "-n", 20, "--json", input=code + " a + b\n")
    data = json.loads(r.stdout)
    assert data["extra"]["task"] == "explain" and data["input"].startswith("def add")


def test_code_group_help_lists_tasks(cli):
    r = cli("code", "--help")
    assert r.exit_code == 0
    for task in ("write", "complete", "explain"):
        assert task in r.stdout


def test_default_model_from_the_data_folder(cli, trained_models, tmp_path):
    shutil.copytree(trained_models["char_rnn"][0], tmp_path / "home" / "models" / "default")
    r = cli("write", "KING:", "-n", 5)
    assert r.exit_code == 0, r.output
    assert len(r.stdout) > 1


@pytest.mark.parametrize("args, message", [
    (["write", "x", "--genre", "elvish"], "unknown genre 'elvish'"),
    (["write", "x", "--world-info", "/nonexistent/w.json"], "world info file not found"),
    (["write", "x", "--temperature", "-1"], "temperature"),
    (["twist", "x", "--count", "0"], "--count 0"),
    (["dialogue", "--character", "Romeo", "--situation", "@/nonexistent/s.txt"], "no such file"),
    (["write", "x", "--memory", "x" * 3000], "memory"),
])
def test_bad_values_are_one_line_and_exit_2(args, message, trained_models):
    model = trained_models["gpt"][0]
    r = run_cli(*args, "--model", model)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_missing_model_explains_how_to_get_one(tmp_path):
    r = run_cli("write", "The dragon", env={"TEXTGEN_HOME": str(tmp_path), "TEXTGEN_MODEL": ""})
    assert r.returncode == 2
    assert "--model" in r.stderr and "textgen train" in r.stderr
    assert str(tmp_path / "models" / "default") in r.stderr


def test_no_input_is_an_error(trained_models):
    r = run_cli("code", "explain", "--model", trained_models["gpt"][0], input="")
    assert r.returncode == 2 and "no code" in r.stderr


def test_shared_sampling_options_change_only_what_was_given():
    from textgen.core import SamplingParams, TextgenError
    from textgen.tui.options import sampling_params

    base = SamplingParams(max_tokens=80, temperature=0.2, stop=["\n\n"])
    assert sampling_params(base) is base
    changed = sampling_params(base, temperature=0.9, beams=2, stop=["END", "\n\n"], seed=None)
    assert (changed.max_tokens, changed.temperature, changed.num_beams) == (80, 0.9, 2)
    assert changed.stop == ["\n\n", "END"]
    with pytest.raises(TextgenError, match="top_p"):
        sampling_params(base, top_p=0)


def test_every_generating_command_has_the_shared_options(cli):
    for command in (["write"], ["twist"], ["dialogue"], ["chat"], ["generate"],
                    ["code", "write"], ["code", "complete"], ["code", "explain"]):
        r = cli(*command, "--help")
        assert r.exit_code == 0, r.output
        for option in ("--max-tokens", "--temperature", "--top-p", "--seed", "--stop"):
            assert option in r.stdout, (command, option)
