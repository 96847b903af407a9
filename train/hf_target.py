"""Fine-tuning a Hugging Face causal LM: fully, or with LoRA adapters (peft).

The base is a local model folder, or a hub name such as ``gpt2`` for a user
with internet (nothing is downloaded for a local folder). A checkpoint of
such a run is a plain Hugging Face folder that ``textgen generate --model``
and the exporters load: with LoRA the adapters are merged into a copy of the
base weights for it, and the adapters themselves are kept in ``adapter/``
(the weights a resumed run reloads). The base model on disk is never written.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from textgen.core.errors import TextgenError

ADAPTER_DIR = "adapter"
TRAINING_FILE = "textgen_training.json"


class HFTrainModule(nn.Module):
    """``logits, None = module(idx)``: the trainer's calling convention."""

    def __init__(self, hf_model):
        super().__init__()
        self.hf = hf_model

    def forward(self, idx, state=None):
        return self.hf(input_ids=idx, use_cache=False).logits, None


@dataclass
class HFTarget:
    hf_model: object              # a transformers model, or a peft model around it
    tokenizer: object             # textgen HFTokenizer
    lora: bool
    base: str

    def __post_init__(self):
        from textgen.core.backends.hf_model import context_length_of

        self._module = HFTrainModule(self.hf_model)
        self._context = context_length_of(self._base_model().config)

    module = property(lambda self: self._module)
    recurrent = False
    context_length = property(lambda self: self._context)

    def _base_model(self):
        return self.hf_model.get_base_model() if self.lora else self.hf_model

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self._base_model().parameters())

    def trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.hf_model.parameters() if p.requires_grad)

    def describe(self) -> str:
        kind = self._base_model().config.model_type
        how = (f"LoRA, {self.trainable_parameters():,} trainable" if self.lora
               else "full fine-tuning")
        return f"Hugging Face {kind} from {self.base} ({self.num_parameters():,} parameters, {how})"

    def resize_for(self, tokenizer) -> None:
        """Room for control codes the data added to the tokenizer."""
        model = self._base_model()
        rows = model.get_input_embeddings().weight.shape[0]
        if len(tokenizer.hf) > rows:
            model.resize_token_embeddings(len(tokenizer.hf))

    def merged_model(self):
        """A plain transformers model with the adapters folded in (a copy)."""
        if not self.lora:
            return self.hf_model
        return copy.deepcopy(self.hf_model).merge_and_unload()

    def save(self, folder: Path, metadata: dict) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.merged_model().save_pretrained(str(folder))
        if self.lora:
            self.hf_model.save_pretrained(str(folder / ADAPTER_DIR))
        self.tokenizer.hf.save_pretrained(str(folder))
        info = {**metadata, "base": self.base, "lora": self.lora}
        (folder / TRAINING_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")

    def load_weights(self, folder: Path) -> None:
        from safetensors.torch import load_file

        folder = Path(folder)
        if self.lora:
            from peft import set_peft_model_state_dict

            weights = folder / ADAPTER_DIR / "adapter_model.safetensors"
            if not weights.is_file():
                raise TextgenError(f"{weights}: missing LoRA adapter weights")
            set_peft_model_state_dict(self.hf_model, load_file(str(weights)))
            return
        weights = folder / "model.safetensors"
        if not weights.is_file():
            raise TextgenError(f"{weights}: missing weights")
        missing, unexpected = self.hf_model.load_state_dict(load_file(str(weights)), strict=False)
        tied = set(getattr(self.hf_model, "_tied_weights_keys", None) or [])
        if unexpected or [k for k in missing if k not in tied and "lm_head" not in k]:
            raise TextgenError(f"{weights}: weights do not match the base model")


def load_hf_base(base: str):
    """(model, tokenizer) from a local folder, or from the hub for a model name."""
    import os

    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    path = Path(base).expanduser()
    local = path.is_dir()
    if not local and (base.startswith((".", "/", "~")) or os.sep in base.strip("/")
                      and path.parent.exists()):
        raise TextgenError(f"{base}: no such model folder")
    source = str(path) if local else base
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
        model = AutoModelForCausalLM.from_pretrained(source, local_files_only=local,
                                                     dtype=torch.float32,
                                                     trust_remote_code=False)
    except Exception as e:
        where = "the folder" if local else "the Hugging Face hub (needs internet)"
        raise TextgenError(f"{base}: could not load a causal language model from {where} "
                           f"({type(e).__name__}: {str(e).splitlines()[0][:160]})") from None
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def hf_target(base: str, lora_section) -> HFTarget:
    from textgen.core.tokenizers.hf import HFTokenizer

    model, tokenizer = load_hf_base(base)
    model.train()
    if lora_section.enabled:
        model = add_lora(model, lora_section)
    return HFTarget(model, HFTokenizer(tokenizer, base), lora_section.enabled, base)


def add_lora(model, lora_section):
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        raise TextgenError("LoRA needs the `peft` package: pip install peft") from None
    config = LoraConfig(r=lora_section.r, lora_alpha=lora_section.alpha,
                        lora_dropout=lora_section.dropout,
                        # default: every linear projection (attention and MLP), not the head
                        target_modules=lora_section.target_modules or "all-linear",
                        task_type="CAUSAL_LM")
    import warnings

    try:
        with warnings.catch_warnings():
            # GPT-2's Conv1D layers: peft switches fan_in_fan_out on by itself and says so
            warnings.filterwarnings("ignore", message=".*fan_in_fan_out.*")
            warnings.filterwarnings("ignore", category=FutureWarning)
            return get_peft_model(model, config)
    except ValueError as e:
        raise TextgenError(f"LoRA: {str(e).splitlines()[0][:200]} (set lora.target_modules to "
                           "the names of this model's projection layers)") from None


def merge_lora(base: str, adapter: str | Path, out: str | Path) -> Path:
    """Fold a saved LoRA adapter into its base model and write a plain folder."""
    from peft import PeftModel

    model, tokenizer = load_hf_base(base)
    adapter = Path(adapter)
    if not (adapter / "adapter_config.json").is_file():
        raise TextgenError(f"{adapter}: not a LoRA adapter folder (no adapter_config.json)")
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    out = Path(out)
    merged.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out
