"""Exports: Hugging Face folders with equal logits, GGUF files read back into
PyTorch for every architecture, and dynamic int8 with its measured cost."""
from __future__ import annotations

import pytest
import torch

from conftest import TINY_CONFIGS
from textgen.core import SamplingParams, TextgenError, load
from textgen.core.checkpoint import load_checkpoint
from tiny_bpe_gpt import bpe_gpt_checkpoint, held_out_text


def _logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids]))[0][0]


def _sample_ids(tokenizer, chars: int = 60) -> list[int]:
    text = held_out_text(400)
    if tokenizer.kind == "char":
        text = "".join(c for c in text if c in tokenizer.stoi)
    return tokenizer.encode(text)[:chars]


# --- Hugging Face ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hf_exports(tmp_path_factory, trained_models):
    from textgen.core.export.hf_export import export_hf

    root = tmp_path_factory.mktemp("hf")
    sources = {"char": trained_models["gpt"][0], "bpe": bpe_gpt_checkpoint()}
    return {kind: (source, export_hf(load_checkpoint(source), root / kind))
            for kind, source in sources.items()}


@pytest.mark.parametrize("kind", ["char", "bpe"])
def test_hf_folder_gives_the_same_tokens_and_logits(hf_exports, kind):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source, folder = hf_exports[kind]
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in folder.iterdir()}
    checkpoint = load_checkpoint(source)
    hf_tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    hf_model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True)
    assert type(hf_model).__name__ == "GPT2LMHeadModel"
    text = held_out_text(1500)
    if kind == "char":
        text = "".join(c for c in text if c in checkpoint.tokenizer.stoi) + "<|endoftext|>"
    ids = checkpoint.tokenizer.encode(text)
    assert hf_tok.encode(text) == ids
    assert hf_tok.decode(ids) == text
    window = ids[:64]
    with torch.no_grad():
        theirs = hf_model(torch.tensor([window])).logits[0]
    assert torch.allclose(theirs, _logits(checkpoint.model, window), atol=1e-4)


@pytest.mark.parametrize("kind", ["char", "bpe"])
def test_hf_backend_continues_like_the_original(hf_exports, kind):
    source, folder = hf_exports[kind]
    ours, theirs = load(source), load(folder)
    assert theirs.info.backend == "hf" and theirs.info.architecture == "gpt2"
    params = SamplingParams(max_tokens=90, temperature=0, ignore_eos=True)   # slides past 64
    a = [e.token_id for e in ours.stream("ROMEO:", params) if e.token_id >= 0]
    b = [e.token_id for e in theirs.stream("ROMEO:", params) if e.token_id >= 0]
    assert a == b


def test_hf_export_refuses_other_architectures(trained_models, tmp_path):
    from textgen.core.export.hf_export import export_hf

    with pytest.raises(TextgenError, match="only GPT"):
        export_hf(load_checkpoint(trained_models["char_rnn"][0]), tmp_path / "x")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(TextgenError, match="not empty"):
        export_hf(load_checkpoint(trained_models["gpt"][0]), tmp_path / "busy")
    source = trained_models["gpt"][0]    # never over the checkpoint it came from
    with pytest.raises(TextgenError, match="not empty"):
        export_hf(load_checkpoint(source), source)
    assert (source / "tokenizer.json").is_file()


def test_bias_free_gpt_exports_with_zero_biases(tmp_path, trained_models):
    from transformers import AutoModelForCausalLM

    from textgen.core.checkpoint import Checkpoint
    from textgen.core.export.hf_export import export_hf
    from textgen.core.models import build_model

    tok = load_checkpoint(trained_models["gpt"][0]).tokenizer
    torch.manual_seed(3)
    model = build_model("gpt", {**TINY_CONFIGS["gpt"], "vocab_size": tok.vocab_size, "bias": False})
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.2)
    export_hf(Checkpoint(model.eval(), tok, "gpt", tmp_path / "src"), tmp_path / "hf")
    hf_model = AutoModelForCausalLM.from_pretrained(str(tmp_path / "hf"), local_files_only=True)
    ids = _sample_ids(tok)
    with torch.no_grad():
        theirs = hf_model(torch.tensor([ids])).logits[0]
    assert torch.allclose(theirs, _logits(model, ids), atol=1e-4)


# --- GGUF read back into PyTorch ---------------------------------------------------------

TOLERANCE = {"f32": 1e-6, "f16": 5e-3, "q8_0": 5e-2, "q4_0": 0.5}


@pytest.mark.parametrize("arch", ["char_rnn", "word_lstm", "transformer", "gpt"])
@pytest.mark.parametrize("quant", ["f32", "f16", "q8_0", "q4_0"])
def test_gguf_round_trip_into_pytorch(trained_models, tmp_path, arch, quant):
    from textgen.core.export.gguf_export import export_gguf
    from textgen.core.export.gguf_reader import load_gguf_checkpoint

    checkpoint = load_checkpoint(trained_models[arch][0])
    result = export_gguf(checkpoint, tmp_path / f"{arch}.gguf", quant)
    assert result.flavour == ("gpt2" if arch == "gpt" else f"textgen.{arch}")
    back = load_gguf_checkpoint(result.path)
    assert back.architecture == arch and back.file_format == "gguf"
    assert back.model.config == checkpoint.model.config
    assert back.tokenizer.to_json_dict() == checkpoint.tokenizer.to_json_dict()
    assert back.metadata == checkpoint.metadata
    ids = _sample_ids(checkpoint.tokenizer)
    diff = (_logits(back.model, ids) - _logits(checkpoint.model, ids)).abs().max().item()
    assert diff < TOLERANCE[quant], f"{arch} {quant}: max logit difference {diff}"
    if quant in ("q8_0", "q4_0"):
        divisible = any(p.dim() == 2 and p.shape[1] % 32 == 0
                        for p in checkpoint.model.parameters())
        assert (quant in result.report.types.values()) == divisible
        assert all(t in (quant, "f16", "f32") for t in result.report.types.values())
        # every fallback says why (rows of 48 values do not fill 32-value blocks)
        for name, why in result.report.fallbacks.items():
            assert "multiple of 32" in why and result.report.types[name] == "f16"


@pytest.mark.parametrize("arch", ["char_rnn", "word_lstm", "transformer"])
def test_custom_gguf_runs_through_load(trained_models, tmp_path, arch):
    from textgen.core.export.gguf_export import export_gguf

    source = trained_models[arch][0]
    path = export_gguf(load_checkpoint(source), tmp_path / f"{arch}.gguf", "f32").path
    g = load(path)
    assert g.info.backend == "torch" and g.info.file_format == "gguf"
    params = SamplingParams(max_tokens=30, temperature=0)
    assert g.generate("KING:", params).text == load(source).generate("KING:", params).text


def test_gguf_model_can_be_trained_and_exported_again(tmp_path):
    from textgen.core.export.gguf_export import export_gguf
    from textgen.core.export.gguf_reader import load_gguf_checkpoint
    from textgen.core.export.hf_export import export_hf

    first = export_gguf(load_checkpoint(bpe_gpt_checkpoint()), tmp_path / "m.gguf", "q8_0").path
    checkpoint = load_gguf_checkpoint(first)
    model = checkpoint.model.train()
    ids = torch.tensor([checkpoint.tokenizer.encode(held_out_text(500))[:65]])
    logits, _ = model(ids[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits[0], ids[0, 1:])
    loss.backward()
    assert model.transformer.wte.weight.grad is not None
    model.eval()
    again = export_gguf(checkpoint, tmp_path / "again.gguf", "f16")
    assert load(again.path).info.architecture == "gpt2"
    assert (export_hf(checkpoint, tmp_path / "hf") / "config.json").is_file()


def test_reader_refuses_foreign_and_damaged_files(tmp_path):
    import gguf
    import numpy as np

    from textgen.core.export.gguf_reader import load_gguf_checkpoint

    foreign = tmp_path / "foreign.gguf"
    writer = gguf.GGUFWriter(str(foreign), "llama")
    writer.add_tensor("token_embd.weight", np.zeros((4, 32), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(TextgenError, match="not written by textgen"):
        load_gguf_checkpoint(foreign)
    with pytest.raises(TextgenError, match="no such file"):
        load_gguf_checkpoint(tmp_path / "missing.gguf")
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(foreign.read_bytes()[:-40])
    with pytest.raises(TextgenError, match="truncated"):
        load_gguf_checkpoint(cut)


def test_unknown_quantization_is_refused(trained_models, tmp_path):
    from textgen.core.export.gguf_export import export_gguf

    with pytest.raises(TextgenError, match="unknown quantization"):
        export_gguf(load_checkpoint(trained_models["gpt"][0]), tmp_path / "x.gguf", "q2_k")
    assert not (tmp_path / "x.gguf").exists()


# --- dynamic int8 -----------------------------------------------------------------------

@pytest.mark.parametrize("arch", ["gpt", "word_lstm"])
def test_dynamic_int8_report_and_saved_marker(trained_models, tmp_path, arch, capsys):
    from textgen.core.export.int8_report import measure_int8, save_int8_checkpoint

    checkpoint = load_checkpoint(trained_models[arch][0])
    text = held_out_text(3000)
    if arch != "word_lstm":
        text = "".join(c for c in text if c in checkpoint.tokenizer.stoi)
    report = measure_int8(checkpoint, text, max_tokens=1500, speed_tokens=60)
    with capsys.disabled():
        print(f"\n  {arch} int8: " + "; ".join(report.lines("held-out text")))
    assert report.tokens_per_second_before > 0 and report.tokens_per_second_after > 0
    assert abs(report.perplexity_change) < 0.05
    assert report.agreement > 0.9
    saved = save_int8_checkpoint(checkpoint, tmp_path / "int8")
    g = load(saved)
    assert g.info.quantization == "dynamic-int8"
    assert g.info.parameters == checkpoint.model.num_parameters()
    assert any("quantized" in type(m).__module__ for m in g.model.modules())
    r = g.generate("KING:", SamplingParams(max_tokens=20, temperature=0, ignore_eos=True))
    assert r.stats.completion_tokens == 20
