"""What the trainer trains: one of our models, or a Hugging Face causal LM.

The trainer only needs a module called as ``logits, state = module(x,
state)``, the tokenizer, whether the model is recurrent, and two ways to
persist it: ``save(folder, metadata)`` writes a folder that ``textgen
generate --model`` loads, ``load_weights(folder)`` reads one back when a
run resumes. Hugging Face models live in :mod:`textgen.train.hf_target`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ModelTarget:
    """One of our architectures (core/models), saved as a textgen checkpoint."""
    model: object
    tokenizer: object
    architecture: str
    metadata: dict = field(default_factory=dict)

    @property
    def module(self):
        return self.model

    @property
    def recurrent(self) -> bool:
        return self.model.context_length is None

    @property
    def context_length(self) -> int | None:
        return self.model.context_length

    def num_parameters(self) -> int:
        return self.model.num_parameters()

    def describe(self) -> str:
        return f"{self.architecture} ({self.num_parameters():,} parameters)"

    def save(self, folder: Path, metadata: dict) -> None:
        from textgen.core.checkpoint import save_checkpoint

        save_checkpoint(folder, self.model, self.tokenizer, self.architecture,
                        {**self.metadata, **metadata})

    def load_weights(self, folder: Path) -> None:
        from textgen.core.checkpoint import WEIGHTS_FILE, load_weights

        load_weights(self.model, Path(folder) / WEIGHTS_FILE)


def new_model_target(config, tokenizer) -> ModelTarget:
    from textgen.core.errors import TextgenError
    from textgen.core.models import build_model

    settings = dict(config.model.settings)
    try:
        model = build_model(config.model.architecture,
                            {**settings, "vocab_size": tokenizer.vocab_size})
    except (TypeError, ValueError) as e:
        raise TextgenError(f"config: bad model settings for {config.model.architecture} "
                           f"({e})") from None
    return ModelTarget(model, tokenizer, config.model.architecture)


def checkpoint_target(path) -> ModelTarget:
    """A target that continues training one of our checkpoints (its weights and tokenizer)."""
    from textgen.core.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    ckpt.model.train()
    metadata = {k: v for k, v in (ckpt.metadata or {}).items() if k in ("control_codes",)}
    return ModelTarget(ckpt.model, ckpt.tokenizer, ckpt.architecture, metadata)
