"""Mixed precision: which autocast to use, and a gradient scaler for fp16.

"auto" picks bf16 on a CUDA device that supports it (else fp16 with a
GradScaler), bf16 on a CPU with native bf16 instructions (AMX / AVX512-BF16),
and fp32 on other CPUs, where bf16 is emulated and slower than fp32.
"""
from __future__ import annotations

import contextlib
import functools

from textgen.core.errors import TextgenError


def cpu_has_native_bf16() -> bool:
    import torch

    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        check = getattr(torch.cpu, probe, None)
        try:
            if check is not None and check():
                return True
        except Exception:
            continue
    return False


def resolve_precision(requested: str, device_type: str) -> str:
    import torch

    if requested == "auto":
        if device_type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_has_native_bf16() else "fp32"
    if requested == "fp16" and device_type != "cuda":
        raise TextgenError("train.precision=fp16 needs a CUDA device; use bf16 or fp32 on CPU")
    return requested


def autocast_factory(precision: str, device_type: str):
    """A zero-argument callable giving a fresh autocast context."""
    import torch

    if precision == "fp32":
        return contextlib.nullcontext
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return functools.partial(torch.autocast, device_type=device_type, dtype=dtype)


def grad_scaler(precision: str, device_type: str):
    import torch

    enabled = precision == "fp16" and device_type == "cuda"
    return torch.amp.GradScaler(device_type if enabled else "cpu", enabled=enabled)
