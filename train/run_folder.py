"""The files of one training run, and how they are replaced safely.

A run folder holds ``best/`` and ``last/`` (checkpoint folders that
``textgen generate --model`` loads), ``metrics.jsonl`` and ``config.yaml``
(the config as resolved). A checkpoint folder is written complete under a
temporary name and then swapped in; if the process dies between the two
renames of the swap, the previous folder is still there under a hidden
name and :func:`recover` puts it back, so the last good checkpoint is never
lost or half-written.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.jsonl"


class RunFolder:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    best = property(lambda self: self.root / "best")
    last = property(lambda self: self.root / "last")
    config = property(lambda self: self.root / CONFIG_FILE)
    metrics = property(lambda self: self.root / METRICS_FILE)

    def has_run(self) -> bool:
        self.recover()
        return self.last.is_dir() or self.metrics.is_file()

    def recover(self) -> None:
        """Put back a checkpoint folder that a crash left half-swapped."""
        for name in ("best", "last"):
            target = self.root / name
            olds = sorted(self.root.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
            if not target.exists() and olds:
                os.replace(olds[-1], target)
                olds = olds[:-1]
            for stale in olds:
                shutil.rmtree(stale, ignore_errors=True)
        for tmp in self.root.glob(".*.tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)

    @contextlib.contextmanager
    def writing(self, name: str):
        """Yield a fresh folder; on success it becomes ``<root>/<name>``."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=self.root))
        try:
            yield tmp
            _fsync_tree(tmp)
            swap_in(tmp, self.root / name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def append_metrics(self, record: dict) -> None:
        with open(self.metrics, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()

    def metrics_size(self) -> int:
        return self.metrics.stat().st_size if self.metrics.is_file() else 0

    def truncate_metrics(self, size: int) -> None:
        """Forget lines written after the checkpoint a resumed run starts from."""
        if self.metrics.is_file() and self.metrics.stat().st_size > size:
            with open(self.metrics, "r+b") as f:
                f.truncate(size)


def read_metrics(path: Path) -> list[dict]:
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            try:
                records.append(json.loads(line))
            except ValueError:
                continue    # a line cut short by a hard kill
    return records


def swap_in(new: Path, target: Path) -> None:
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if old.exists():
        shutil.rmtree(old)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
