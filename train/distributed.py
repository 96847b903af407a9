"""Data-parallel training across processes (``torchrun --nproc_per_node=N``).

The process group is NCCL on GPUs and gloo on CPU. Every rank trains on its
own share of the data and DistributedDataParallel averages the gradients,
so all ranks hold the same weights after each step; only rank 0 writes
checkpoints and logs. A stop request (Ctrl-C, SIGTERM, early stopping) on
any rank is shared with all, so they stop at the same step.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    initialized_here: bool = False

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device_type: str) -> DistInfo:
    """Join the process group torchrun (or a test) describes in the environment."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", str(rank)))
    created = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
        created = True
    return DistInfo(dist.get_rank(), dist.get_world_size(), local, created)


def teardown(info: DistInfo) -> None:
    if info.initialized_here:
        import torch.distributed as dist

        dist.destroy_process_group()


def any_rank(info: DistInfo, flag: bool, device="cpu") -> bool:
    if not info.enabled:
        return flag
    import torch
    import torch.distributed as dist

    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def sum_all(info: DistInfo, values: list[float], device="cpu") -> list[float]:
    if not info.enabled:
        return values
    import torch
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def gather(info: DistInfo, obj) -> list:
    """Every rank's ``obj`` (on every rank; only rank 0 uses it)."""
    if not info.enabled:
        return [obj]
    import torch.distributed as dist

    out = [None] * info.world
    dist.all_gather_object(out, obj)
    return out


def barrier(info: DistInfo) -> None:
    if info.enabled:
        import torch.distributed as dist

        dist.barrier()
