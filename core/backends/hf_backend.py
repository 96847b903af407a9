"""Local Hugging Face causal-LM folders (config + weights + tokenizer), offline.

The model runs through our own decode loop (model_decode.py) via an adapter
(hf_model.py), so streaming, log-probabilities, every SamplingParams step
and beam search behave exactly as with our PyTorch checkpoints. Nothing is
downloaded: `local_files_only=True` and HF_HUB_OFFLINE; no code from the
folder is ever executed (`trust_remote_code` stays off).

Tokens: prompts are encoded without special tokens (so `count_tokens` counts
the text only); a model whose tokenizer normally starts with BOS gets it
added by the loop. Several end-of-sequence ids (generation_config lists)
all end a reply.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Sequence

from textgen.core.backends.model_decode import ModelDecodeLoop
from textgen.core.errors import TextgenError
from textgen.core.generator import Generator, ModelInfo, RawToken, TokenStream
from textgen.core.sampling import SamplingParams


# transformers 5 builds an empty tokenizer from config.json alone; insist on real files
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model", "vocab.txt")


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class HFGenerator(ModelDecodeLoop, Generator):
    backend_name = "hf"

    def __init__(self, hf_model, hf_tokenizer, path: Path):
        from textgen.core.backends.hf_model import HFCausalLM
        from textgen.core.tokenizers.hf import HFTokenizer

        self.path = path
        self.model = HFCausalLM(hf_model)
        self.hf_model = hf_model
        self.tokenizer = HFTokenizer(hf_tokenizer, str(path))
        self._eos, self._stop_ids = _eos_ids(hf_model, hf_tokenizer)
        self._bos = hf_tokenizer.bos_token_id
        self._add_bos = self._bos is not None and _adds_bos(hf_tokenizer)
        config = hf_model.config
        dtype = str(next(hf_model.parameters()).dtype).replace("torch.", "")
        self.info = ModelInfo(
            path=str(path), backend=self.backend_name,
            architecture=getattr(config, "model_type", "?"),
            parameters=self.model.num_parameters(), vocab_size=self.model.config.vocab_size,
            context_length=self.model.context_length, file_format="hf", quantization=dtype,
            tokenizer="hf",
            extra={"architectures": list(getattr(config, "architectures", None) or [])},
        )

    # --- loading -------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, dtype: str = "float32", **options) -> "HFGenerator":
        _offline()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        path = Path(path).expanduser()
        if not (path / "config.json").is_file():
            raise TextgenError(f"{path}: not a Hugging Face model folder (no config.json)")
        torch_dtype = getattr(torch, dtype, None)
        if not isinstance(torch_dtype, torch.dtype):
            raise TextgenError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16")
        if not any((path / name).is_file() for name in TOKENIZER_FILES):
            raise TextgenError(f"{path}: no tokenizer files in the folder (expected one of "
                               f"{', '.join(TOKENIZER_FILES)})")
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except Exception as e:
            raise TextgenError(f"{path}: no usable tokenizer in the folder "
                               f"({type(e).__name__}: {_first_line(e)})") from None
        try:
            model = AutoModelForCausalLM.from_pretrained(
                str(path), local_files_only=True, dtype=torch_dtype, trust_remote_code=False)
        except Exception as e:
            raise TextgenError(f"{path}: transformers could not load the model "
                               f"({type(e).__name__}: {_first_line(e)})") from None
        return cls(model, tokenizer, path)

    def close(self) -> None:
        self.hf_model = None
        self.model = None

    # --- tokens --------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text) if text else []

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(ids)

    def _piece(self, token_id: int) -> str:
        return self.tokenizer.id_to_piece(token_id)

    @property
    def eos_id(self) -> int | None:
        return self._eos

    @property
    def chat_template(self) -> str | None:
        return self.tokenizer.chat_template or None

    def apply_chat_template(self, messages: list[dict]) -> str:
        if not self.chat_template:
            raise TextgenError(f"{self.path}: the tokenizer has no chat template "
                               "(tokenizer_config.json has no chat_template); use completion mode")
        try:
            prompt = self.tokenizer.apply_chat_template(messages)
        except TextgenError:
            raise
        except Exception as e:
            raise TextgenError(f"{self.path}: its chat template failed ({_first_line(e)})") from None
        bos = self.tokenizer.hf.bos_token
        if self._add_bos and bos and prompt.startswith(bos):
            prompt = prompt[len(bos):]  # the decode loop adds BOS itself
        return prompt

    # --- decode loop ---------------------------------------------------------
    def _start_ids(self, prompt_ids: list[int]) -> list[int]:
        ids = list(prompt_ids)
        if self._add_bos and (not ids or ids[0] != self._bos):
            ids.insert(0, self._bos)
        return super()._start_ids(ids)

    def _token_ids(self, prompt_ids: list[int], params: SamplingParams,
                   stream: TokenStream) -> Iterator[RawToken]:
        if self.model is None:
            raise TextgenError(f"{self.path}: the model was closed")
        for raw in super()._token_ids(prompt_ids, params, stream):
            if raw.token_id in self._stop_ids and not params.ignore_eos:
                raw.token_id = self._eos   # any of the model's end ids ends the reply
            yield raw


def _eos_ids(hf_model, tokenizer) -> tuple[int | None, set[int]]:
    ids: list[int] = []
    generation = getattr(hf_model, "generation_config", None)
    for source in (getattr(generation, "eos_token_id", None), tokenizer.eos_token_id,
                   getattr(hf_model.config, "eos_token_id", None)):
        for value in (source if isinstance(source, (list, tuple)) else [source]):
            if isinstance(value, int) and value >= 0 and value not in ids:
                ids.append(value)
    primary = tokenizer.eos_token_id if tokenizer.eos_token_id in ids else (ids[0] if ids else None)
    return primary, set(ids)


def _adds_bos(tokenizer) -> bool:
    """Does this tokenizer put BOS in front of encoded text by default?"""
    try:
        ids = tokenizer.encode("a", add_special_tokens=True)
    except Exception:
        return False
    return bool(ids) and ids[0] == tokenizer.bos_token_id


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else ""
