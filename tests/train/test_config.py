"""Configs: YAML into typed dataclasses, --set overrides, clear errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from textgen.core.errors import TextgenError
from textgen.train.config import apply_overrides, load_config, save_resolved

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["char_rnn", "lstm", "transformer", "gpt", "gpt_finetune"])
def test_shipped_configs_load_and_build(name):
    config = load_config(CONFIGS / f"{name}.yaml")
    assert config.name == name
    if config.base:                       # a Hugging Face fine-tune: no model section
        assert config.lora.enabled and config.optim.lr == pytest.approx(2e-4)
        return
    from textgen.core.models import build_model

    model = build_model(config.model.architecture, {**config.model.settings, "vocab_size": 65})
    assert model.num_parameters() > 10_000


def test_baby_gpt_settings_are_nanogpts():
    c = load_config(CONFIGS / "gpt.yaml")
    s = c.model.settings
    assert (s["n_layer"], s["n_head"], s["n_embd"], s["context_length"], s["dropout"]) == \
        (4, 4, 128, 64, 0.0)
    assert (c.train.batch_size, c.train.max_steps) == (12, 2000)
    assert (c.optim.lr, c.optim.min_lr, c.data.val_fraction) == (1e-3, 1e-4, 0.1)


def test_yaml_values_are_typed_and_overridable(tmp_path):
    path = write(tmp_path, "model: {architecture: gpt, n_layer: 2}\noptim: {lr: 3e-4}\n")
    config = load_config(path, ["optim.lr=1e-3", "model.n_head=2", "train.precision=bf16",
                                "lora.target_modules=[c_attn, c_proj]", "train.compile=true"])
    assert config.optim.lr == 1e-3 and isinstance(config.optim.lr, float)
    assert config.model.settings == {"n_layer": 2, "n_head": 2}
    assert config.train.precision == "bf16" and config.train.compile is True
    assert config.lora.target_modules == ["c_attn", "c_proj"]
    assert config.name == "run"
    assert load_config(path).optim.lr == 3e-4      # "3e-4" is a string to YAML; typed here


@pytest.mark.parametrize("override, words", [
    ("train.batchsize=3", ["train.batchsize", "did you mean 'train.batch_size'"]),
    ("model.nlayer=3", ["model.nlayer", "'model.n_layer'"]),
    ("optim.lr=fast", ["optim.lr", "float", "'fast'"]),
    ("nonsense=1", ["'nonsense'", "known:"]),
    ("train.max_steps=0", ["train.max_steps", ">= 1"]),
    ("optim.schedule=exponential", ["optim.schedule", "cosine"]),
    ("model.vocab_size=10", ["vocab_size", "tokenizer"]),
    ("novalue", ["key=value"]),
])
def test_bad_overrides_name_the_key(tmp_path, override, words):
    path = write(tmp_path, "model: {architecture: gpt}\n")
    with pytest.raises(TextgenError) as err:
        load_config(path, [override])
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("text, words", [
    ("trian: {max_steps: 3}\n", ["trian", "did you mean 'train'"]),
    ("train: {max_steps: 3, speed: 2}\n", ["train.speed"]),
    ("model: {architecture: gpt, layers: 2}\n", ["model.layers", "gpt"]),
    ("model: {architecture: nope}\n", ["unknown architecture 'nope'"]),
    ("train: [1, 2]\n", ["train must be a mapping"]),
    ("train: {max_steps: 3\n", ["not valid YAML"]),
    ("- a list\n", ["expected a mapping"]),
])
def test_bad_files_are_reported(tmp_path, text, words):
    with pytest.raises(TextgenError) as err:
        load_config(write(tmp_path, text))
    for word in words:
        assert word in str(err.value)
    assert str(write(tmp_path, text)) in str(err.value) or "architecture" in str(err.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(TextgenError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")


def test_resolved_config_round_trips(tmp_path):
    config = load_config(CONFIGS / "char_rnn.yaml", ["train.max_steps=7", "data.path=x.txt"])
    save_resolved(config, tmp_path / "config.yaml")
    again = load_config(tmp_path / "config.yaml")
    assert again == config
    assert apply_overrides(again, ["model.cell=gru"]).model.settings["cell"] == "gru"
