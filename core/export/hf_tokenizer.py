"""Our tokenizers as Hugging Face fast tokenizers (`tokenizer.json`), so that
`AutoTokenizer.from_pretrained(folder)` gives the same ids as textgen.

- byte-level BPE (or an HF tokenizer) is already a `tokenizers` object;
- a character tokenizer becomes a WordLevel model over single characters:
  the text is split into characters (a pattern matching any one character,
  newlines included), each looked up in the vocabulary, and decoding fuses
  the pieces back without spaces. Special tokens keep their ids.
"""
from __future__ import annotations

from textgen.core.errors import TextgenError


def hf_tokenizer(tokenizer, model_max_length: int | None = None):
    """A transformers PreTrainedTokenizerFast equivalent to `tokenizer`."""
    from transformers import PreTrainedTokenizerFast

    if tokenizer.kind == "char":
        backend = _char_backend(tokenizer)
    elif tokenizer.kind in ("bpe", "hf"):
        from tokenizers import Tokenizer

        from textgen.core.export.gguf_vocab import _tokenizers_backend

        backend = Tokenizer.from_str(_tokenizers_backend(tokenizer).to_str())
    else:
        raise TextgenError(f"a {tokenizer.kind!r} tokenizer has no Hugging Face equivalent; "
                           "train the model with a char or bpe tokenizer to export it as HF")
    eos = tokenizer.id_to_piece(tokenizer.eos_id) if tokenizer.eos_id is not None else None
    kwargs = {"eos_token": eos, "bos_token": eos} if eos else {}
    if model_max_length:
        kwargs["model_max_length"] = model_max_length
    fast = PreTrainedTokenizerFast(tokenizer_object=backend, **kwargs)
    template = getattr(tokenizer, "chat_template", None)
    if template:
        fast.chat_template = template
    return fast


def _char_backend(tokenizer):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    specials = list(tokenizer.special_tokens)
    vocab = {}
    for i, piece in enumerate(tokenizer.pieces()):
        if piece in vocab:
            raise TextgenError(f"tokenizer piece {piece!r} appears twice; cannot export it")
        vocab[piece] = i
    from textgen.core.tokenizers.char import REPLACEMENT

    unk = REPLACEMENT if getattr(tokenizer, "unknown", "error") == "replace" else None
    backend = Tokenizer(models.WordLevel(vocab, unk_token=unk))
    backend.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    backend.decoder = decoders.Fuse()
    if specials:
        backend.add_special_tokens(specials)
    return backend
