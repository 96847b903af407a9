"""textgen's HTTP server: an OpenAI-compatible API, the product's own routes
(modes, fine-tune jobs), a web page, health and metrics.

    from textgen.server import ServerConfig, create_app
    app = create_app(ServerConfig(model_paths=["models/shakespeare"]))

``textgen serve`` runs it under uvicorn. Importing this package imports
FastAPI; the command line imports it only when ``serve`` runs.
"""
from textgen.server.app import create_app
from textgen.server.config import DEFAULT_HOST, DEFAULT_PORT, ServerConfig

__all__ = ["create_app", "ServerConfig", "DEFAULT_HOST", "DEFAULT_PORT"]
