"""The layers stay apart and the command line stays light."""
from __future__ import annotations

import subprocess
import sys

UI_PACKAGES = ["textual", "typer", "prompt_toolkit", "rich", "click"]
HEAVY = ["torch", "transformers", "llama_cpp"]


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_core_imports_no_ui_and_no_heavy_libraries():
    loaded = _loaded_after("import textgen.core, textgen.core.sampling, textgen.core.generator, "
                           "textgen.core.backends, textgen.core.checkpoint, textgen.core.tokenizers")
    assert not loaded & set(UI_PACKAGES)
    assert not loaded & set(HEAVY)


def test_core_source_never_names_upper_layers():
    from pathlib import Path

    core = Path(__file__).resolve().parents[1] / "core"
    for file in core.rglob("*.py"):
        text = file.read_text()
        for layer in ("textgen.tui", "textgen.assistants", "textgen.train", "textgen.server"):
            assert layer not in text, f"{file} imports {layer}"
        for pkg in ("textual", "typer", "prompt_toolkit", "rich"):
            assert f"import {pkg}" not in text and f"from {pkg}" not in text, f"{file} imports {pkg}"


def test_help_does_not_import_torch():
    result = subprocess.run([sys.executable, "-X", "importtime", "-c",
                             "from textgen.tui.cli import main; main(['--help'])"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Usage" in result.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "typer" in imported
    assert not imported & set(HEAVY), imported & set(HEAVY)
