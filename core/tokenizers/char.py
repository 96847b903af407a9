"""Character-level tokenizer with an explicit policy for unseen characters:
a silent fallback would quietly feed a model ids it never learned."""
from __future__ import annotations

from typing import Sequence

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import Tokenizer, split_specials

REPLACEMENT = "\ufffd"
POLICIES = ("error", "replace")


class CharTokenizer(Tokenizer):
    """One id per character; `stoi` maps the plain characters only.
    Special tokens (several characters each) follow them in the vocab."""

    kind = "char"

    def __init__(self, chars: Sequence[str], unknown: str = "error", specials: Sequence[str] = ()):
        if unknown not in POLICIES:
            raise TextgenError(f"unknown-character policy must be one of {POLICIES}, got {unknown!r}")
        chars = list(chars)
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise TextgenError(f"char vocabulary entries must be single characters, got {bad[0]!r}")
        if len(set(chars)) != len(chars):
            raise TextgenError("char vocabulary lists a character twice")
        self.unknown = unknown
        self.vocab: list[str] = chars
        if unknown == "replace" and REPLACEMENT not in self.vocab:
            self.vocab.append(REPLACEMENT)
        self.stoi = {c: i for i, c in enumerate(self.vocab)}
        self._specials: dict[str, int] = {}
        self.add_special_tokens(specials)

    @classmethod
    def train(cls, text: str, unknown: str = "error", specials: Sequence[str] = ()) -> "CharTokenizer":
        """Vocabulary = the sorted set of characters, so ids depend only on
        which characters occur, not on their order or frequency."""
        for s in specials:  # a special in the corpus is one token, not its letters
            text = text.replace(s, "")
        return cls(sorted(set(text)), unknown, specials)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def special_tokens(self) -> dict[str, int]:
        return dict(self._specials)

    def add_special_tokens(self, tokens: Sequence[str]) -> None:
        for token in tokens:
            if not isinstance(token, str) or not token:
                raise TextgenError(f"a special token must be a non-empty string, got {token!r}")
            if token in self._specials or token in self.stoi:
                continue  # a single known character is already atomic
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
                    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                    raise TextgenError(
                        f"character(s) {shown}{more} are not in this model's vocabulary of "
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
        chars, specials = data.get("chars"), data.get("specials", [])
        if not isinstance(chars, list) or not isinstance(specials, list):
            raise TextgenError("char tokenizer data needs a 'chars' list (and an optional 'specials' list)")
        return cls(chars, data.get("unknown", "error"), specials)
