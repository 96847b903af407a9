"""Fixtures: a real textgen server on a free loopback port, per module or per test."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

# Without the server's own dependencies there is nothing to test here (the tests
# import httpx at the top); the browser and openai-client tests skip by themselves.
MISSING = [name for name in ("fastapi", "uvicorn", "httpx")
           if importlib.util.find_spec(name) is None]
if MISSING:
    collect_ignore_glob = ["test_*.py"]



def _harness():
    """The server harness, or a skip when the server's dependencies are absent."""
    for name in ("fastapi", "uvicorn", "httpx"):
        pytest.importorskip(name)
    import server_harness

    return server_harness


@pytest.fixture(scope="session")
def models_dir(trained_models, tmp_path_factory) -> Path:
    """A model folder holding copies of the tiny gpt (context 64) and char_rnn."""
    root = tmp_path_factory.mktemp("served-models")
    for arch in ("gpt", "char_rnn"):
        shutil.copytree(trained_models[arch][0], root / arch)
    return root


@pytest.fixture(scope="module")
def server(models_dir, tmp_path_factory):
    """A server without an API key, shared by a module's tests."""
    harness = _harness()
    running = harness.start_server(harness.make_config(models_dir, tmp_path_factory.mktemp("srv")))
    yield running
    running.stop()


@pytest.fixture
def make_server(models_dir, tmp_path):
    """Start servers with other settings; all stopped at the end of the test."""
    harness = _harness()
    started = []

    def make(trainer=None, **overrides):
        running = harness.start_server(harness.make_config(models_dir, tmp_path, **overrides),
                                       trainer=trainer)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()
