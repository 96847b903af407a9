"""GGUF files we wrote, read back into PyTorch checkpoints (dequantized).

Works for both kinds we write: a GPT as a llama.cpp "gpt2" file and the
other architectures as "textgen.<arch>" files. Both carry the textgen keys
(see gguf_metadata.py), so the model config and tokenizer come back exactly;
a quantized file comes back with its quantization error, as float32 weights
a trainer can fine-tune and export again.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from textgen.core.errors import TextgenError
from textgen.core.export.gguf_metadata import CUSTOM_ARCH_PREFIX, PREFIX

GGUF_MAGIC = b"GGUF"


def _open_reader(path: Path):
    from gguf import GGUFReader

    path = Path(path)
    if not path.exists():
        raise TextgenError(f"{path}: no such file")
    if not path.is_file():
        raise TextgenError(f"{path}: not a file (expected a .gguf file)")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise TextgenError(f"{path}: not a GGUF file (it does not start with the GGUF magic bytes)")
    try:
        reader = GGUFReader(str(path))
    except Exception as e:  # the library raises many kinds for a damaged file
        raise TextgenError(f"{path}: corrupt or truncated GGUF file ({type(e).__name__}: {e})") from None
    size = path.stat().st_size
    for tensor in reader.tensors:
        if tensor.data_offset + tensor.n_bytes > size:
            raise TextgenError(f"{path}: truncated GGUF file (tensor {tensor.name} runs past the "
                               "end of the file); export or download it again")
    return reader


def read_gguf_header(path: str | Path) -> dict:
    """Scalar and string key-values of a GGUF file, plus a few derived entries.

    Derived: `_tensor_names`, `_file_type_name` (e.g. "q8_0"), `_control_codes`.
    Arrays (the vocabulary) are skipped: they can be large and nothing here needs them.
    """
    from gguf import GGUFValueType, LlamaFileType

    reader = _open_reader(Path(path))
    header: dict = {}
    for name, field in reader.fields.items():
        if not field.types or field.types[0] == GGUFValueType.ARRAY:
            continue
        try:
            header[name] = field.contents()
        except (UnicodeDecodeError, ValueError, IndexError):
            continue
    header["_tensor_names"] = [t.name for t in reader.tensors]
    file_type = header.get("general.file_type")
    try:
        header["_file_type_name"] = (LlamaFileType(file_type).name.replace("MOSTLY_", "")
                                     .replace("ALL_", "").lower() if file_type is not None else "")
    except ValueError:
        header["_file_type_name"] = f"type {file_type}"
    header["_control_codes"] = _json(header, PREFIX + "metadata", {}).get("control_codes", [])
    return header


def is_custom_architecture(header: dict) -> bool:
    return str(header.get("general.architecture", "")).startswith(CUSTOM_ARCH_PREFIX)


def is_textgen_gguf(header: dict) -> bool:
    return PREFIX + "architecture" in header


def _json(header: dict, key: str, default):
    if key not in header:
        return default
    try:
        return json.loads(header[key])
    except (TypeError, ValueError):
        raise TextgenError(f"GGUF key {key} is not valid JSON; the file is damaged") from None


def load_gguf_checkpoint(path: str | Path, device: str = "cpu"):
    """A GGUF we exported, as a PyTorch Checkpoint with float32 weights."""
    import torch

    from textgen.core.checkpoint import Checkpoint, check_vocab
    from textgen.core.export.gguf_gpt2 import gpt2_tensor_names
    from textgen.core.export.gguf_tensors import decode_tensor
    from textgen.core.models import build_model

    path = Path(path)
    reader = _open_reader(path)
    header = read_gguf_header(path)
    if not is_textgen_gguf(header):
        raise TextgenError(f"{path}: this GGUF was not written by textgen (no textgen.* keys); "
                           "run it with the llama.cpp backend instead of reading it into PyTorch")
    arch = header[PREFIX + "architecture"]
    try:
        model = build_model(arch, _json(header, PREFIX + "model_config", {}))
    except (TypeError, ValueError) as e:
        raise TextgenError(f"{path}: bad model settings in the file ({e})") from None
    tokenizer = _tokenizer_from_header(path, header)

    file_names = {t.name: t for t in reader.tensors}
    if header.get("general.architecture") == "gpt2":
        to_file = gpt2_tensor_names(model.config.n_layer)
    else:
        to_file = {}
    params = dict(model.named_parameters())
    params.update(dict(model.named_buffers()))
    loaded = set()
    with torch.no_grad():
        for name, target in params.items():
            file_name = to_file.get(name, name)
            tensor = file_names.get(file_name)
            if tensor is None:
                raise TextgenError(f"{path}: tensor {file_name} is missing; the file is incomplete")
            array = decode_tensor(tensor)
            if tuple(array.shape) != tuple(target.shape):
                raise TextgenError(f"{path}: tensor {file_name} has shape {tuple(array.shape)}, "
                                   f"the model expects {tuple(target.shape)}")
            target.copy_(torch.from_numpy(array).to(target.dtype))
            loaded.add(file_name)
    extra = [n for n in file_names if n not in loaded and not _zero_bias(file_names[n], decode_tensor)]
    if extra:
        raise TextgenError(f"{path}: tensors {extra[:3]} do not belong to a {arch} model")
    check_vocab(model, tokenizer, path)
    model.to(device).eval()
    metadata = _json(header, PREFIX + "metadata", {})
    return Checkpoint(model, tokenizer, arch, path, metadata, file_format="gguf")


def _zero_bias(tensor, decode) -> bool:
    """gpt2 files hold zero biases for bias-free models; those carry nothing."""
    return tensor.name.endswith(".bias") and not decode(tensor).any()


def _tokenizer_from_header(path: Path, header: dict):
    from textgen.core.tokenizers import load_tokenizer

    kind = header.get(PREFIX + "tokenizer_kind")
    files = _json(header, PREFIX + "tokenizer_files", {})
    if not kind or not files:
        raise TextgenError(f"{path}: the tokenizer is missing from the file")
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            if Path(name).name != name:
                raise TextgenError(f"{path}: bad tokenizer file name {name!r} in the file")
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        try:
            return load_tokenizer(Path(tmp), kind)
        except TextgenError as e:
            raise TextgenError(f"{path}: its tokenizer could not be read ({e})") from None
