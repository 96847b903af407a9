"""Our tokenizers written as a llama.cpp "gpt2" (byte-level BPE) vocabulary.

llama.cpp tokenizes a gpt2 vocabulary by splitting text with the GPT-2
pattern, writing each byte as its byte-level symbol (space -> "Ġ", newline
-> "Ċ", ...) and applying the merges. So:

- a byte-level BPE tokenizer is written as it is (pieces and merges);
- a character tokenizer is written as one token per character, spelled in
  byte-level symbols; a character of several UTF-8 bytes gets the merges
  that glue its bytes back together. llama.cpp refuses a gpt2 vocabulary
  without merges, so one extra merge is added whose pieces never occur
  together in text (two NUL bytes), which changes nothing.

The result: llama.cpp's token ids equal ours for any text made of
characters in the vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from textgen.core.errors import TextgenError

# gguf TokenType values
TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED = 1, 3, 4, 5


@lru_cache(maxsize=1)
def byte_symbols() -> tuple[str, ...]:
    """GPT-2's reversible byte -> printable character table, index = byte value."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return tuple(table[b] for b in range(256))


def to_byte_symbols(text: str) -> str:
    symbols = byte_symbols()
    return "".join(symbols[b] for b in text.encode("utf-8"))


@lru_cache(maxsize=1)
def _symbol_to_byte() -> dict[str, int]:
    return {s: b for b, s in enumerate(byte_symbols())}


def from_byte_symbols(text: str) -> str:
    table = _symbol_to_byte()
    return bytes(table[c] for c in text).decode("utf-8", errors="replace")


@dataclass
class GGUFVocab:
    tokens: list[str]
    types: list[int]
    merges: list[str]
    bos_id: int | None = None
    eos_id: int | None = None
    pre: str = "gpt-2"
    notes: list[str] = field(default_factory=list)


def gguf_vocab(tokenizer) -> GGUFVocab:
    """The llama.cpp vocabulary for one of our tokenizers (char or byte-level BPE)."""
    kind = tokenizer.kind
    if kind == "char":
        return _char_vocab(tokenizer)
    if kind in ("bpe", "hf"):
        return _bpe_vocab(tokenizer)
    raise TextgenError(f"a {kind!r} tokenizer has no llama.cpp equivalent; export this model "
                       "as a textgen custom-architecture GGUF instead")


def _specials(tokenizer) -> set[str]:
    specials = tokenizer.special_tokens
    if isinstance(specials, dict):
        return set(specials)
    return set(specials or ())


def _char_vocab(tokenizer) -> GGUFVocab:
    specials = _specials(tokenizer)
    tokens, types, merges, seen = [], [], [], set()
    for piece in tokenizer.pieces():
        if piece in specials or len(piece) != 1:
            # specials (and any multi-character helper token) are written
            # verbatim as control tokens: llama.cpp never produces them from text
            tokens.append(piece)
            types.append(TOKEN_CONTROL)
            continue
        spelled = to_byte_symbols(piece)
        tokens.append(spelled)
        types.append(TOKEN_NORMAL)
        for end in range(2, len(spelled) + 1):   # glue multi-byte characters byte by byte
            merge = f"{spelled[:end - 1]} {spelled[end - 1]}"
            if merge not in seen:
                seen.add(merge)
                merges.append(merge)
    _dedupe(tokens)
    nul = byte_symbols()[0]
    merges.append(f"{nul} {nul}")
    eos = tokenizer.eos_id
    return GGUFVocab(tokens, types, merges, bos_id=eos, eos_id=eos)


def _bpe_vocab(tokenizer) -> GGUFVocab:
    spec = _hf_bpe_model(tokenizer)
    vocab, merges, added = spec["vocab"], spec["merges"], spec["added"]
    size = tokenizer.vocab_size
    tokens = [""] * size
    types = [TOKEN_NORMAL] * size
    for piece, i in vocab.items():
        if i < size:
            tokens[i] = piece
    for piece, (i, special) in added.items():
        if i < size:
            tokens[i] = piece
            # non-special added tokens are matched verbatim, as llama.cpp does user-defined ones
            types[i] = TOKEN_CONTROL if special else TOKEN_USER_DEFINED
    missing = [i for i, t in enumerate(tokens) if not t]
    if missing:
        raise TextgenError(f"tokenizer ids {missing[:5]} have no piece; cannot write the vocabulary")
    merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    if not merges:
        nul = byte_symbols()[0]
        merges = [f"{nul} {nul}"]
    eos = tokenizer.eos_id
    return GGUFVocab(tokens, types, merges, bos_id=eos, eos_id=eos)


def _hf_bpe_model(tokenizer) -> dict:
    """vocab, merges and added tokens of a byte-level BPE held by the `tokenizers` library."""
    import json

    backend = _tokenizers_backend(tokenizer)
    data = json.loads(backend.to_str())
    model = data.get("model", {})
    if model.get("type") != "BPE" or not _is_byte_level(data):
        raise TextgenError("only byte-level BPE tokenizers (GPT-2 style) can be written as a "
                           "llama.cpp vocabulary; export this model as a textgen GGUF instead")
    added = {t["content"]: (t["id"], t.get("special", False)) for t in data.get("added_tokens", [])}
    return {"vocab": model["vocab"], "merges": model.get("merges", []), "added": added}


def _tokenizers_backend(tokenizer):
    for attr in ("backend", "hf"):
        obj = getattr(tokenizer, attr, None)
        if obj is not None and hasattr(obj, "to_str"):
            return obj
        inner = getattr(obj, "backend_tokenizer", None)
        if inner is not None:
            return inner
    raise TextgenError(f"cannot reach the BPE tables of this {tokenizer.kind} tokenizer")


def _is_byte_level(data: dict) -> bool:
    def mentions(node) -> bool:
        if isinstance(node, dict):
            return node.get("type") == "ByteLevel" or any(mentions(v) for v in node.values())
        if isinstance(node, list):
            return any(mentions(v) for v in node)
        return False

    return mentions(data.get("pre_tokenizer")) or mentions(data.get("decoder"))


def _dedupe(tokens: list[str]) -> None:
    seen: set[str] = set()
    for i, t in enumerate(tokens):
        if t in seen:
            raise TextgenError(f"tokenizer piece {t!r} (id {i}) appears twice; cannot write "
                               "a llama.cpp vocabulary")
        seen.add(t)
