"""Byte-level BPE trained with the `tokenizers` library, GPT-2 compatible:
every byte is in the base alphabet, so any Unicode text round-trips, and the
vocabulary and merges can be written into a GGUF file as a `gpt2` tokenizer."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import EOS, TOKENIZER_FILE, Tokenizer


class BPETokenizer(Tokenizer):
    kind = "bpe"

    def __init__(self, backend):
        """`backend` is a `tokenizers.Tokenizer` with a byte-level BPE model."""
        self.backend = backend

    @classmethod
    def train(cls, texts: Iterable[str] | str, vocab_size: int = 1024,
              specials: Sequence[str] = (EOS,), min_frequency: int = 2) -> "BPETokenizer":
        from tokenizers import Tokenizer as HFTok, decoders, models, pre_tokenizers, trainers

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
        from tokenizers import Tokenizer as HFTok

        try:
            return cls(HFTok.from_file(str(path)))
        except Exception as e:  # the library raises a plain Exception
            raise TextgenError(f"{path}: not a valid tokenizers JSON file ({str(e)[:120]})") from None

    @property
    def vocab_size(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        return self.backend.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Sequence[int]) -> str:
        return self.backend.decode(list(ids), skip_special_tokens=False)

    def id_to_piece(self, token_id: int) -> str:
        return self.decode([token_id])

    def pieces(self) -> list[str]:
        """Raw byte-level symbols ("Ġthe"), as GPT-2 vocabularies store them."""
        vocab = self.backend.get_vocab(with_added_tokens=True)
        out = [""] * len(vocab)
        for piece, i in vocab.items():
            out[i] = piece
        return out

    def merges(self) -> list[tuple[str, str]]:
        model = json.loads(self.backend.to_str())["model"]
        merges = model.get("merges", [])
        return [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in merges]

    @property
    def special_tokens(self) -> dict[str, int]:
        return {t.content: i for i, t in self.backend.get_added_tokens_decoder().items() if t.special}

    def add_special_tokens(self, tokens: Sequence[str]) -> None:
        new = [t for t in tokens if self.backend.token_to_id(t) is None]
        if new:
            self.backend.add_special_tokens(new)

    def to_json_dict(self) -> dict:
        return json.loads(self.backend.to_str())

    @classmethod
    def from_json_dict(cls, data: dict) -> "BPETokenizer":
        from tokenizers import Tokenizer as HFTok

        try:
            return cls(HFTok.from_str(json.dumps(data)))
        except Exception as e:
            raise TextgenError(f"BPE tokenizer data is invalid ({str(e)[:120]})") from None

    def save(self, directory: Path) -> None:
        self.backend.save(str(Path(directory) / TOKENIZER_FILE))

    @classmethod
    def load(cls, directory: Path) -> "BPETokenizer":
        path = Path(directory) / TOKENIZER_FILE
        if not path.is_file():
            raise TextgenError(f"{path}: missing tokenizer file")
        return cls.from_hf_tokenizer_json(path)
