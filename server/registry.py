"""Which models the server offers, by name, and which are loaded.

A request names a model; it never gives a path. Names come from the
configured model paths and from the entries of the configured folders
(rescanned, so a model copied in or a finished fine-tune appears without a
restart). A name is looked up in that table and nowhere else, so "../x",
"/etc/passwd" or "a/b" can never reach the file system: they are simply not
names in the table (and are refused before the lookup as well).

Loading happens off the event loop, once per model even when many requests
ask at the same moment. When more than ``max_loaded`` models are in memory,
idle ones are unloaded, least recently used first.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from textgen.core.errors import TextgenError
from textgen.server.config import ServerConfig
from textgen.server.errors import APIError, UnknownModel
from textgen.server.metrics import Metrics
from textgen.server.scheduler import ModelWorker

log = logging.getLogger("textgen.server")

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


def valid_name(name: str) -> bool:
    return bool(NAME_PATTERN.match(name)) and ".." not in name


def safe_name(name: str) -> str:
    """A usable model name from a file or folder name ("my model.gguf" -> "my-model.gguf")."""
    name = re.sub(r"[^A-Za-z0-9._+-]+", "-", name).strip(".-_+")
    name = re.sub(r"\.{2,}", ".", name)[:128]
    return name if valid_name(name) else "model"


@dataclass
class ModelEntry:
    name: str
    path: Path
    source: str        # "path" (given on the command line) | "folder" | "finetuned"
    created: int

    def to_dict(self) -> dict:
        return {"id": self.name, "object": "model", "created": self.created,
                "owned_by": "textgen" if self.source == "finetuned" else "local",
                "source": self.source}


def _is_model(path: Path) -> bool:
    from textgen.core.backends import detect_backend

    try:
        detect_backend(path)
        return True
    except (TextgenError, OSError):
        return False


def _created(path: Path) -> int:
    try:
        return int(path.stat().st_mtime)
    except OSError:
        return 0


class ModelRegistry:
    RESCAN_SECONDS = 2.0

    def __init__(self, config: ServerConfig, metrics: Metrics):
        self.config = config
        self.metrics = metrics
        self._scanned: tuple[float, dict[str, ModelEntry]] | None = None
        self._workers: dict[str, ModelWorker] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        metrics.add_gauge("textgen_queue_depth", "Requests waiting for a model.",
                          lambda: {(("model", n),): w.waiting for n, w in self._workers.items()})
        metrics.add_gauge("textgen_active_streams", "Generations being advanced, by model.",
                          lambda: {(("model", n),): w.active for n, w in self._workers.items()})
        metrics.add_gauge("textgen_models_loaded", "Models held in memory.",
                          lambda: {(): len(self._workers)})

    # --- names -------------------------------------------------------------------
    def entries(self, fresh: bool = False) -> dict[str, ModelEntry]:
        """name -> entry: the folders are scanned again when ``fresh`` or once the last
        scan is older than ``RESCAN_SECONDS`` (a scan lists folders and reads config.json
        files: cheap, but not for every token of a busy server)."""
        now = time.monotonic()
        if fresh or self._scanned is None or now - self._scanned[0] > self.RESCAN_SECONDS:
            self._scanned = (now, self._scan())
        return dict(self._scanned[1])

    def _scan(self) -> dict[str, ModelEntry]:
        found: dict[str, ModelEntry] = {}
        seen: set[Path] = set()

        def add(path: Path, source: str) -> None:
            real = path.resolve()
            if real in seen:           # e.g. --model inside a --models-dir: listed once
                return
            seen.add(real)
            name = base = safe_name(path.name)
            n = 1
            while name in found:
                n += 1
                name = f"{base}-{n}"
            found[name] = ModelEntry(name, path, source, _created(path))

        for path in self.config.model_paths:
            add(path, "path")
        folders = [(d, "folder") for d in self.config.model_dirs]
        if self.config.finetune_dir is not None:
            folders.append((self.config.finetune_dir, "finetuned"))
        for folder, source in folders:
            try:
                children = sorted(folder.iterdir())
            except OSError:
                continue
            for child in children:
                if not child.name.startswith(".") and _is_model(child):
                    add(child, source)
        return found

    def default_name(self, entries: dict[str, ModelEntry] | None = None) -> str:
        entries = entries if entries is not None else self.entries()
        if self.config.default_model and self.config.default_model in entries:
            return self.config.default_model
        if not entries:
            raise APIError(404, "this server has no models; start it with --model PATH or "
                           "--models-dir DIR", param="model", code="model_not_found")
        return next(iter(entries))

    def lookup(self, name: str | None) -> ModelEntry:
        """The entry for a requested name (None or "" = the default model)."""
        if name and not valid_name(name):
            raise UnknownModel(name)
        entries = self.entries()
        if name and name not in entries:       # a model added since the last scan?
            entries = self.entries(fresh=True)
        if not name:
            name = self.default_name(entries)
        entry = entries.get(name)
        if entry is None:
            raise UnknownModel(name)
        return entry

    # --- loaded models ---------------------------------------------------------------
    @property
    def workers(self) -> dict[str, ModelWorker]:
        return dict(self._workers)

    async def worker(self, name: str | None) -> tuple[ModelEntry, ModelWorker]:
        entry = self.lookup(name)
        worker = self._workers.get(entry.name)
        if worker is not None:
            return entry, worker
        lock = self._loading.setdefault(entry.name, asyncio.Lock())
        async with lock:
            worker = self._workers.get(entry.name)
            if worker is None:
                generator = await run_in_threadpool(self._load, entry)
                worker = ModelWorker(entry.name, generator, self.metrics,
                                     self.config.max_active_per_model,
                                     self.config.max_waiting_per_model)
                self._workers[entry.name] = worker
                await self._evict(keep=entry.name)
        return entry, worker

    @staticmethod
    def _load(entry: ModelEntry):
        from textgen.core import load

        log.info("loading model %s from %s", entry.name, entry.path)
        try:
            return load(entry.path)
        except TextgenError as e:
            raise APIError(500, f"model {entry.name!r} could not be loaded: {e}",
                           type="server_error", code="model_load_failed") from None

    async def _evict(self, keep: str) -> None:
        idle = sorted((w.last_used, n) for n, w in self._workers.items()
                      if n != keep and not w.busy)
        while len(self._workers) > self.config.max_loaded_models and idle:
            _, name = idle.pop(0)
            worker = self._workers.pop(name)
            log.info("unloading idle model %s", name)
            await run_in_threadpool(worker.close)

    async def close(self) -> None:
        workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            await run_in_threadpool(worker.close)
