"""Each architecture learns, saves and loads exactly, and decodes the same with its cache."""
from __future__ import annotations

import pytest
import torch

from conftest import TINY_CONFIGS

ARCHS = list(TINY_CONFIGS)


@pytest.mark.parametrize("arch", ARCHS)
def test_training_lowers_loss(trained_models, arch):
    _, losses = trained_models[arch]
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first - 0.3, (arch, first, last)


@pytest.mark.parametrize("arch", ARCHS)
def test_save_load_identical_logits(trained_models, arch, tmp_path):
    from textgen.core.checkpoint import load_checkpoint, save_checkpoint

    ckpt = load_checkpoint(trained_models[arch][0])
    x = torch.tensor([ckpt.tokenizer.encode("ROMEO: the king is dead, and")[:20]])
    with torch.no_grad():
        before, _ = ckpt.model(x)
    again = save_checkpoint(tmp_path / "copy", ckpt.model, ckpt.tokenizer, arch, ckpt.metadata)
    reloaded = load_checkpoint(again)
    with torch.no_grad():
        after, _ = reloaded.model(x)
    assert torch.equal(before, after)
    assert reloaded.tokenizer.encode("the king") == ckpt.tokenizer.encode("the king")


@pytest.mark.parametrize("arch", ARCHS)
def test_cached_logits_equal_uncached(trained_models, arch):
    from textgen.core.checkpoint import load_checkpoint

    model = load_checkpoint(trained_models[arch][0]).model
    x = torch.randint(0, model.config.vocab_size, (3, 30))
    with torch.no_grad():
        full, _ = model(x)
        state = model.new_state(3)
        parts = []
        logits, state = model(x[:, :11], state)
        parts.append(logits)
        for t in range(11, 30):
            logits, state = model(x[:, t:t + 1], state)
            parts.append(logits)
    stepped = torch.cat(parts, dim=1)
    assert torch.allclose(full, stepped, atol=1e-5), (full - stepped).abs().max()
    assert full.argmax(-1).equal(stepped.argmax(-1))


def test_gpt_parameter_names_match_hf_layout():
    from textgen.core.models import build_model

    model = build_model("gpt", {"vocab_size": 30, "context_length": 16, "n_layer": 1,
                                "n_head": 2, "n_embd": 8})
    names = set(model.state_dict())
    for expected in ["transformer.wte.weight", "transformer.wpe.weight",
                     "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias",
                     "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
                     "transformer.h.0.attn.c_proj.weight", "transformer.h.0.ln_2.weight",
                     "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_proj.bias",
                     "transformer.ln_f.weight", "lm_head.weight"]:
        assert expected in names
    assert model.lm_head.weight is model.transformer.wte.weight
    assert model.state_dict()["transformer.h.0.attn.c_attn.weight"].shape == (24, 8)


def test_unknown_architecture_and_field():
    from textgen.core.errors import TextgenError
    from textgen.core.models import build_model

    with pytest.raises(TextgenError, match="unknown architecture 'gpt5'"):
        build_model("gpt5", {})
    with pytest.raises(TextgenError, match="n_layerz"):
        build_model("gpt", {"n_layerz": 3})
    with pytest.raises(ValueError, match="cell must be"):
        build_model("char_rnn", {"cell": "transformer"})
