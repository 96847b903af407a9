"""What a running server is allowed to do, in one place.

Every limit a client could push against (queue length, reply length, body
size, models held in memory) is a field here with a safe default, so the
routes never invent their own numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
HEALTH_PATH = "/health"


@dataclass
class ServerConfig:
    # Models: explicit paths (each becomes one named model) and folders whose
    # entries are models. Requests name models; they never give paths.
    model_paths: list[Path] = field(default_factory=list)
    model_dirs: list[Path] = field(default_factory=list)
    # Where finished fine-tunes are written (also scanned for models).
    finetune_dir: Path | None = None
    default_model: str | None = None      # a name; None = the first model found

    api_key: str | None = None            # None = no authentication

    max_active_per_model: int = 8         # streams advanced in turn on one model
    max_waiting_per_model: int = 64       # queued beyond those; more -> 503
    max_loaded_models: int = 2            # idle models beyond this are unloaded
    max_tokens_limit: int = 4096          # the largest max_tokens a request may ask for
    max_choices: int = 8                  # the largest `n`
    max_body_bytes: int = 32 * 1024 * 1024    # any request body (fine-tune uploads included)
    max_finetune_pending: int = 4         # fine-tune jobs queued behind the running one
    keepalive_seconds: float = 10.0       # SSE comment sent while a stream waits
    # PyTorch's intra-op threads (process-wide); None leaves PyTorch's default. Small
    # models on a busy CPU run far faster on 1 thread than on several that spin.
    torch_threads: int | None = None

    def __post_init__(self):
        self.model_paths = [Path(p).expanduser() for p in self.model_paths]
        self.model_dirs = [Path(p).expanduser() for p in self.model_dirs]
        if self.finetune_dir is not None:
            self.finetune_dir = Path(self.finetune_dir).expanduser()
        if self.api_key is not None and not self.api_key.strip():
            self.api_key = None
        for name in ("max_active_per_model", "max_loaded_models", "max_tokens_limit",
                     "max_choices", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.max_waiting_per_model < 0 or self.max_finetune_pending < 0:
            raise ValueError("queue lengths must be >= 0")
