"""What every tokenizer offers, so models, checkpoints and exports need not
know which kind they hold."""
from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Sequence

from textgen.core.errors import TextgenError

TOKENIZER_FILE = "tokenizer.json"
EOS = "<|endoftext|>"


class Tokenizer(ABC):
    """Text <-> ids. Special tokens (end of text, genre codes) are atomic:
    `encode` never splits them, and new ones get ids at the end of the vocab
    so a model's existing embedding rows keep their meaning."""

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
    def add_special_tokens(self, tokens: Sequence[str]) -> None:
        """Append ids for tokens not yet in the vocabulary; others are left alone."""

    @property
    def eos_id(self) -> int | None:
        return self.special_tokens.get(EOS)

    @abstractmethod
    def to_json_dict(self) -> dict:
        """Everything needed to rebuild this tokenizer (also embedded in checkpoints)."""

    @classmethod
    @abstractmethod
    def from_json_dict(cls, data: dict) -> "Tokenizer": ...

    def save(self, directory: Path) -> None:
        path = Path(directory) / TOKENIZER_FILE
        path.write_text(json.dumps(self.to_json_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "Tokenizer":
        path = Path(directory) / TOKENIZER_FILE
        data = read_tokenizer_json(path)
        found = data.get("kind", cls.kind)
        if found != cls.kind:
            raise TextgenError(f"{path}: holds a {found!r} tokenizer, not {cls.kind!r}")
        try:
            return cls.from_json_dict(data)
        except TextgenError as e:
            raise TextgenError(f"{path}: {e}") from None


def read_tokenizer_json(path: Path) -> dict:
    """The JSON object in `path`, or a one-line TextgenError saying what is wrong."""
    if not path.is_file():
        raise TextgenError(f"{path}: missing tokenizer file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise TextgenError(f"{path}: corrupt tokenizer file ({e})") from None
    except OSError as e:
        raise TextgenError(f"{path}: unreadable tokenizer file ({e.strerror or e})") from None
    if not isinstance(data, dict):
        raise TextgenError(f"{path}: corrupt tokenizer file (expected a JSON object)")
    return data


@lru_cache(maxsize=32)
def _specials_pattern(specials: frozenset[str]) -> re.Pattern:
    # longest first, so "<|end|>" never wins over "<|endoftext|>"
    ordered = sorted(specials, key=lambda s: (-len(s), s))
    return re.compile("|".join(re.escape(s) for s in ordered))


def split_specials(text: str, specials: dict[str, int]) -> list[tuple[str, int | None]]:
    """Cut text into (chunk, None) plain parts and (token, id) special parts."""
    specials = {s: i for s, i in specials.items() if s}
    if not specials or not any(s in text for s in specials):
        return [(text, None)] if text else []
    parts: list[tuple[str, int | None]] = []
    start = 0
    for m in _specials_pattern(frozenset(specials)).finditer(text):
        if m.start() > start:
            parts.append((text[start:m.start()], None))
        parts.append((m.group(), specials[m.group()]))
        start = m.end()
    if start < len(text):
        parts.append((text[start:], None))
    return parts
