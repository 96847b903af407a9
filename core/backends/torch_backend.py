"""Our own PyTorch models behind the Generator interface.

The decode loop (shared with the Hugging Face backend) lives in
model_decode.py. A checkpoint may also come from a GGUF file we exported
(read back dequantized), and may carry a "quantize": "dynamic-int8" marker
that is applied on load.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from textgen.core.backends.model_decode import ModelDecodeLoop
from textgen.core.checkpoint import Checkpoint, is_checkpoint_dir, load_checkpoint
from textgen.core.generator import Generator, ModelInfo


class TorchGenerator(ModelDecodeLoop, Generator):
    backend_name = "torch"

    def __init__(self, checkpoint: Checkpoint):
        self.checkpoint = checkpoint
        self.model = checkpoint.model.eval()
        self.tokenizer = checkpoint.tokenizer
        meta = checkpoint.metadata or {}
        parameters = self.model.num_parameters()
        quantization = str(next(self.model.parameters()).dtype).replace("torch.", "")
        if meta.get("quantize") == "dynamic-int8":
            from textgen.core.export.dynamic_int8 import quantize_dynamic_int8

            self.model = quantize_dynamic_int8(self.model)
            quantization = "dynamic-int8"
        self.info = ModelInfo(
            path=str(checkpoint.path), backend=self.backend_name,
            architecture=checkpoint.architecture,
            parameters=parameters,
            vocab_size=self.model.config.vocab_size,
            context_length=self.model.context_length,
            file_format=checkpoint.file_format,
            quantization=quantization,
            tokenizer=self.tokenizer.kind,
            control_codes=list(meta.get("control_codes", [])),
        )

    # --- loading -------------------------------------------------------------
    @staticmethod
    def can_load(path: Path) -> bool:
        return (path.is_dir() and is_checkpoint_dir(path)) or path.suffix in (".pt", ".pth")

    @classmethod
    def load(cls, path: Path, **options) -> "TorchGenerator":
        if Path(path).suffix.lower() == ".gguf":  # one of our GGUF exports, dequantized
            from textgen.core.export.gguf_reader import load_gguf_checkpoint

            return cls(load_gguf_checkpoint(path))
        return cls(load_checkpoint(path))

    # --- tokens --------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(ids)

    @property
    def eos_id(self) -> int | None:
        return self.tokenizer.eos_id

    @property
    def chat_template(self) -> str | None:
        return getattr(self.tokenizer, "chat_template", None)

    def apply_chat_template(self, messages: list[dict]) -> str:
        if self.chat_template:
            return self.tokenizer.apply_chat_template(messages)
        return super().apply_chat_template(messages)

    def _piece(self, token_id: int) -> str:
        return self.tokenizer.id_to_piece(token_id)
