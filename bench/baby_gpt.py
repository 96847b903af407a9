"""nanoGPT's CPU "baby" Shakespeare run with configs/gpt.yaml.

4 layers x 4 heads x 128 wide, context 64, batch 12, 2000 steps, lr 1e-3
decayed to 1e-4, no dropout; the first 90% of tiny Shakespeare trains, the
last 10% validates. nanoGPT reports a validation loss of about 1.88 for it.

Prints the validation loss (the trainer's estimate on 20 batches, and the
whole validation split), wall time and training tokens per second.

    python bench/baby_gpt.py [--data PATH] [--threads N] [--max-steps N] [--set key=value ...]
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "tinyshakespeare.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED) if SHARED.is_file() else None,
                        help="tiny Shakespeare text (default: the shared copy, else the "
                             "shakespeare dataset from the cache)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--set", action="append", default=[], dest="sets")
    parser.add_argument("--out", default=None, help="keep the run here (default: a temp dir)")
    args = parser.parse_args()

    import torch

    from textgen.train.config import load_config
    from textgen.train.run import train_run
    from textgen.train.scoring import score_tokens

    overrides = list(args.sets) + [f"train.threads={args.threads}"]
    overrides += [f"data.path={args.data}", "data.dataset=null"] if args.data else []
    if args.max_steps:
        overrides.append(f"train.max_steps={args.max_steps}")
    config = load_config(REPO / "configs" / "gpt.yaml", overrides)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="baby-gpt-")) / "run"

    started = time.perf_counter()
    outcome = train_run(config, out, fresh_ok=True)
    wall = time.perf_counter() - started
    r = outcome.result

    from textgen.core.checkpoint import load_checkpoint
    from textgen.train.download import cache_dir
    from textgen.train.named_datasets import load_documents
    from textgen.train.token_data import prepare

    ckpt = load_checkpoint(out / "last")
    docs = load_documents(config.data.dataset, config.data.path)
    data = prepare(docs, config.tokenizer, config.data.val_fraction, cache_dir(),
                   tokenizer=ckpt.tokenizer)
    nats, count = score_tokens(ckpt.model, data.val, 64, 64, False)
    trained_tokens = r.step * config.train.batch_size * config.train.seq_len
    print(f"steps:                 {r.step}")
    print(f"parameters:            {outcome.parameters:,}")
    print(f"val loss (20 batches): {r.last_val_loss:.4f}   best {r.best_val_loss:.4f}")
    print(f"val loss (full split): {nats / count:.4f}   "
          f"({nats / data.val_chars / math.log(2):.4f} bits per character)")
    print(f"train loss (last log): {r.train_loss:.4f}")
    print(f"wall time:             {wall:.1f} s  (training loop {r.elapsed:.1f} s)")
    print(f"tokens/s:              {trained_tokens / r.elapsed:,.0f}  "
          f"(threads {torch.get_num_threads()}, {outcome.precision})")
    print(f"run folder:            {out}")


if __name__ == "__main__":
    main()
