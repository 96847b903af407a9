"""Knowledge distillation: the loss by hand, and a student trained from a teacher."""
from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F

from textgen.core.errors import TextgenError
from textgen.train.distill import distillation_loss


def test_distillation_loss_matches_the_formula():
    torch.manual_seed(0)
    student, teacher = torch.randn(2, 3, 5), torch.randn(2, 3, 5)
    targets = torch.randint(0, 5, (2, 3))
    T, alpha = 2.0, 0.3
    p_teacher = F.softmax(teacher.reshape(-1, 5) / T, dim=-1)
    log_p_student = F.log_softmax(student.reshape(-1, 5) / T, dim=-1)
    kl = (p_teacher * (p_teacher.log() - log_p_student)).sum(-1).mean()
    hard = F.cross_entropy(student.reshape(-1, 5), targets.reshape(-1))
    expected = alpha * T * T * kl + (1 - alpha) * hard
    assert distillation_loss(student, teacher, targets, T, alpha).item() == \
        pytest.approx(expected.item(), rel=1e-5)
    assert distillation_loss(student, teacher, targets, T, 0.0).item() == \
        pytest.approx(hard.item(), rel=1e-6)
    # a student that already matches the teacher pays only the hard part
    assert distillation_loss(teacher, teacher, targets, T, 0.5).item() == pytest.approx(
        0.5 * F.cross_entropy(teacher.reshape(-1, 5), targets.reshape(-1)).item(), abs=1e-5)


def _student_config(text_file, arch="gpt", **train):
    from textgen.train.config import config_from_dict

    models = {"gpt": {"architecture": "gpt", "n_layer": 1, "n_head": 2, "n_embd": 16,
                      "context_length": 32},
              "char_rnn": {"architecture": "char_rnn", "cell": "gru", "embedding_dim": 8,
                           "hidden_size": 16, "n_layers": 1}}
    return config_from_dict({
        "name": "student", "model": models[arch], "data": {"path": str(text_file)},
        "train": {"max_steps": 30, "batch_size": 4, "seq_len": 32, "eval_interval": 10,
                  "eval_batches": 4, "log_interval": 5, "checkpoint_interval": 10, **train},
        "optim": {"lr": 3e-3, "warmup_steps": 2}, "distill": {"temperature": 2.0, "alpha": 0.7},
    }).validate()


@pytest.mark.parametrize("arch", ["gpt", "char_rnn"])
def test_student_learns_from_teacher(arch, trained_models, text_file, tmp_path):
    from textgen.core import load
    from textgen.train.run import train_run
    from textgen.train.run_folder import read_metrics

    teacher_path = trained_models["gpt"][0]
    outcome = train_run(_student_config(text_file, arch), tmp_path / "run",
                        teacher_path=str(teacher_path))
    records = read_metrics(tmp_path / "run" / "metrics.jsonl")
    losses = [r["loss"] for r in records if r["event"] == "train"]
    assert losses[-1] < losses[0] - 0.3
    student = load(tmp_path / "run" / "best")
    teacher = load(teacher_path)
    assert student.tokenizer.pieces() == teacher.tokenizer.pieces()   # the teacher's vocabulary
    assert student.info.parameters < teacher.info.parameters
    meta = json.loads((tmp_path / "run" / "best" / "config.json").read_text())["metadata"]
    assert meta["distilled_from"] == str(teacher_path)
    assert math.isfinite(outcome.result.best_val_loss)


def test_student_context_must_fit_the_teacher(trained_models, text_file, tmp_path):
    from textgen.train.run import train_run

    config = _student_config(text_file, "char_rnn", seq_len=100)   # teacher context: 64
    with pytest.raises(TextgenError, match="longer than the teacher's context"):
        train_run(config, tmp_path / "run", teacher_path=str(trained_models["gpt"][0]))
