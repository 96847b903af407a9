"""Word-level tokenizer: words, punctuation and newlines are tokens; rare
words become <unk>; decoding puts spaces back the way prose has them."""
from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import Tokenizer, split_specials

UNK = "<unk>"
_LETTERS = r"[^\W\d_]+"
# newline | word with inner apostrophes/hyphens ("don't", "o'er"), and a leading
# apostrophe when one opens a word ("'tis", or a single-quoted "'word") |
# number | a run of one punctuation mark ("...", "--") | anything else, alone
_TOKEN = re.compile(
    rf"\n|(?:(?<![^\W_])['‘’](?={_LETTERS}))?{_LETTERS}(?:['’-]{_LETTERS})*"
    r"|\d+(?:[.,]\d+)*|([^\s\w])\1*|_"
)
_CLOSERS = set(".,;:!?)]}%'’”»…")  # no space before these
_OPENERS = set("([{“‘«¿¡$#@")      # no space after these
_QUOTES = set('"')                 # direction decided by pairing


def _all_in(token: str, chars: set[str]) -> bool:
    return all(c in chars for c in token)


class WordTokenizer(Tokenizer):
    """Id 0 is <unk>; then words by falling frequency; then special tokens."""

    kind = "word"

    def __init__(self, words: Sequence[str], lowercase: bool = False, specials: Sequence[str] = ()):
        self.lowercase = bool(lowercase)
        self.vocab: list[str] = [UNK] + [w for w in dict.fromkeys(words) if w != UNK]
        self.stoi = {w: i for i, w in enumerate(self.vocab)}
        self._n_plain = len(self.vocab)  # specials appended after this keep their order on reload
        self._specials: dict[str, int] = {}
        self.add_special_tokens(specials)

    @classmethod
    def train(cls, text: str, max_vocab: int = 10000, min_freq: int = 1, lowercase: bool = False,
              specials: Sequence[str] = ()) -> "WordTokenizer":
        """Keep the `max_vocab` most frequent tokens (<unk> and specials
        included); equal counts are ordered alphabetically, so training is
        deterministic."""
        if max_vocab < 2 + len(specials):
            raise TextgenError(f"max_vocab must be at least {2 + len(specials)}, got {max_vocab}")
        counts: Counter[str] = Counter()
        for chunk, special in split_specials(text, {s: 0 for s in specials}):
            if special is None:
                counts.update(cls._split(chunk.lower() if lowercase else chunk))
        counts.pop(UNK, None)
        for s in specials:
            counts.pop(s, None)
        ranked = sorted((w for w, c in counts.items() if c >= max(1, min_freq)),
                        key=lambda w: (-counts[w], w))
        return cls(ranked[: max_vocab - 1 - len(specials)], lowercase, specials)

    @staticmethod
    def _split(text: str) -> list[str]:
        return [m.group() for m in _TOKEN.finditer(text)]

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
            if not isinstance(token, str) or not token:
                raise TextgenError(f"a special token must be a non-empty string, got {token!r}")
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
        """Join with single spaces, except: none around a newline, none before
        closing punctuation, none after an opening bracket, and straight
        double quotes alternate between opening and closing within a paragraph
        (a quote may span wrapped lines; a new paragraph may reopen one)."""
        out: list[str] = []
        prev: str | None = None
        prev_opens = False  # the previous token wants no space after it
        quote_open = False
        for i in ids:
            w = self.vocab[i] if 0 <= i < len(self.vocab) else UNK
            space = prev is not None and prev != "\n" and w != "\n" and not prev_opens
            opens = _all_in(w, _OPENERS)
            if w == "\n":
                if prev == "\n":  # a blank line ends a paragraph, and any quote left open
                    quote_open = False
            elif _all_in(w, _QUOTES):
                if quote_open:
                    space, opens = False, False
                else:
                    opens = True
                quote_open = not quote_open
            elif _all_in(w, _CLOSERS):
                space = False
            if space:
                out.append(" ")
            out.append(w)
            prev, prev_opens = w, opens
        return "".join(out)

    def id_to_piece(self, token_id: int) -> str:
        return self.vocab[token_id]

    def pieces(self) -> list[str]:
        return list(self.vocab)

    def to_json_dict(self) -> dict:
        return {"kind": self.kind, "words": self.vocab[1:self._n_plain], "lowercase": self.lowercase,
                "specials": list(self._specials)}

    @classmethod
    def from_json_dict(cls, data: dict) -> "WordTokenizer":
        words, specials = data.get("words"), data.get("specials", [])
        if not isinstance(words, list) or not isinstance(specials, list):
            raise TextgenError("word tokenizer data needs a 'words' list (and an optional 'specials' list)")
        if not all(isinstance(w, str) and w for w in words):
            raise TextgenError("word tokenizer data has an entry that is not a non-empty string")
        return cls(words, data.get("lowercase", False), specials)
