"""`textgen serve`: the HTTP API and web page."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

API_KEY_ENV = "TEXTGEN_API_KEY"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def serve(
    model: Optional[str] = typer.Option(
        None, "--model", "-m", help="The model to serve, and the default one for requests that "
        "name none. Without it: $TEXTGEN_MODEL, then the installed default, unless "
        "--models-dir is given."),
    models_dir: List[Path] = typer.Option(
        [], "--models-dir", help="A folder whose entries are models, each served under its "
        "file or folder name (repeatable)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind. Anything but "
                             "loopback exposes the server: set an API key."),
    port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="Port to bind."),
    api_key: Optional[str] = typer.Option(
        None, "--api-key", envvar=API_KEY_ENV, show_envvar=True,
        help="Require 'Authorization: Bearer KEY' on every API route (/health and the web "
        "page's own files stay open). Prefer the environment variable: a command-line key "
        "shows in process lists."),
    api_key_file: Optional[Path] = typer.Option(
        None, "--api-key-file", help="Read the API key from this file (first line)."),
    finetune_dir: Optional[Path] = typer.Option(
        None, "--finetune-dir", help="Where fine-tuned models go (and are served from). "
        "Default: <data folder>/finetuned."),
    max_active: int = typer.Option(8, "--max-active", min=1,
                                   help="Generations advanced in turn per model."),
    max_queue: int = typer.Option(64, "--max-queue", min=0, help="Requests waiting per model "
                                  "beyond those; more get 503 with Retry-After."),
    max_loaded: int = typer.Option(2, "--max-loaded", min=1,
                                   help="Models kept in memory (idle ones are unloaded)."),
    max_tokens_limit: int = typer.Option(4096, "--max-tokens-limit", min=1,
                                         help="The largest max_tokens a request may ask for."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="PyTorch CPU threads "
                                          "(default: PyTorch's choice; 1 often serves small "
                                          "models fastest on a busy machine)."),
    log_level: str = typer.Option("info", "--log-level",
                                  help="critical, error, warning, info or debug."),
) -> None:
    """Serve models over HTTP: OpenAI-compatible /v1 routes, /api/generate for the
    writing modes, fine-tune jobs, a web page at /, /health and /metrics.

    Example: textgen serve --model models/shakespeare --port 8000
    Then: curl http://127.0.0.1:8000/v1/models
    """
    import sys

    import uvicorn

    from textgen.core.errors import TextgenError
    from textgen.server import ServerConfig, create_app
    from textgen.server.registry import safe_name

    if log_level.lower() not in LOG_LEVELS:
        raise TextgenError(f"--log-level {log_level!r}: choose one of {', '.join(LOG_LEVELS)}")

    model_paths: list[Path] = []
    if model or not models_dir:
        from textgen.tui.model_choice import resolve_model_path

        path = resolve_model_path(model)
        if not path.exists():
            raise TextgenError(f"{path}: no such model file or folder")
        model_paths.append(path)
    for folder in models_dir:
        if not folder.expanduser().is_dir():
            raise TextgenError(f"{folder}: no such folder (--models-dir)")
    if api_key_file is not None:
        try:
            api_key = api_key_file.expanduser().read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError):
            raise TextgenError(f"{api_key_file}: cannot read an API key from it") from None
    if finetune_dir is None:
        from textgen.tui.user_data import data_dir

        finetune_dir = data_dir() / "finetuned"
    config = ServerConfig(
        model_paths=model_paths, model_dirs=list(models_dir), finetune_dir=finetune_dir,
        default_model=safe_name(model_paths[0].name) if model_paths else None, api_key=api_key,
        max_active_per_model=max_active, max_waiting_per_model=max_queue,
        max_loaded_models=max_loaded, max_tokens_limit=max_tokens_limit, torch_threads=threads)
    if host not in LOOPBACK and not config.api_key:
        print(f"warning: serving on {host} without an API key: anyone who can reach port "
              f"{port} can use the models and start fine-tunes (set {API_KEY_ENV})",
              file=sys.stderr)
    app = create_app(config)
    shown = f"[{host}]" if ":" in host else host
    print(f"textgen: serving on http://{shown}:{port} "
          f"({'API key required' if config.api_key else 'no API key'}); Ctrl-C stops",
          file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower(),
                timeout_graceful_shutdown=5)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
