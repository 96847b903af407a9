"""Data-parallel training: two CPU processes (gloo) hold identical weights,
and only rank 0 writes."""
from __future__ import annotations

import os
import socket

import pytest
import torch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, text_file: str, out: str, cache: str,
            arch: str) -> None:
    import sys
    from pathlib import Path

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank), TEXTGEN_CACHE_DIR=cache)
    torch.set_num_threads(1)
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import tiny_config
    from safetensors.torch import save_file

    from textgen.train.run import train_run

    config = tiny_config(arch, text_file, max_steps=6, eval_interval=3, checkpoint_interval=3)
    outcome = train_run(config, Path(out) / "run")
    state = {k: v.detach().clone().contiguous()
             for k, v in outcome.target.model.state_dict().items()}
    if arch == "gpt":
        state.pop("lm_head.weight")        # tied to the embedding
    save_file(state, str(Path(out) / f"rank{rank}.safetensors"))


@pytest.mark.parametrize("arch", ["gpt", "char_rnn"])
def test_two_processes_hold_identical_weights(arch, tmp_path, text_file):
    import torch.multiprocessing as mp
    from safetensors.torch import load_file

    from textgen.train.run_folder import read_metrics

    cache = os.environ["TEXTGEN_CACHE_DIR"]
    mp.start_processes(_worker, args=(2, _free_port(), str(text_file), str(tmp_path), cache, arch),
                       nprocs=2, join=True, start_method="spawn")
    rank0, rank1 = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1))
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    from textgen.core.checkpoint import load_checkpoint

    saved = load_checkpoint(tmp_path / "run" / "last").model.state_dict()
    assert all(torch.equal(saved[k], rank0[k]) for k in rank0)
    records = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert sum(r["event"] == "start" for r in records) == 1          # one writer
    assert records[0]["world_size"] == 2
    first = next(r for r in records if r["event"] == "train")
    assert first["tokens"] == first["step"] * 2 * 4 * 16            # both ranks' tokens counted
