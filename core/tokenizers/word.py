"""Word-level tokenizer: words, punctuation and newlines are tokens; rare
words become <unk>; decoding puts spaces back the way prose has them."""
from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import Tokenizer, split_specials

UNK = "<unk>"
# words (with inner apostrophes/hyphens), numbers, newlines, any other single symbol
_TOKEN = re.compile(r"\n|[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+(?:[.,]\d+)*|[^\s\w]|_", re.UNICODE)
_NO_SPACE_BEFORE = set(".,;:!?)]}%'’”»…") | {"n't", "'s", "'re", "'ll", "'ve", "'d", "'m"}
_NO_SPACE_AFTER = set("([{“«$#@")


class WordTokenizer(Tokenizer):
    kind = "word"

    def __init__(self, words: Sequence[str], lowercase: bool = False, specials: Sequence[str] = ()):
        self.lowercase = lowercase
        self.vocab: list[str] = [UNK] + [w for w in words if w != UNK]
        self.stoi = {w: i for i, w in enumerate(self.vocab)}
        self._specials: dict[str, int] = {}
        self.add_special_tokens(specials)

    @classmethod
    def train(cls, text: str, max_vocab: int = 10000, min_freq: int = 1, lowercase: bool = False,
              specials: Sequence[str] = ()) -> "WordTokenizer":
        if max_vocab < 2:
            raise TextgenError(f"max_vocab must be at least 2, got {max_vocab}")
        counts = Counter(cls._split(text.lower() if lowercase else text))
        ranked = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
        return cls(ranked[: max_vocab - 1 - len(specials)], lowercase, specials)

    @staticmethod
    def _split(text: str) -> list[str]:
        return _TOKEN.findall(text)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def unk_id(self) -> int:
        return 0

    @property
    def special_tokens(self) -> dict[str, int]:
        return dict(self._specials)

    def add_special_tokens(self, tokens: Sequence[str]) -> None:
        for token in tokens:
            if token not in self._specials:
                if token not in self.stoi:
                    self.stoi[token] = len(self.vocab)
                    self.vocab.append(token)
                self._specials[token] = self.stoi[token]

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for chunk, special in split_specials(text, self._specials):
            if special is not None:
                ids.append(special)
                continue
            if self.lowercase:
                chunk = chunk.lower()
            ids.extend(self.stoi.get(w, 0) for w in self._split(chunk))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        words = [self.vocab[i] if 0 <= i < len(self.vocab) else UNK for i in ids]
        out: list[str] = []
        open_quote = False
        prev = None
        for w in words:
            space = prev is not None and prev != "\n" and w != "\n"
            if w in _NO_SPACE_BEFORE or (prev in _NO_SPACE_AFTER):
                space = False
            if w == '"':
                if open_quote:
                    space = False
                open_quote = not open_quote
            elif prev == '"' and open_quote:
                space = False
            if space:
                out.append(" ")
            out.append(w)
            prev = w
        return "".join(out)

    def id_to_piece(self, token_id: int) -> str:
        return self.vocab[token_id]

    def pieces(self) -> list[str]:
        return list(self.vocab)

    def to_json_dict(self) -> dict:
        plain = [w for w in self.vocab[1:] if w not in self._specials]
        return {"kind": self.kind, "words": plain, "lowercase": self.lowercase,
                "specials": list(self._specials)}

    @classmethod
    def from_json_dict(cls, data: dict) -> "WordTokenizer":
        try:
            return cls(data["words"], data.get("lowercase", False), data.get("specials", []))
        except (KeyError, TypeError) as e:
            raise TextgenError(f"word tokenizer data is incomplete ({e})") from None
