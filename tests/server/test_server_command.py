"""`textgen serve` as a user runs it: a subprocess on loopback, key from the environment."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from textgen.tui.cli import app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_addresses(port: int) -> set[str] | None:
    """Local addresses with a socket listening on ``port`` (Linux /proc), or None."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        return None
    found = set()
    for line in table.read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":          # 0A = LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_help_lists_the_options():
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--model", "--models-dir", "--host", "--port", "--api-key", "--finetune-dir",
                   "--max-queue", "TEXTGEN_API_KEY"):
        assert option in result.output


def test_bad_folder_is_a_one_line_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "textgen.tui.cli", "serve", "--models-dir",
                             str(tmp_path / "missing")], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "TEXTGEN_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "--models-dir" in result.stderr


def test_serve_binds_loopback_and_requires_the_key(models_dir, tmp_path):
    port = free_port()
    env = {**os.environ, "TEXTGEN_API_KEY": "k-123", "TEXTGEN_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "textgen.tui.cli", "serve", "--models-dir", str(models_dir),
         "--port", str(port), "--threads", "1", "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert httpx.get(url + "/v1/models").status_code == 401
        models = httpx.get(url + "/v1/models", headers={"Authorization": "Bearer k-123"})
        assert {"gpt", "char_rnn"} <= {m["id"] for m in models.json()["data"]}
        listening = listening_addresses(port)
        if listening is not None:       # bound to loopback only, by default
            assert listening == {"127.0.0.1"}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("the server did not stop on Ctrl-C")
    assert process.returncode == 0, output
    assert "API key required" in output
