"""What every request passes through: API key, body size, request counting.

Written as plain ASGI middleware (not Starlette's BaseHTTPMiddleware) so a
streaming response and the client's disconnect pass straight through.

Authentication: with an API key set, every route needs
``Authorization: Bearer KEY`` (compared in constant time) except
``/health`` (for probes) and the web page's static files (``/`` and
``/static/...``: the page holds no data; it asks for the key and sends it
with each API call).
"""
from __future__ import annotations

import hmac
import json

from textgen.server.config import HEALTH_PATH
from textgen.server.metrics import Metrics

PUBLIC_PATHS = {HEALTH_PATH, "/", "/favicon.ico"}
PUBLIC_PREFIXES = ("/static/",)


async def _send_error(send, status: int, message: str, headers: list | None = None,
                      type: str = "invalid_request_error", code: str | None = None) -> None:
    body = json.dumps({"error": {"message": message, "type": type, "param": None,
                                 "code": code}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class AuthMiddleware:
    def __init__(self, app, api_key: str | None):
        self.app = app
        self._key = api_key.encode() if api_key else None

    def _public(self, path: str) -> bool:
        return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)

    def _authorized(self, scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(),
                                                                           self._key)
        return False

    async def __call__(self, scope, receive, send):
        if (self._key is None or scope["type"] != "http" or self._public(scope["path"])
                or self._authorized(scope)):
            await self.app(scope, receive, send)
            return
        await _send_error(send, 401, "missing or wrong API key: send 'Authorization: Bearer "
                          "KEY'", [(b"www-authenticate", b'Bearer realm="textgen"')],
                          code="invalid_api_key")


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes (413), by header or while reading."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    await _send_error(send, 413, f"request body over {self.limit} bytes")
                    return
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_error(send, 413, f"request body over {self.limit} bytes")


class BodyTooLarge(Exception):
    pass


class MetricsMiddleware:
    """Count requests by route template (not raw path, to keep the series few)."""

    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def counting_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "other"
            self.metrics.requests.inc(method=scope.get("method", ""), route=route,
                                      status=str(status))
