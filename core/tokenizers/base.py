"""What every tokenizer offers, so models, checkpoints and exports need not
know which kind they hold."""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, Sequence

from textgen.core.errors import TextgenError

TOKENIZER_FILE = "tokenizer.json"
EOS = "<|endoftext|>"


class Tokenizer(ABC):
    kind: ClassVar[str]

    @property
    @abstractmethod
    def vocab_size(self) -> int: ...

    @abstractmethod
    def encode(self, text: str) -> list[int]: ...

    @abstractmethod
    def decode(self, ids: Sequence[int]) -> str: ...

    @abstractmethod
    def id_to_piece(self, token_id: int) -> str:
        """Readable text of one token (for a token inspector)."""

    @abstractmethod
    def pieces(self) -> list[str]:
        """Every token in id order (for exports)."""

    @property
    @abstractmethod
    def special_tokens(self) -> dict[str, int]: ...

    @abstractmethod
    def add_special_tokens(self, tokens: Sequence[str]) -> None: ...

    @property
    def eos_id(self) -> int | None:
        return self.special_tokens.get(EOS)

    @abstractmethod
    def to_json_dict(self) -> dict: ...

    @classmethod
    @abstractmethod
    def from_json_dict(cls, data: dict) -> "Tokenizer": ...

    def save(self, directory: Path) -> None:
        path = Path(directory) / TOKENIZER_FILE
        path.write_text(json.dumps(self.to_json_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "Tokenizer":
        return cls.from_json_dict(read_tokenizer_json(Path(directory) / TOKENIZER_FILE))


def read_tokenizer_json(path: Path) -> dict:
    if not path.is_file():
        raise TextgenError(f"{path}: missing tokenizer file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise TextgenError(f"{path}: corrupt tokenizer file ({e})") from None
    if not isinstance(data, dict):
        raise TextgenError(f"{path}: corrupt tokenizer file (expected a JSON object)")
    return data


def split_specials(text: str, specials: dict[str, int]) -> list[tuple[str, int | None]]:
    """Cut text into (chunk, None) plain parts and (token, id) special parts."""
    if not any(s in text for s in specials):
        return [(text, None)] if text else []
    parts: list[tuple[str, int | None]] = []
    ordered = sorted(specials, key=len, reverse=True)
    i = start = 0
    while i < len(text):
        for s in ordered:
            if text.startswith(s, i):
                if i > start:
                    parts.append((text[start:i], None))
                parts.append((s, specials[s]))
                i += len(s)
                start = i
                break
        else:
            i += 1
    if start < len(text):
        parts.append((text[start:], None))
    return parts
