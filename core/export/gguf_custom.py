"""Any of our architectures as a textgen custom-architecture GGUF.

llama.cpp has no char-RNN, word-LSTM or sinusoidal-position transformer, so
these files are for textgen (and any GGUF tool that only reads the
container): `general.architecture` is "textgen.<arch>", the textgen keys
hold the hyper-parameters and tokenizer, and each tensor is stored under its
PyTorch parameter name. 2-D weights are quantized (q8_0 / q4_0) where their
rows divide into 32-value blocks; the rest stays float, as reported.

Layout of the file:
  general.architecture   "textgen.<arch>"
  general.name           the checkpoint folder's name
  general.file_type      whole-file quantization (llama.cpp's numbering)
  textgen.*              see gguf_metadata.py
  tensors                PyTorch names and (out, in) layout, shapes reversed as GGUF stores them
"""
from __future__ import annotations

from pathlib import Path

from textgen.core.export.atomic import atomic_file
from textgen.core.export.gguf_metadata import CUSTOM_ARCH_PREFIX, add_textgen_keys, write_gguf
from textgen.core.export.gguf_tensors import EncodingReport, check_quant, encode_tensor, file_type


def export_custom_gguf(checkpoint, out: str | Path, quant: str = "f16") -> EncodingReport:
    import gguf

    check_quant(quant)
    report = EncodingReport()
    model = checkpoint.model
    tensors = list(model.named_parameters()) + list(model.named_buffers())
    with atomic_file(out) as tmp:
        writer = gguf.GGUFWriter(str(tmp), CUSTOM_ARCH_PREFIX + checkpoint.architecture)
        writer.add_file_type(file_type(quant))
        add_textgen_keys(writer, checkpoint, quant)
        for name, tensor in tensors:   # named_parameters lists a tied weight once
            array, raw = encode_tensor(name, tensor, quant, report)
            writer.add_tensor(name, array, raw_dtype=raw)
        write_gguf(writer)
    return report
