"""Byte-level BPE trained with the `tokenizers` library, GPT-2 compatible:
every byte is in the base alphabet, so any Unicode text round-trips, and the
vocabulary and merges can be written into a GGUF file as a `gpt2` tokenizer.

tokenizer.json is the `tokenizers` serialization itself, so Hugging Face
tooling reads it as is; special tokens live there as native added tokens."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import EOS, TOKENIZER_FILE, Tokenizer, read_tokenizer_json

N_BYTES = 256


class BPETokenizer(Tokenizer):
    kind = "bpe"

    def __init__(self, backend):
        """`backend` is a `tokenizers.Tokenizer` with a byte-level BPE model."""
        self.backend = backend

    @classmethod
    def train(cls, texts: Iterable[str] | str, vocab_size: int = 1024,
              specials: Sequence[str] = (EOS,), min_frequency: int = 2) -> "BPETokenizer":
        from tokenizers import Tokenizer as HFTok, decoders, models, pre_tokenizers, trainers

        if vocab_size < N_BYTES + len(specials):
            raise TextgenError(f"BPE vocab_size must be at least {N_BYTES + len(specials)} "
                               f"(256 bytes + {len(specials)} special tokens), got {vocab_size}")
        if isinstance(texts, str):
            texts = [texts]
        backend = HFTok(models.BPE())
        backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        backend.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=list(specials),
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
        )
        backend.train_from_iterator(texts, trainer)
        return cls(backend)

    @classmethod
    def from_hf_tokenizer_json(cls, path: str | Path) -> "BPETokenizer":
        """Any `tokenizers` JSON file with a BPE model (e.g. GPT-2's)."""
        path = Path(path)
        data = read_tokenizer_json(path)
        try:
            return cls.from_json_dict(data)
        except TextgenError as e:
            raise TextgenError(f"{path}: {e}") from None

    @property
    def vocab_size(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        return self.backend.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Sequence[int]) -> str:
        """Ids outside the vocabulary (a model's padded rows) read as U+FFFD,
        like the other tokenizers, rather than failing mid-stream."""
        n = self.vocab_size
        ids = list(ids)
        if all(0 <= i < n for i in ids):
            return self.backend.decode(ids, skip_special_tokens=False)
        out, run = [], []
        for i in ids:
            if 0 <= i < n:
                run.append(i)
            else:
                out.append(self.backend.decode(run, skip_special_tokens=False) + "\ufffd")
                run = []
        out.append(self.backend.decode(run, skip_special_tokens=False))
        return "".join(out)

    def id_to_piece(self, token_id: int) -> str:
        """Readable text; U+FFFD where the token holds part of a UTF-8 character."""
        return self.decode([token_id])

    def pieces(self) -> list[str]:
        """Raw byte-level symbols ("Ġthe"), as GPT-2 vocabularies store them."""
        vocab = self.backend.get_vocab(with_added_tokens=True)
        out = [""] * (max(vocab.values(), default=-1) + 1)
        for piece, i in vocab.items():
            out[i] = piece
        return out

    def merges(self) -> list[tuple[str, str]]:
        """Merge rules in priority order (older `tokenizers` wrote "a b" strings)."""
        merges = json.loads(self.backend.to_str())["model"].get("merges", [])
        return [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in merges]

    @property
    def special_tokens(self) -> dict[str, int]:
        return {t.content: i for i, t in self.backend.get_added_tokens_decoder().items() if t.special}

    def add_special_tokens(self, tokens: Sequence[str]) -> None:
        new = [t for t in dict.fromkeys(tokens) if self.backend.token_to_id(t) is None]
        if new:
            self.backend.add_special_tokens(new)

    def to_json_dict(self) -> dict:
        return json.loads(self.backend.to_str())

    @classmethod
    def from_json_dict(cls, data: dict) -> "BPETokenizer":
        from tokenizers import Tokenizer as HFTok

        if "kind" in data and data["kind"] != cls.kind:
            raise TextgenError(f"holds a {data['kind']!r} tokenizer, not 'bpe'")
        model = data.get("model")
        if not isinstance(model, dict) or model.get("type", "BPE") != "BPE":
            found = model.get("type") if isinstance(model, dict) else "no model"
            raise TextgenError(f"not a BPE tokenizer ({found})")
        try:
            return cls(HFTok.from_str(json.dumps(data)))
        except Exception as e:  # the library raises a plain Exception
            raise TextgenError(f"invalid tokenizers data ({str(e).splitlines()[0][:160]})") from None

    def save(self, directory: Path) -> None:
        self.backend.save(str(Path(directory) / TOKENIZER_FILE))

    @classmethod
    def load(cls, directory: Path) -> "BPETokenizer":
        return cls.from_hf_tokenizer_json(Path(directory) / TOKENIZER_FILE)
