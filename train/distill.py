"""Knowledge distillation: a small student learns from a trained teacher.

The loss mixes the teacher's softened distribution with the data:

    alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T))
      + (1 - alpha) * cross_entropy(student, next tokens)

(Hinton et al., 2015; the T^2 keeps the soft-target gradients on the scale
of the hard ones). The student uses the teacher's tokenizer, so both predict
over the same vocabulary. A recurrent teacher carries its own state from one
chunk to the next exactly as a recurrent student does.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from textgen.core.errors import TextgenError
from textgen.train.batches import detach_state


def load_teacher(path: str | Path, device: str = "cpu"):
    """One of our checkpoints, frozen, in eval mode."""
    from textgen.core.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path, device=device)
    ckpt.model.eval()
    for p in ckpt.model.parameters():
        p.requires_grad_(False)
    return ckpt


def check_compatible(teacher, target) -> None:
    t_vocab = teacher.model.config.vocab_size
    s_vocab = target.model.config.vocab_size if hasattr(target, "model") else None
    if s_vocab is not None and s_vocab != t_vocab:
        raise TextgenError(f"the student predicts {s_vocab} tokens but the teacher {t_vocab}; "
                           "a student must use the teacher's tokenizer")


def distillation_loss(student_logits, teacher_logits, targets, temperature: float,
                      alpha: float) -> torch.Tensor:
    vocab = student_logits.shape[-1]
    s = student_logits.float().reshape(-1, vocab)
    t = teacher_logits.float().reshape(-1, vocab)
    hard = F.cross_entropy(s, targets.reshape(-1))
    if alpha == 0:
        return hard
    soft = F.kl_div(F.log_softmax(s / temperature, dim=-1), F.log_softmax(t / temperature, dim=-1),
                    reduction="batchmean", log_target=True) * temperature ** 2
    return alpha * soft + (1 - alpha) * hard


class DistillObjective:
    """The trainer's loss function with a teacher behind it."""

    def __init__(self, teacher, section, recurrent_student: bool):
        self.teacher = teacher.model
        self.temperature, self.alpha = section.temperature, section.alpha
        self.teacher_recurrent = self.teacher.context_length is None
        # state is carried only when batches are consecutive chunks (a recurrent student)
        self.carry = self.teacher_recurrent and recurrent_student
        self.state = None

    def __call__(self, logits, x, y, reset: bool):
        if reset:
            self.state = None
        ctx = self.teacher.context_length
        if ctx is not None and x.shape[1] > ctx:
            raise TextgenError(f"train.seq_len {x.shape[1]} is longer than the teacher's "
                               f"context of {ctx} tokens; lower train.seq_len")
        with torch.no_grad():
            if self.teacher_recurrent:
                teacher_logits, state = self.teacher(x, self.state if self.carry else None)
                self.state = detach_state(state) if self.carry else None
            else:
                teacher_logits, _ = self.teacher(x)
        return distillation_loss(logits, teacher_logits, y, self.temperature, self.alpha)
