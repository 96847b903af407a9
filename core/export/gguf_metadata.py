"""The textgen key-values every GGUF we write carries, so that our reader can
rebuild the exact PyTorch checkpoint (architecture, hyper-parameters,
tokenizer files, metadata) whatever llama.cpp makes of the file.

Keys (all strings, JSON where structured):
  textgen.format_version   "1"
  textgen.architecture     registry name: gpt, transformer, char_rnn, word_lstm
  textgen.model_config     JSON of the model's config dataclass
  textgen.tokenizer_kind   char | word | bpe | hf
  textgen.tokenizer_files  JSON {file name: text} as `tokenizer.save(dir)` wrote them
  textgen.metadata         JSON of the checkpoint metadata (control codes, training info)
  textgen.quantization     f32 | f16 | q8_0 | q4_0 (what was asked for)
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path

PREFIX = "textgen."
CUSTOM_ARCH_PREFIX = "textgen."   # general.architecture of our custom files: "textgen.char_rnn"
FORMAT_VERSION = "1"


def tokenizer_files(tokenizer) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save(Path(tmp))
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(tmp).iterdir())
                if p.is_file()}


def add_textgen_keys(writer, checkpoint, quant: str) -> None:
    meta = dict(checkpoint.metadata or {})
    meta.pop("quantize", None)
    writer.add_string(PREFIX + "format_version", FORMAT_VERSION)
    writer.add_string(PREFIX + "architecture", checkpoint.architecture)
    writer.add_string(PREFIX + "model_config", json.dumps(asdict(checkpoint.model.config)))
    writer.add_string(PREFIX + "tokenizer_kind", checkpoint.tokenizer.kind)
    writer.add_string(PREFIX + "tokenizer_files", json.dumps(tokenizer_files(checkpoint.tokenizer)))
    writer.add_string(PREFIX + "metadata", json.dumps(meta, default=str))
    writer.add_string(PREFIX + "quantization", quant)
    writer.add_name(Path(str(checkpoint.path)).name or checkpoint.architecture)


def write_gguf(writer) -> None:
    """Header, key-values, tensors, close: the order the format requires."""
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
