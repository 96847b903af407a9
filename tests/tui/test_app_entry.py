"""`textgen-tui`: its arguments, and that starting it stays light."""
from __future__ import annotations

import subprocess
import sys

import pytest
from test_app_helpers import anyio_backend, tiny_gpt_path, wait_for_model

from textgen.tui.app_entry import build_parser, make_app

assert anyio_backend   # the fixture, imported to run the tests on asyncio


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert "--model" in out and "--mode" in out and "story" in out and "--session" in out


def test_an_unknown_mode_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit:
        make_app(["--mode", "poetry"])
    assert exit.value.code == 2
    assert "invalid choice: 'poetry'" in capsys.readouterr().err


def test_the_entry_module_imports_no_ui_or_model_library():
    code = ("import sys, textgen.tui.app_entry as e; e.build_parser(); "
            "print(' '.join(m for m in ('textual', 'torch', 'transformers', 'llama_cpp') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == ""


@pytest.mark.anyio
async def test_model_and_mode_arguments_open_the_app_in_that_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTGEN_HOME", str(tmp_path))
    model = tiny_gpt_path()
    app = make_app(["--model", str(model), "--mode", "code"])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_model(app, pilot, model)
        assert app.mode == "code"
        assert app.generator.info.path == str(model)
