"""Character-level tokenizer with an explicit policy for unseen characters."""
from __future__ import annotations

from typing import Sequence

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import Tokenizer, split_specials

REPLACEMENT = "\ufffd"
POLICIES = ("error", "replace")


class CharTokenizer(Tokenizer):
    kind = "char"

    def __init__(self, chars: Sequence[str], unknown: str = "error", specials: Sequence[str] = ()):
        if unknown not in POLICIES:
            raise TextgenError(f"unknown-character policy must be one of {POLICIES}, got {unknown!r}")
        self.unknown = unknown
        self.vocab: list[str] = list(chars)
        if unknown == "replace" and REPLACEMENT not in self.vocab:
            self.vocab.append(REPLACEMENT)
        self._specials: dict[str, int] = {}
        self.stoi = {c: i for i, c in enumerate(self.vocab)}
        self.add_special_tokens(specials)

    @classmethod
    def train(cls, text: str, unknown: str = "error", specials: Sequence[str] = ()) -> "CharTokenizer":
        return cls(sorted(set(text)), unknown, specials)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def special_tokens(self) -> dict[str, int]:
        return dict(self._specials)

    def add_special_tokens(self, tokens: Sequence[str]) -> None:
        for token in tokens:
            if token not in self._specials:
                self._specials[token] = len(self.vocab)
                self.vocab.append(token)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        stoi = self.stoi
        for chunk, special in split_specials(text, self._specials):
            if special is not None:
                ids.append(special)
                continue
            try:
                ids.extend([stoi[c] for c in chunk])
            except KeyError:
                missing = sorted({c for c in chunk if c not in stoi})
                if self.unknown == "error":
                    shown = ", ".join(repr(c) for c in missing[:5])
                    raise TextgenError(
                        f"character(s) {shown} are not in this model's vocabulary of "
                        f"{len(stoi)} characters"
                    ) from None
                rep = stoi[REPLACEMENT]
                ids.extend(stoi.get(c, rep) for c in chunk)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        vocab = self.vocab
        return "".join(vocab[i] if 0 <= i < len(vocab) else REPLACEMENT for i in ids)

    def id_to_piece(self, token_id: int) -> str:
        return self.vocab[token_id]

    def pieces(self) -> list[str]:
        return list(self.vocab)

    def to_json_dict(self) -> dict:
        n = len(self.vocab) - len(self._specials)
        return {"kind": self.kind, "chars": self.vocab[:n], "unknown": self.unknown,
                "specials": list(self._specials)}

    @classmethod
    def from_json_dict(cls, data: dict) -> "CharTokenizer":
        try:
            tok = cls.__new__(cls)
            tok.unknown = data.get("unknown", "error")
            tok.vocab = list(data["chars"])
            tok.stoi = {c: i for i, c in enumerate(tok.vocab)}
            tok._specials = {}
            tok.add_special_tokens(data.get("specials", []))
            return tok
        except (KeyError, TypeError) as e:
            raise TextgenError(f"char tokenizer data is incomplete ({e})") from None
