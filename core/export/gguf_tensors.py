"""Encoding PyTorch tensors as GGUF tensor data, with the quantization rules
llama.cpp expects.

Rules: 1-D tensors (norms, biases) and tensors the caller marks as
"keep_float" (position embeddings) stay f32; Q8_0/Q4_0 need a row length
that is a multiple of 32 (the block size), so a tensor whose rows do not
divide falls back to f16 and the fallback is reported, never hidden.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from textgen.core.errors import TextgenError

QUANT_NAMES = ("f32", "f16", "q8_0", "q4_0")
BLOCK = 32


def ggml_type(name: str):
    from gguf import GGMLQuantizationType as Q

    return {"f32": Q.F32, "f16": Q.F16, "q8_0": Q.Q8_0, "q4_0": Q.Q4_0}[name]


def file_type(name: str) -> int:
    """The `general.file_type` value llama.cpp shows for a whole-file quantization."""
    from gguf import LlamaFileType as F

    return {"f32": F.ALL_F32, "f16": F.MOSTLY_F16, "q8_0": F.MOSTLY_Q8_0,
            "q4_0": F.MOSTLY_Q4_0}[name]


def check_quant(name: str) -> str:
    if name not in QUANT_NAMES:
        raise TextgenError(f"unknown quantization {name!r}; choose one of {', '.join(QUANT_NAMES)}")
    return name


@dataclass
class EncodingReport:
    """Which tensors got which type, and why some did not get the one asked for."""
    types: dict[str, str] = field(default_factory=dict)
    fallbacks: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for t in self.types.values():
            counts[t] = counts.get(t, 0) + 1
        text = ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
        if self.fallbacks:
            text += f"; kept as float: {len(self.fallbacks)} (" + "; ".join(
                f"{k}: {v}" for k, v in list(self.fallbacks.items())[:4]) + \
                ("; ..." if len(self.fallbacks) > 4 else "") + ")"
        return text


def encode_tensor(name: str, tensor, quant: str, report: EncodingReport,
                  keep_float: bool = False) -> tuple[np.ndarray, object | None]:
    """Return (array, raw_dtype) for `GGUFWriter.add_tensor`.

    The array keeps PyTorch's (out, in) layout: GGUF stores shapes reversed,
    so ggml sees ne0 = in_features, which is what its matmuls want.
    """
    from gguf import quants

    array = tensor.detach().to("cpu").float().contiguous().numpy()
    wanted = quant
    if array.ndim <= 1 or keep_float:
        wanted = "f32"
    elif quant in ("q8_0", "q4_0") and array.shape[-1] % BLOCK:
        wanted = "f16"
        report.fallbacks[name] = f"row length {array.shape[-1]} is not a multiple of {BLOCK}"
    report.types[name] = wanted
    if wanted == "f32":
        return array.astype(np.float32), None
    if wanted == "f16":
        return array.astype(np.float16), None
    qtype = ggml_type(wanted)
    return quants.quantize(array, qtype), qtype


def decode_tensor(reader_tensor) -> np.ndarray:
    """A GGUFReader tensor as a float32 array in PyTorch's layout."""
    from gguf import GGMLQuantizationType as Q
    from gguf import quants

    shape = tuple(int(n) for n in reversed(reader_tensor.shape.tolist()))
    kind = reader_tensor.tensor_type
    data = reader_tensor.data
    if kind == Q.F32:
        array = np.array(data, dtype=np.float32)   # a copy: the file is memory-mapped read-only
    elif kind == Q.F16:
        array = np.asarray(data, dtype=np.float16).astype(np.float32)
    else:
        try:
            array = quants.dequantize(np.asarray(data), kind)
        except NotImplementedError:
            raise TextgenError(f"tensor {reader_tensor.name}: quantization type {kind.name} "
                               "cannot be read back; re-export as f32, f16, q8_0 or q4_0") from None
    return array.reshape(shape).astype(np.float32, copy=False)
