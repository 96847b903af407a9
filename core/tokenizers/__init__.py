"""Tokenizer registry: kind name -> "module:Class", resolved lazily."""
from __future__ import annotations

import importlib
from pathlib import Path

from textgen.core.errors import TextgenError

TOKENIZER_KINDS: dict[str, str] = {
    "char": "textgen.core.tokenizers.char:CharTokenizer",
    "word": "textgen.core.tokenizers.word:WordTokenizer",
    "bpe": "textgen.core.tokenizers.bpe:BPETokenizer",
    "hf": "textgen.core.tokenizers.hf:HFTokenizer",
}


def get_tokenizer_class(kind: str):
    try:
        module_name, class_name = TOKENIZER_KINDS[kind].split(":")
    except KeyError:
        raise TextgenError(f"unknown tokenizer kind {kind!r}; known: {', '.join(TOKENIZER_KINDS)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def load_tokenizer(directory: str | Path, kind: str):
    return get_tokenizer_class(kind).load(Path(directory))
