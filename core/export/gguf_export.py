"""`export MODEL --format gguf`: pick the GGUF flavour a checkpoint can take.

A GPT whose tokenizer llama.cpp can reproduce (characters or byte-level BPE)
becomes a llama.cpp "gpt2" file; everything else becomes a textgen
custom-architecture file that only textgen runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textgen.core.export.gguf_tensors import EncodingReport

LLAMA_CPP_TOKENIZERS = ("char", "bpe", "hf")


@dataclass
class GGUFExport:
    path: Path
    flavour: str            # "gpt2" (llama.cpp runs it) or "textgen.<arch>" (textgen only)
    quant: str
    report: EncodingReport

    def describe(self) -> str:
        runner = ("llama.cpp and textgen" if self.flavour == "gpt2"
                  else "textgen only (custom architecture)")
        return (f"wrote {self.path} ({self.flavour}, {self.quant}; runs in {runner}); "
                f"tensors: {self.report.summary()}")


def export_gguf(checkpoint, out: str | Path, quant: str = "f16") -> GGUFExport:
    from textgen.core.export.gguf_custom import export_custom_gguf
    from textgen.core.export.gguf_gpt2 import export_gpt_gguf
    from textgen.core.export.gguf_metadata import CUSTOM_ARCH_PREFIX

    out = Path(out)
    if checkpoint.architecture == "gpt" and checkpoint.tokenizer.kind in LLAMA_CPP_TOKENIZERS:
        report = export_gpt_gguf(checkpoint, out, quant)
        return GGUFExport(out, "gpt2", quant, report)
    report = export_custom_gguf(checkpoint, out, quant)
    return GGUFExport(out, CUSTOM_ARCH_PREFIX + checkpoint.architecture, quant, report)
