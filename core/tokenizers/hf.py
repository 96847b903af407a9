"""Adapter for a Hugging Face pretrained tokenizer from a local folder, with
its chat template when it has one. transformers is imported only on load,
because importing it costs seconds."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import Tokenizer


class HFTokenizer(Tokenizer):
    kind = "hf"

    def __init__(self, hf_tokenizer, source: str = ""):
        """`hf_tokenizer` is a transformers `PreTrainedTokenizerBase`."""
        self.hf = hf_tokenizer
        self.source = source

    @classmethod
    def load(cls, directory: Path) -> "HFTokenizer":
        from transformers import AutoTokenizer

        directory = Path(directory)
        if not directory.is_dir():
            raise TextgenError(f"{directory}: no such tokenizer folder")
        try:
            hf = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
        except Exception as e:  # transformers/tokenizers raise many kinds for a bad folder
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise TextgenError(f"{directory}: cannot load a Hugging Face tokenizer ({first[:160]})") from None
        return cls(hf, str(directory))

    def save(self, directory: Path) -> None:
        self.hf.save_pretrained(str(directory))

    @property
    def vocab_size(self) -> int:
        return len(self.hf)  # added tokens included, unlike hf.vocab_size

    def encode(self, text: str) -> list[int]:
        """Just the text's ids: no BOS/EOS added, so prompts concatenate cleanly."""
        return list(self.hf.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        return self.hf.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def id_to_piece(self, token_id: int) -> str:
        return self.decode([token_id])

    def pieces(self) -> list[str]:
        return self.hf.convert_ids_to_tokens(list(range(len(self.hf))))

    @property
    def special_tokens(self) -> dict[str, int]:
        found = {t.content: i for i, t in self.hf.added_tokens_decoder.items() if t.special}
        for tok in self.hf.all_special_tokens:
            i = self.hf.convert_tokens_to_ids(tok)
            if isinstance(i, int):
                found.setdefault(tok, i)
        return found

    def add_special_tokens(self, tokens: Sequence[str]) -> None:
        # add_tokens(special_tokens=True) appends and never un-marks earlier
        # specials, unlike add_special_tokens({"additional_/extra_special_tokens"})
        vocab = self.hf.get_vocab()
        new = [t for t in dict.fromkeys(tokens) if t not in vocab]
        if new:
            self.hf.add_tokens(new, special_tokens=True)

    @property
    def eos_id(self) -> int | None:
        return self.hf.eos_token_id

    @property
    def chat_template(self) -> str | None:
        template = getattr(self.hf, "chat_template", None)
        if isinstance(template, dict):  # several named templates
            template = template.get("default")
        return template or None

    def apply_chat_template(self, messages: list[dict]) -> str:
        """The prompt text for `messages`, ending where the assistant's reply starts."""
        template = self.chat_template
        if not template:
            raise TextgenError(f"{self.source or 'this tokenizer'} has no chat template")
        try:
            text = self.hf.apply_chat_template(messages, chat_template=template, tokenize=False,
                                               add_generation_prompt=True)
        except Exception as e:  # jinja errors: a bad template or bad messages
            raise TextgenError(f"chat template failed: {str(e).splitlines()[0][:160]}") from None
        return text if isinstance(text, str) else text[0]

    def to_json_dict(self) -> dict:
        raise TextgenError("a Hugging Face tokenizer is saved as a folder (save_pretrained), not JSON")

    @classmethod
    def from_json_dict(cls, data: dict) -> "HFTokenizer":
        raise TextgenError("a Hugging Face tokenizer loads from a folder, not JSON")
