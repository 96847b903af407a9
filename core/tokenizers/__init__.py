"""Tokenizer registry: kind name -> "module:Class", resolved lazily so that
using a char tokenizer never imports `tokenizers` or transformers."""
from __future__ import annotations

import importlib
from pathlib import Path

from textgen.core.errors import TextgenError
from textgen.core.tokenizers.base import Tokenizer

TOKENIZER_KINDS: dict[str, str] = {
    "char": "textgen.core.tokenizers.char:CharTokenizer",
    "word": "textgen.core.tokenizers.word:WordTokenizer",
    "bpe": "textgen.core.tokenizers.bpe:BPETokenizer",
    "hf": "textgen.core.tokenizers.hf:HFTokenizer",
}


def get_tokenizer_class(kind: str) -> type[Tokenizer]:
    try:
        module_name, class_name = TOKENIZER_KINDS[kind].split(":")
    except (KeyError, TypeError):
        raise TextgenError(f"unknown tokenizer kind {kind!r}; known: {', '.join(TOKENIZER_KINDS)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def load_tokenizer(directory: str | Path, kind: str) -> Tokenizer:
    """The tokenizer of `kind` saved in `directory` (its tokenizer.json, or an HF folder)."""
    return get_tokenizer_class(kind).load(Path(directory))


__all__ = ["TOKENIZER_KINDS", "Tokenizer", "get_tokenizer_class", "load_tokenizer"]
