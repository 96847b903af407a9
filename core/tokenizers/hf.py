"""Adapter for a Hugging Face pretrained tokenizer from a local folder,
with its chat template when it has one."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import Tokenizer


class HFTokenizer(Tokenizer):
    kind = "hf"

    def __init__(self, hf_tokenizer, source: str = ""):
        self.hf = hf_tokenizer
        self.source = source

    @classmethod
    def load(cls, directory: Path) -> "HFTokenizer":
        from transformers import AutoTokenizer

        try:
            return cls(AutoTokenizer.from_pretrained(str(directory), local_files_only=True), str(directory))
        except (OSError, ValueError) as e:
            raise TextgenError(f"{directory}: cannot load a Hugging Face tokenizer ({str(e).splitlines()[0][:160]})") from None

    def save(self, directory: Path) -> None:
        self.hf.save_pretrained(str(directory))

    @property
    def vocab_size(self) -> int:
        return len(self.hf)

    def encode(self, text: str) -> list[int]:
        return list(self.hf.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        return self.hf.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def id_to_piece(self, token_id: int) -> str:
        return self.decode([token_id])

    def pieces(self) -> list[str]:
        return self.hf.convert_ids_to_tokens(list(range(len(self.hf))))

    @property
    def special_tokens(self) -> dict[str, int]:
        return {tok: self.hf.convert_tokens_to_ids(tok) for tok in self.hf.all_special_tokens}

    def add_special_tokens(self, tokens: Sequence[str]) -> None:
        self.hf.add_special_tokens({"additional_special_tokens": list(tokens)})

    @property
    def eos_id(self) -> int | None:
        return self.hf.eos_token_id

    @property
    def chat_template(self) -> str | None:
        return getattr(self.hf, "chat_template", None)

    def apply_chat_template(self, messages: list[dict]) -> str:
        if not self.chat_template:
            raise TextgenError(f"{self.source or 'this tokenizer'} has no chat template")
        return self.hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def to_json_dict(self) -> dict:
        raise TextgenError("a Hugging Face tokenizer is saved as a folder (save_pretrained), not JSON")

    @classmethod
    def from_json_dict(cls, data: dict) -> "HFTokenizer":
        raise TextgenError("a Hugging Face tokenizer loads from a folder, not JSON")
