"""The FastAPI application: parts wired together, routes mounted.

``create_app(config)`` builds everything from a ServerConfig; ``textgen
serve`` runs it under uvicorn, and tests run the same app on a loopback
port. The default model is loaded at start-up, so a failing model shows at
once and ``/health`` answers only when the server can generate.
"""
from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from textgen.server.config import HEALTH_PATH, ServerConfig
from textgen.server.errors import install_error_handlers
from textgen.server.finetune_jobs import FinetuneManager
from textgen.server.metrics import Metrics
from textgen.server.middleware import AuthMiddleware, BodyLimitMiddleware, MetricsMiddleware
from textgen.server.registry import ModelRegistry
from textgen.server.streaming import ClientGone, JobRunner

log = logging.getLogger("textgen.server")

STATIC_DIR = Path(__file__).parent / "static"


@dataclass
class Services:
    config: ServerConfig
    metrics: Metrics
    registry: ModelRegistry
    runner: JobRunner
    finetunes: FinetuneManager
    started: float


def create_app(config: ServerConfig, *, trainer: Callable | None = None,
               preload: bool = True) -> FastAPI:
    """The app for ``config``. ``trainer`` replaces textgen.train.finetune.finetune
    (same signature); ``preload=False`` loads the default model on first use."""
    from textgen.server import finetune_routes, generate_routes, openai_routes

    metrics = Metrics()
    registry = ModelRegistry(config, metrics)
    finetunes = FinetuneManager(config.finetune_dir, trainer, config.max_finetune_pending)
    services = Services(config, metrics, registry, JobRunner(registry, config.keepalive_seconds),
                        finetunes, time.time())
    metrics.add_gauge("textgen_finetune_jobs", "Fine-tune jobs by status.",
                      lambda: {(("status", k),): v for k, v in finetunes.counts().items()})

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threads_before = _set_torch_threads(config.torch_threads)
        try:
            if preload:
                entries = registry.entries()
                if entries:
                    await registry.worker(registry.default_name(entries))
            yield
        finally:
            finetunes.shutdown()
            await registry.close()
            _set_torch_threads(threads_before)

    app = FastAPI(title="textgen", version=_version(), lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.services = services
    install_error_handlers(app)

    @app.exception_handler(ClientGone)
    async def client_gone(request: Request, exc: ClientGone):
        return Response(status_code=499)

    app.include_router(openai_routes.router)
    app.include_router(generate_routes.router)
    app.include_router(finetune_routes.router)

    @app.get(HEALTH_PATH)
    async def health():
        return {"status": "ok", "models_loaded": len(registry.workers),
                "uptime_seconds": round(time.time() - services.started, 1)}

    @app.get("/metrics")
    async def prometheus_metrics():
        return Response(metrics.render(), media_type=Metrics.CONTENT_TYPE)

    @app.get("/api/status")
    async def status():
        """Loaded models and their queues, and fine-tune jobs by status."""
        workers = registry.workers
        return {"models": {name: {"active": w.active, "waiting": w.waiting,
                                  "max_active": w.max_active, "max_waiting": w.max_waiting}
                           for name, w in workers.items()},
                "running_generations": len(services.runner.running),
                "tokens_generated": metrics.tokens.total(),
                "finetune_jobs": finetunes.counts(),
                "auth": config.api_key is not None}

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # the last added runs first: count everything, check the key, then bound the body
    app.add_middleware(BodyLimitMiddleware, limit=config.max_body_bytes)
    app.add_middleware(AuthMiddleware, api_key=config.api_key)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def _set_torch_threads(threads: int | None) -> int | None:
    """Set PyTorch's thread count; returns the previous one (None when unchanged)."""
    if not threads:
        return None
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    return before


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("textgen")
    except Exception:
        return "0"
