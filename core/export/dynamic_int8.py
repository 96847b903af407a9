"""PyTorch dynamic int8 quantization of our models, and how it is kept.

`torch.ao.quantization.quantize_dynamic` swaps Linear, LSTM and GRU layers
for versions that store int8 weights and quantize activations on the fly:
smaller and usually faster on CPU, at a small cost in perplexity. Such
modules do not save as plain safetensors, so a quantized model is kept as
its float checkpoint with `"quantize": "dynamic-int8"` in the metadata, and
the PyTorch backend quantizes it again when it loads (a second or less).

An attention model's output layer stays float: its KV cache takes dtype and
device from that weight.
"""
from __future__ import annotations

MARKER = "dynamic-int8"


def quantize_dynamic_int8(model):
    """A quantized copy of `model` (the original is left as it was)."""
    import warnings

    import torch
    import torch.nn as nn
    from torch.ao.quantization import quantize_dynamic

    kinds = (nn.Linear, nn.LSTM, nn.GRU)
    keep_float = {_output_layer(model)} if getattr(model, "context_length", None) else set()
    names = {name for name, module in model.named_modules()
             if isinstance(module, kinds) and name not in keep_float}
    if not names:
        return model
    engines = torch.backends.quantized.supported_engines
    if torch.backends.quantized.engine not in engines or torch.backends.quantized.engine == "none":
        torch.backends.quantized.engine = next(e for e in ("x86", "fbgemm", "qnnpack") if e in engines)
    with warnings.catch_warnings():
        # torch.ao.quantization is marked deprecated (in favour of torchao) but is the
        # one dynamic int8 path in PyTorch itself; its warnings say nothing to a user
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        quantized = quantize_dynamic(model, names, dtype=torch.qint8)
    quantized.eval()
    return quantized


def _output_layer(model) -> str | None:
    """The name of the last Linear (the head that turns hidden states into logits)."""
    import torch.nn as nn

    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last = name
    return last
