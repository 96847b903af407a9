"""Which tail of a token sequence a fixed-context model reads next.

When a sequence fills the context, the model re-reads its last part and
keeps going; `room` tokens are left free so that a re-read happens once
per `room` new tokens rather than on every token. Shared by the PyTorch
and llama.cpp decode loops (and free of torch, for the latter).
"""
from __future__ import annotations


def context_window(ids: list[int], room: int, limit: int | None) -> list[int]:
    if limit is None or len(ids) < limit:
        return ids
    room = max(1, min(room, limit // 4))
    return ids[-(limit - room):]
