"""Fine-tuning: our checkpoints, and tiny Hugging Face GPT-2 models built
here (random weights, a tokenizer trained in the test) fully and with LoRA."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from textgen.core.errors import TextgenError
from textgen.train.finetune import finetune

FT_TEXT_START = 300_000          # text the session's tiny models never saw


def digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def loss_on(path, text: str) -> float:
    from textgen.core import load
    from textgen.train.evaluation import likelihood

    return likelihood(load(path), text)["loss"]


@pytest.fixture(scope="module")
def new_text(shakespeare_text) -> str:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "tinyshakespeare.txt"
    return shared.read_text(encoding="utf-8")[FT_TEXT_START:FT_TEXT_START + 6000]


@pytest.fixture(scope="module")
def hf_gpt2(tmp_path_factory, shakespeare_text) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.train_from_iterator([shakespeare_text[:30_000]], trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|endoftext|>",
                                  eos_token="<|endoftext|>")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_positions=64, n_embd=32,
                                       n_layer=2, n_head=2, bos_token_id=tok.eos_token_id,
                                       eos_token_id=tok.eos_token_id))
    folder = tmp_path_factory.mktemp("hf") / "tiny-gpt2"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("arch", ["gpt", "char_rnn"])
def test_our_checkpoint_learns_the_new_text_and_stays_untouched(arch, trained_models, new_text,
                                                                tmp_path):
    original = trained_models[arch][0]
    before_files = digest(original)
    reports = []
    out = finetune(original, new_text, tmp_path / "ft", epochs=3, seq_len=64, lr=3e-3,
                   progress=lambda **kw: reports.append(kw))
    assert out == tmp_path / "ft" and (out / "config.json").is_file()
    assert digest(original) == before_files
    assert loss_on(out, new_text) < loss_on(original, new_text) - 0.05
    assert reports[-1]["step"] == reports[-1]["total"] and reports[-1]["epochs"] == 3
    assert reports[-1]["epoch"] == pytest.approx(3, abs=0.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ft"]        # no work folder left


def test_a_text_file_and_max_steps(trained_models, new_text, tmp_path):
    data = tmp_path / "notes.txt"
    data.write_text(new_text, encoding="utf-8")
    reports = []
    finetune(trained_models["gpt"][0], data, tmp_path / "ft", epochs=5, max_steps=3,
             progress=lambda **kw: reports.append(kw))
    assert [r["step"] for r in reports] == [1, 2, 3] and reports[0]["total"] == 3


def test_cancelling_writes_nothing(trained_models, new_text, tmp_path):
    calls = []
    result = finetune(trained_models["gpt"][0], new_text, tmp_path / "ft", epochs=50,
                      progress=lambda **kw: calls.append(kw), should_stop=lambda: len(calls) >= 2)
    assert result is None and len(calls) == 2
    assert list(tmp_path.iterdir()) == []


def test_refuses_unsafe_destinations(trained_models, new_text, tmp_path):
    original = trained_models["gpt"][0]
    with pytest.raises(TextgenError, match="must not be written into the original"):
        finetune(original, new_text, original / "copy")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    with pytest.raises(TextgenError, match="not empty"):
        finetune(original, new_text, tmp_path / "taken")
    with pytest.raises(TextgenError, match="no such file"):
        finetune(tmp_path / "absent", new_text, tmp_path / "ft")


@pytest.mark.parametrize("lora", [False, True])
def test_hugging_face_full_and_lora_lower_the_loss(lora, hf_gpt2, new_text, tmp_path):
    from textgen.core import SamplingParams, load

    before_files = digest(hf_gpt2)
    out = finetune(hf_gpt2, new_text, tmp_path / "ft", epochs=4, lora=lora, seq_len=64,
                   lr=1e-2 if lora else 3e-3)
    assert digest(hf_gpt2) == before_files
    before, after = loss_on(hf_gpt2, new_text), loss_on(out, new_text)
    # a random-weight base moves slowly through low-rank adapters alone
    assert after < before - (0.05 if lora else 0.2), (before, after)
    generator = load(out)                          # a plain HF folder: merged, loadable
    assert generator.info.backend == "hf"
    assert generator.generate("The", SamplingParams(max_tokens=4, seed=0)).text
    assert (out / "adapter" / "adapter_config.json").is_file() == lora


def test_lora_merge_for_export(hf_gpt2, new_text, tmp_path):
    from safetensors.torch import load_file

    from textgen.train.hf_target import merge_lora

    out = finetune(hf_gpt2, new_text, tmp_path / "ft", lora=True, max_steps=3, seq_len=32,
                   lr=1e-2)
    merged = merge_lora(str(hf_gpt2), out / "adapter", tmp_path / "merged")
    a, b = load_file(str(out / "model.safetensors")), load_file(str(merged / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    base = load_file(str(hf_gpt2 / "model.safetensors"))
    assert any(not torch.equal(base[k], b[k]) for k in base if "c_attn" in k)
    with pytest.raises(TextgenError, match="not a LoRA adapter folder"):
        merge_lora(str(hf_gpt2), tmp_path, tmp_path / "again")


def test_hf_lora_run_resumes_exactly(hf_gpt2, text_file, tmp_path):
    from safetensors.torch import load_file

    from textgen.train.config import config_from_dict
    from textgen.train.run import train_run

    def config():
        return config_from_dict({
            "name": "lora", "base": str(hf_gpt2), "lora": {"enabled": True, "r": 4},
            "data": {"path": str(text_file)},
            "train": {"max_steps": 8, "batch_size": 2, "seq_len": 32, "eval_interval": 4,
                      "eval_batches": 2, "checkpoint_interval": 3},
            "optim": {"lr": 1e-2, "warmup_steps": 1}}).validate()

    train_run(config(), tmp_path / "straight")
    polls = {"n": 0}

    def stop() -> bool:
        polls["n"] += 1
        return polls["n"] > 5

    assert train_run(config(), tmp_path / "split", should_stop=stop).result.step == 5
    train_run(config(), tmp_path / "split", resume=True)
    name = "last/adapter/adapter_model.safetensors"
    a, b = load_file(str(tmp_path / "straight" / name)), load_file(str(tmp_path / "split" / name))
    assert all(torch.equal(a[k], b[k]) for k in a)
