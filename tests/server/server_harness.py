"""Running a real textgen server on a free loopback port, and reading its streams.

The app is the one ``textgen serve`` runs, under uvicorn in a thread (one
process, so several servers with different settings start in well under a
second). Clients only ever connect to 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import httpx


class RunningServer:
    def __init__(self, app, server, thread, port: int):
        self.app, self._server, self._thread, self.port = app, server, thread, port
        self.url = f"http://127.0.0.1:{port}"

    @property
    def services(self):
        return self.app.state.services

    def client(self, api_key: str | None = None, **kwargs) -> "httpx.Client":
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Until no generation runs or waits on any model."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            workers = self.services.registry.workers.values()
            if not self.services.runner.running and not any(w.busy for w in workers):
                return
            time.sleep(0.02)
        raise AssertionError("the server still has generations running")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)


def start_server(config, trainer=None) -> RunningServer:
    import uvicorn

    from textgen.server import create_app

    app = create_app(config, trainer=trainer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=2))

    def run():
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return RunningServer(app, server, thread, port)


def make_config(models_dir: Path, tmp_path: Path | None = None, **overrides):
    from textgen.server import ServerConfig

    settings = dict(model_dirs=[models_dir], default_model="gpt",
                    finetune_dir=(tmp_path / "finetuned") if tmp_path else None,
                    max_tokens_limit=100_000, keepalive_seconds=2.0, torch_threads=1)
    settings.update(overrides)
    return ServerConfig(**settings)


def sse_events(response) -> list:
    """The parsed ``data:`` payloads of an SSE response, checking the framing."""
    import json

    events = []
    for block in response.text.split("\n\n"):
        if not block:
            continue
        lines = [line for line in block.split("\n") if not line.startswith(":")]
        if not lines:
            continue
        assert len(lines) == 1 and lines[0].startswith("data: "), block
        payload = lines[0][len("data: "):]
        events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events
