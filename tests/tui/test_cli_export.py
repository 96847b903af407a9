"""`textgen export` and `textgen quantize` as a user runs them."""
from __future__ import annotations

import subprocess
import sys

from textgen.core import SamplingParams, load


def run_cli(*args):
    """A real `textgen` process, as a user starts it."""
    return subprocess.run([sys.executable, "-m", "textgen.tui.cli", *args], capture_output=True,
                          text=True, timeout=300)


def run_in_process(capsys, *args):
    """The same entry point without a new interpreter (saves the torch import)."""
    from textgen.tui.cli import main

    code = 0
    try:
        main(list(args))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def _error_line(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_export_hf_then_generate_from_it(trained_models, tmp_path):
    source = trained_models["gpt"][0]
    out = tmp_path / "gpt-hf"
    r = run_cli("export", str(source), "--format", "hf", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "GPT2LMHeadModel" in r.stdout
    params = SamplingParams(max_tokens=25, temperature=0)
    assert load(out).generate("KING:", params).text == load(source).generate("KING:", params).text


def test_export_gguf_with_quantization_and_default_name(trained_models, tmp_path):
    import shutil

    source = shutil.copytree(trained_models["transformer"][0], tmp_path / "story")
    r = run_cli("export", str(source), "--format", "gguf", "--quant", "q8_0")
    assert r.returncode == 0, r.stderr
    target = tmp_path / "story-q8_0.gguf"
    assert target.is_file()
    assert "textgen.transformer" in r.stdout and "q8_0" in r.stdout
    assert "kept as float" in r.stdout          # rows of 48 values cannot be quantized: said so
    g = load(target)
    assert g.info.file_format == "gguf"
    assert g.generate("KING:", SamplingParams(max_tokens=10, temperature=0)).stats.completion_tokens == 10


def test_export_gpt_gguf_runs_in_llama_cpp(trained_models, tmp_path):
    out = tmp_path / "gpt.gguf"
    r = run_cli("export", str(trained_models["gpt"][0]), "-f", "gguf", "-q", "f16", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "llama.cpp" in r.stdout
    assert load(out).info.backend == "gguf"


def test_export_errors_are_one_line(trained_models, tmp_path, capsys):
    run = lambda *args: run_in_process(capsys, *args)  # noqa: E731
    line = _error_line(run_cli("export", str(trained_models["char_rnn"][0]), "--format", "hf",
                               "--out", str(tmp_path / "x")))
    assert "only GPT" in line
    line = _error_line(run("export", str(tmp_path / "missing"), "--format", "gguf"))
    assert "no such file" in line
    line = _error_line(run("export", str(trained_models["gpt"][0]), "--format", "onnx"))
    assert "--format" in line
    line = _error_line(run("export", str(trained_models["gpt"][0]), "--format", "gguf",
                           "--quant", "q3"))
    assert "--quant" in line


def test_quantize_reports_and_saves(trained_models, tmp_path, shakespeare_text):
    data = tmp_path / "eval.txt"
    data.write_text(shakespeare_text[:3000], encoding="utf-8")
    out = tmp_path / "int8"
    r = run_cli("quantize", str(trained_models["gpt"][0]), "--int8", "--data", str(data),
                "--out", str(out), "--eval-tokens", "1000", "--speed-tokens", "40")
    assert r.returncode == 0, r.stderr
    assert "tokens/s" in r.stdout and "perplexity on" in r.stdout and str(out) in r.stdout
    assert load(out).info.quantization == "dynamic-int8"


def test_quantize_with_builtin_sample_and_errors(trained_models, tmp_path, capsys):
    run = lambda *args: run_in_process(capsys, *args)  # noqa: E731
    r = run("quantize", str(trained_models["word_lstm"][0]), "--int8", "--speed-tokens", "40")
    assert r.returncode == 0, r.stderr
    assert "built-in sample" in r.stdout
    assert "--int8" in _error_line(run("quantize", str(trained_models["gpt"][0])))
    assert "no such file" in _error_line(run("quantize", str(trained_models["gpt"][0]),
                                             "--int8", "--data", str(tmp_path / "nope.txt")))
