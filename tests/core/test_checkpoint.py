"""Checkpoints: atomic writes, clear errors for bad files, no pickle execution."""
from __future__ import annotations

import json
import os
import shutil

import pytest
import torch

from textgen.core.checkpoint import load_checkpoint, save_checkpoint
from textgen.core.errors import TextgenError


def test_folder_layout(trained_models):
    path = trained_models["gpt"][0]
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors", "tokenizer.json"]
    config = json.loads((path / "config.json").read_text())
    assert config["architecture"] == "gpt"
    assert config["format_version"] == 1
    assert config["tokenizer"]["kind"] == "char"
    assert config["model"]["n_layer"] == 2
    assert config["metadata"]["steps"] == 40


def test_crash_mid_save_keeps_old_checkpoint(trained_models, tmp_path):
    good = tmp_path / "ckpt"
    shutil.copytree(trained_models["char_rnn"][0], good)
    ckpt = load_checkpoint(good)
    before = (good / "model.safetensors").read_bytes()

    class ExplodingTokenizer:
        kind = "char"
        vocab_size = ckpt.tokenizer.vocab_size

        def save(self, directory):
            (directory / "tokenizer.json").write_text("{half")
            raise OSError("disk full")

    torch.nn.init.zeros_(ckpt.model.head.weight)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(good, ckpt.model, ExplodingTokenizer(), "char_rnn")
    assert (good / "model.safetensors").read_bytes() == before
    load_checkpoint(good)  # still loads
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]  # no temp folders left


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_truncated_weights(trained_models, tmp_path):
    path = _copy(trained_models["gpt"][0], tmp_path / "m")
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(TextgenError, match=r"model.safetensors: corrupt or truncated"):
        load_checkpoint(path)


def test_garbage_weights(trained_models, tmp_path):
    path = _copy(trained_models["gpt"][0], tmp_path / "m")
    (path / "model.safetensors").write_bytes(os.urandom(300))
    with pytest.raises(TextgenError, match="corrupt or truncated"):
        load_checkpoint(path)


def test_mismatched_config(trained_models, tmp_path):
    path = _copy(trained_models["gpt"][0], tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    config["model"]["n_embd"] = 64
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(TextgenError, match="do not match config.json"):
        load_checkpoint(path)


def test_bad_json_and_missing(trained_models, tmp_path):
    path = _copy(trained_models["gpt"][0], tmp_path / "m")
    (path / "config.json").write_text("{not json")
    with pytest.raises(TextgenError, match="config.json: not valid JSON"):
        load_checkpoint(path)
    with pytest.raises(TextgenError, match="no such file"):
        load_checkpoint(tmp_path / "nothing")
    (path / "config.json").unlink()
    with pytest.raises(TextgenError, match="config.json: missing"):
        load_checkpoint(path)


def test_malicious_pickle_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    bad = tmp_path / "evil.pt"
    torch.save({"architecture": "gpt", "state_dict": Evil()}, bad)
    with pytest.raises(TextgenError, match="refused to load"):
        load_checkpoint(bad)
    assert not marker.exists()


def test_legacy_pt_checkpoint_loads(trained_models, tmp_path):
    ckpt = load_checkpoint(trained_models["gpt"][0])
    legacy = tmp_path / "old.pt"
    from dataclasses import asdict

    torch.save({"architecture": "gpt", "config": asdict(ckpt.model.config),
                "state_dict": ckpt.model.state_dict(),
                "tokenizer": ckpt.tokenizer.to_json_dict()}, legacy)
    loaded = load_checkpoint(legacy)
    x = torch.tensor([ckpt.tokenizer.encode("KING:")])
    with torch.no_grad():
        assert torch.equal(ckpt.model(x)[0], loaded.model(x)[0])
    assert loaded.file_format == "pt"


def test_nanogpt_style_checkpoint(trained_models, tmp_path):
    ckpt = load_checkpoint(trained_models["gpt"][0])
    c = ckpt.model.config
    state = {f"_orig_mod.{k}": v for k, v in ckpt.model.state_dict().items()}
    (tmp_path / "run").mkdir()
    torch.save({"model": state, "model_args": {"n_layer": c.n_layer, "n_head": c.n_head,
                "n_embd": c.n_embd, "block_size": c.context_length, "bias": True,
                "vocab_size": c.vocab_size, "dropout": 0.0}, "iter_num": 5},
               tmp_path / "run" / "ckpt.pt")
    ckpt.tokenizer.save(tmp_path / "run")
    loaded = load_checkpoint(tmp_path / "run" / "ckpt.pt")
    x = torch.tensor([ckpt.tokenizer.encode("KING:")])
    with torch.no_grad():
        assert torch.equal(ckpt.model(x)[0], loaded.model(x)[0])


def test_truncated_pt_file(tmp_path):
    bad = tmp_path / "cut.pt"
    torch.save({"architecture": "gpt", "state_dict": {"w": torch.zeros(1000)}}, bad)
    bad.write_bytes(bad.read_bytes()[:200])
    with pytest.raises(TextgenError, match="cut.pt: corrupt or truncated"):
        load_checkpoint(bad)
