"""The training loop on all four architectures, resuming, and the pieces it
is made of (schedules, accumulation, curriculum, early stopping, precision)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from textgen.core.errors import TextgenError
from textgen.train.run import train_run
from textgen.train.run_folder import RunFolder, read_metrics


def weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.mark.parametrize("arch", ["gpt", "transformer", "char_rnn", "word_lstm"])
def test_every_architecture_learns_and_saves_loadable_checkpoints(arch, make_config, tmp_path):
    from textgen.core import SamplingParams, load

    config = make_config(arch, max_steps=30, eval_interval=10, log_interval=5)
    outcome = train_run(config, tmp_path / "run")
    records = read_metrics(tmp_path / "run" / "metrics.jsonl")
    train = [r["loss"] for r in records if r["event"] == "train"]
    evals = [r for r in records if r["event"] == "eval"]
    assert train[-1] < train[0] - 0.3, train
    assert [r["step"] for r in evals] == [10, 20, 30]
    assert all(r["val_bpc"] > 0 and math.isfinite(r["val_loss"]) for r in evals)
    assert records[-1] == {**records[-1], "event": "end", "step": 30, "reason": "finished"}
    assert outcome.result.best_val_loss == min(r["val_loss"] for r in evals)
    assert (tmp_path / "run" / "config.yaml").is_file()
    for name in ("best", "last"):
        generator = load(tmp_path / "run" / name)
        assert generator.info.architecture == arch
        text = generator.generate("the", SamplingParams(max_tokens=5, seed=1)).text
        assert isinstance(text, str)
    info = json.loads((tmp_path / "run" / "best" / "config.json").read_text())["metadata"]
    assert info["training"]["best_val_loss"] == pytest.approx(outcome.result.best_val_loss)


@pytest.mark.parametrize("arch, extra", [
    ("gpt", {"grad_accum": 2}),            # random windows, dropout, accumulation
    ("char_rnn", {}),                      # truncated BPTT: carried state, dropout
])
def test_resume_after_interrupt_gives_the_same_weights(arch, extra, make_config, tmp_path):
    steps = {"max_steps": 20, "checkpoint_interval": 7, "eval_interval": 5, **extra}
    train_run(make_config(arch, **steps), tmp_path / "straight")

    polls = {"n": 0}

    def stop_after_13() -> bool:
        polls["n"] += 1
        return polls["n"] > 13

    first = train_run(make_config(arch, **steps), tmp_path / "split", should_stop=stop_after_13)
    assert first.result.stop_reason == "interrupted" and first.result.step == 13
    state = json.loads((tmp_path / "split" / "last" / "train_state.json").read_text())
    assert state["step"] == 13
    second = train_run(make_config(arch, **steps), tmp_path / "split", resume=True)
    assert second.result.step == 20 and second.result.stop_reason == "finished"
    a, b = weights(tmp_path / "straight" / "last"), weights(tmp_path / "split" / "last")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    evals = lambda run: [(r["step"], r["val_loss"]) for r in read_metrics(run / "metrics.jsonl")
                         if r["event"] == "eval"]
    assert evals(tmp_path / "split") == evals(tmp_path / "straight")


def test_gradient_accumulation_matches_a_larger_batch(make_config, tmp_path):
    configs = [make_config("transformer", max_steps=4, batch_size=4),
               make_config("transformer", max_steps=4, batch_size=2, grad_accum=2)]
    for config in configs:
        # a large epsilon keeps Adam from blowing rounding noise in gradients that are
        # zero in exact arithmetic (the attention key bias) up to full-size updates
        config.optim.eps, config.optim.lr = 1.0, 1.0
    big = train_run(configs[0], tmp_path / "a")
    accumulated = train_run(configs[1], tmp_path / "b")
    for (name, p), q in zip(big.target.model.named_parameters(),
                            accumulated.target.model.parameters()):
        assert torch.allclose(p, q, atol=1e-6), name
    start = train_run(make_config("transformer", max_steps=1), tmp_path / "c").target.model
    moved = max((p - q).abs().max().item() for p, q in zip(
        big.target.model.parameters(), start.parameters()))
    assert moved > 1e-3            # the updates were real


def test_stream_chunks_continue_where_the_last_chunk_ended():
    from textgen.train.batches import StreamChunks

    data = np.arange(200, dtype=np.uint16)
    streams = StreamChunks(data, batch=4)
    x1, y1, reset1 = streams.next(10)
    x2, y2, reset2 = streams.next(10)
    assert reset1 and not reset2
    assert torch.equal(x2[:, 0], y1[:, -1]) and torch.equal(x1[1], torch.arange(50, 60))
    rank1 = StreamChunks(data, batch=2, rank=1, world=2)
    assert rank1.next(5)[0][0, 0].item() == 100                 # ranks read their own streams


def test_learning_rate_schedules():
    from textgen.train.config import OptimSection
    from textgen.train.optimization import curriculum_seq_len, lr_at

    o = OptimSection(lr=1.0, min_lr=0.1, warmup_steps=9, schedule="cosine")
    assert lr_at(0, o, 109) == pytest.approx(0.1)            # (0 + 1) / (9 + 1)
    assert lr_at(9, o, 109) == pytest.approx(1.0)
    assert lr_at(59, o, 109) == pytest.approx(0.1 + 0.9 * 0.5)  # half way: cos = 0
    assert lr_at(109, o, 109) == pytest.approx(0.1)
    o.schedule = "linear"
    assert lr_at(34, o, 109) == pytest.approx(0.1 + 0.9 * 0.75)
    o.schedule, o.warmup_steps = "constant", 0
    assert lr_at(50, o, 109) == 1.0
    assert [curriculum_seq_len(s, 64, 16, 8) for s in (0, 4, 8, 100)] == [16, 40, 64, 64]
    assert curriculum_seq_len(3, 64, 0, 0) == 64


def test_weight_decay_applies_to_matrices_only():
    from textgen.core.models import build_model
    from textgen.train.config import OptimSection
    from textgen.train.optimization import build_optimizer

    model = build_model("gpt", {"vocab_size": 20, "n_layer": 1, "n_head": 2, "n_embd": 8,
                                "context_length": 8})
    decay, plain = build_optimizer(model, OptimSection(weight_decay=0.1)).param_groups
    assert decay["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decay["params"]) and all(p.dim() == 1 for p in plain["params"])
    assert len(decay["params"]) + len(plain["params"]) == len(list(model.parameters()))


def test_curriculum_grows_the_sequence_length(make_config, tmp_path):
    config = make_config("gpt", max_steps=10, log_interval=1, seq_len=32, curriculum_start=8,
                         curriculum_steps=8)
    train_run(config, tmp_path / "run")
    lengths = [r["seq_len"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl")
               if r["event"] == "train"]
    assert lengths[0] == 8 and lengths[-1] == 32 and lengths == sorted(lengths)


def test_early_stopping_when_validation_stops_improving(make_config, tmp_path):
    config = make_config("gpt", max_steps=40, eval_interval=4, early_stopping_patience=2)
    config.optim.lr = config.optim.min_lr = 1e-12       # the validation loss cannot improve
    outcome = train_run(config, tmp_path / "run")
    assert outcome.result.stop_reason == "early_stop" and outcome.result.step == 12
    assert json.loads((tmp_path / "run" / "last" / "train_state.json").read_text())["step"] == 12


def test_bf16_autocast_trains_on_cpu(make_config, tmp_path):
    outcome = train_run(make_config("gpt", max_steps=6, precision="bf16"), tmp_path / "run")
    assert outcome.precision == "bf16" and math.isfinite(outcome.result.best_val_loss)


def test_fp16_needs_cuda(make_config, tmp_path):
    with pytest.raises(TextgenError, match="fp16 needs a CUDA device"):
        train_run(make_config("gpt", precision="fp16"), tmp_path / "run")


def test_runs_are_never_overwritten_by_accident(make_config, tmp_path):
    with pytest.raises(TextgenError, match="no saved run to resume"):
        train_run(make_config("gpt"), tmp_path / "run", resume=True)
    train_run(make_config("gpt", max_steps=2), tmp_path / "run")
    with pytest.raises(TextgenError, match="already holds a run: pass --resume"):
        train_run(make_config("gpt"), tmp_path / "run")


def test_a_crash_while_saving_never_loses_the_last_checkpoint(tmp_path):
    run = RunFolder(tmp_path)
    with run.writing("last") as folder:
        (folder / "weights").write_text("good")
    with pytest.raises(RuntimeError):
        with run.writing("last") as folder:
            (folder / "weights").write_text("half")
            raise RuntimeError("killed mid-save")
    assert (run.last / "weights").read_text() == "good"
    # a kill between the two renames of a swap: the old folder is put back
    (run.last).rename(tmp_path / ".last.old-999")
    (tmp_path / ".last.tmp-abc").mkdir()
    run.recover()
    assert (run.last / "weights").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]


def test_init_from_continues_one_of_our_checkpoints(trained_models, make_config, tmp_path):
    from textgen.core.checkpoint import load_checkpoint

    source = trained_models["gpt"][0]
    config = make_config("gpt", max_steps=4)
    config.init_from = str(source)                     # the model section no longer applies
    outcome = train_run(config, tmp_path / "run")
    before, after = load_checkpoint(source), load_checkpoint(tmp_path / "run" / "last")
    assert after.tokenizer.pieces() == before.tokenizer.pieces()
    assert after.model.config == before.model.config                 # its shape, not the config's
    assert outcome.result.step == 4
    meta = json.loads((tmp_path / "run" / "last" / "config.json").read_text())["metadata"]
    assert meta["init_from"] == str(source)
    moved = [not torch.equal(p, q) for p, q in zip(before.model.parameters(),
                                                   after.model.parameters())]
    assert any(moved)
