"""From documents to memory-mapped token arrays, split and cached.

The corpus is joined into one text (documents separated by the end-of-text
token; a document with a genre label starts with its control code, e.g.
``<|fantasy|>``), split by characters (the last ``val_fraction`` is held
out, as nanoGPT does), and tokenized. A trained tokenizer is cached under a
key of corpus + tokenizer settings, the token arrays under corpus + split +
the tokenizer's exact content, so a second run, and a resumed run that
brings its own tokenizer, start without tokenizing again.

``val_chars`` counts the characters of the held-out text without special
tokens: the denominator of bits per character.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textgen.core.errors import TextgenError
from textgen.train.corpus import Document, Notify

CACHE_VERSION = 1


@dataclass
class TokenData:
    train: np.ndarray               # memory-mapped token ids
    val: np.ndarray
    tokenizer: object
    val_chars: int
    train_chars: int
    control_codes: list = field(default_factory=list)
    cache: Path | None = None


def control_code(genre: str) -> str:
    return f"<|{genre.strip().lower().replace(' ', '-')}|>"


def join_documents(docs: list[Document], separator: str) -> tuple[str, list[str]]:
    """One text and the control codes it uses."""
    codes = sorted({control_code(d.genre) for d in docs if d.genre})
    parts = [(control_code(d.genre) if d.genre else "") + d.text for d in docs]
    return separator.join(parts), codes


def split_text(text: str, val_fraction: float) -> tuple[str, str]:
    cut = int(len(text) * (1.0 - val_fraction))
    return text[:cut], text[cut:]


def plain_chars(text: str, specials) -> int:
    """Characters that are text, not special tokens."""
    for special in specials:
        text = text.replace(special, "")
    return len(text)


def tokenizer_fingerprint(tokenizer) -> str:
    try:
        data = tokenizer.to_json_dict()
    except TextgenError:         # Hugging Face tokenizers have no JSON form of their own
        data = {"pieces": tokenizer.pieces(), "specials": tokenizer.special_tokens}
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()


def train_tokenizer(section, train_text: str, full_text: str, specials: list[str]):
    from textgen.core.tokenizers.bpe import BPETokenizer
    from textgen.core.tokenizers.char import CharTokenizer
    from textgen.core.tokenizers.word import WordTokenizer

    plain = full_text
    for special in specials:
        plain = plain.replace(special, "")
    if section.kind == "char":
        return CharTokenizer.train(plain, unknown=section.unknown, specials=specials)
    train_plain = train_text
    for special in specials:
        train_plain = train_plain.replace(special, "")
    if section.kind == "word":
        return WordTokenizer.train(train_plain, max_vocab=section.max_vocab,
                                   min_freq=section.min_freq, lowercase=section.lowercase,
                                   specials=specials)
    return BPETokenizer.train(train_plain, vocab_size=section.vocab_size, specials=specials)


def encode_text(tokenizer, text: str, notify: Notify | None = None, what: str = "text"
                ) -> list[int]:
    """Encode; characters a fixed character vocabulary lacks are dropped and reported."""
    try:
        return tokenizer.encode(text)
    except TextgenError:
        stoi = getattr(tokenizer, "stoi", None)
        if stoi is None:
            raise
    from textgen.core.tokenizers.base import split_specials

    specials = tokenizer.special_tokens
    kept, dropped = [], 0
    for chunk, special in split_specials(text, specials):
        if special is not None:
            kept.append(chunk)
            continue
        clean = "".join(c for c in chunk if c in stoi)
        dropped += len(chunk) - len(clean)
        kept.append(clean)
    if notify and dropped:
        notify(f"{what}: {dropped} character(s) outside the model's vocabulary were skipped")
    return tokenizer.encode("".join(kept))


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:24]


def prepare(docs: list[Document], tokenizer_section, val_fraction: float,
            cache_root: Path, tokenizer=None, notify: Notify | None = None) -> TokenData:
    """Token arrays for ``docs``; ``tokenizer`` given = keep it (fine-tuning, resuming)."""
    from textgen.core.tokenizers.base import EOS

    specials = list(tokenizer_section.specials) if tokenizer is None else []
    eos = EOS if (EOS in specials or (tokenizer is not None and tokenizer.eos_id is not None
                                      and EOS in tokenizer.special_tokens)) else None
    if tokenizer is not None and eos is None and getattr(tokenizer, "kind", "") == "hf":
        eos = getattr(tokenizer.hf, "eos_token", None)
    text, codes = join_documents(docs, eos if eos else "\n\n")
    if not text.strip():
        raise TextgenError("the training text is empty")
    train_text, val_text = split_text(text, val_fraction)
    corpus_key = _digest(str(CACHE_VERSION), text, repr(val_fraction))

    if tokenizer is None:
        tok_key = _digest(corpus_key, json.dumps(vars(tokenizer_section), sort_keys=True),
                          json.dumps(codes))
        tokenizer = _cached_tokenizer(cache_root / "tokenizers" / tok_key, tokenizer_section.kind)
        if tokenizer is None:
            tokenizer = train_tokenizer(tokenizer_section, train_text, text, specials + codes)
            _store_tokenizer(cache_root / "tokenizers" / tok_key, tokenizer)
    elif codes and getattr(tokenizer, "kind", "") == "hf":
        tokenizer.add_special_tokens([c for c in codes if c not in tokenizer.special_tokens])

    folder = cache_root / "tokens" / _digest(corpus_key, tokenizer_fingerprint(tokenizer))
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        train_ids = encode_text(tokenizer, train_text, notify, "training text")
        val_ids = encode_text(tokenizer, val_text, notify, "validation text") if val_text else []
        specials_now = list(tokenizer.special_tokens)
        meta = {"train_tokens": len(train_ids), "val_tokens": len(val_ids),
                "train_chars": plain_chars(train_text, specials_now),
                "val_chars": plain_chars(val_text, specials_now),
                "control_codes": codes, "vocab_size": tokenizer.vocab_size}
        _store_arrays(folder, train_ids, val_ids, meta, tokenizer.vocab_size)
    meta = json.loads(meta_path.read_text())
    dtype = _dtype(meta["vocab_size"])
    train = _open(folder / "train.bin", dtype, meta["train_tokens"])
    val = _open(folder / "val.bin", dtype, meta["val_tokens"])
    return TokenData(train, val, tokenizer, meta["val_chars"], meta["train_chars"],
                     meta["control_codes"], folder)


def _dtype(vocab_size: int):
    return np.uint16 if vocab_size <= 65535 else np.uint32


def _open(path: Path, dtype, count: int) -> np.ndarray:
    if count == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(count,))


def _store_arrays(folder: Path, train_ids, val_ids, meta: dict, vocab_size: int) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        dtype = _dtype(vocab_size)
        np.asarray(train_ids, dtype=dtype).tofile(tmp / "train.bin")
        np.asarray(val_ids, dtype=dtype).tofile(tmp / "val.bin")
        (tmp / "meta.json").write_text(json.dumps(meta))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _cached_tokenizer(folder: Path, kind: str):
    if not (folder / "tokenizer.json").is_file():
        return None
    from textgen.core.tokenizers import load_tokenizer

    try:
        return load_tokenizer(folder, kind)
    except TextgenError:
        return None


def _store_tokenizer(folder: Path, tokenizer) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    tokenizer.save(tmp)
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
