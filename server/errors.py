"""Every failure a client can cause becomes one JSON error with the right status.

The body has OpenAI's shape, so the official clients raise their own typed
errors with our message:

    {"error": {"message": "...", "type": "invalid_request_error",
               "param": "temperature", "code": null}}

422: a malformed or out-of-range field (the message names it); 400: a
request the model cannot serve (too long for its context, text it cannot
encode); 401: no or wrong API key; 404: unknown model, job or route;
503: the queue is full (with Retry-After). Anything unexpected is a 500
whose body says nothing about the server's insides; the traceback goes to
the log.
"""
from __future__ import annotations

import asyncio
import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from textgen.core.errors import TextgenError

log = logging.getLogger("textgen.server")


class APIError(Exception):
    """An error response: status, message, and optionally the field at fault."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.param, self.code, self.headers, self.extra = param, code, headers or {}, extra or {}

    def response(self) -> JSONResponse:
        return error_response(self.status, self.message, type=self.type, param=self.param,
                              code=self.code, headers=self.headers, extra=self.extra)


class InvalidField(APIError):
    """A field's value is out of range for this model (422, names the field)."""

    def __init__(self, field: str, message: str):
        super().__init__(422, f"{field}: {message}", param=field, code="invalid_value")


class ContextTooLong(APIError):
    """The prompt does not fit the model's context (400, with the numbers)."""

    def __init__(self, prompt_tokens: int, limit: int, what: str = "prompt", detail: str = ""):
        message = (f"the {what} is {prompt_tokens} tokens but this model takes at most {limit} "
                   f"prompt tokens{detail}; shorten it")
        super().__init__(400, message, param="messages" if what == "messages" else "prompt",
                         code="context_length_exceeded",
                         extra={"prompt_tokens": prompt_tokens, "limit": limit})


class UnknownModel(APIError):
    def __init__(self, name: str):
        super().__init__(404, f"model {name!r} not found; GET /v1/models lists the models "
                         "this server has (names, not paths)", param="model",
                         code="model_not_found")


class QueueFull(APIError):
    def __init__(self, what: str, retry_after: int):
        super().__init__(503, f"{what} is busy: its queue is full; retry in {retry_after} s",
                         type="server_busy", code="queue_full",
                         headers={"Retry-After": str(retry_after)})


def error_response(status: int, message: str, *, type: str = "invalid_request_error",
                   param: str | None = None, code: str | None = None,
                   headers: dict[str, str] | None = None,
                   extra: dict | None = None) -> JSONResponse:
    body = {"message": message, "type": type, "param": param, "code": code, **(extra or {})}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def error_from_exception(exc: BaseException) -> APIError:
    """The APIError a failure inside a generation stands for."""
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, asyncio.CancelledError):
        return APIError(503, "generation stopped: the server is shutting down or unloading "
                        "the model", type="server_busy", code="cancelled")
    if isinstance(exc, TextgenError):
        return APIError(400, str(exc))
    log.error("generation failed", exc_info=exc)
    return APIError(500, "internal error while generating; see the server log",
                    type="server_error")


# Union members and validators appear in pydantic's error locations; they are not fields.
_TYPE_TAG = re.compile(r"^(str|int|float|bool|none|list\[.*\]|dict\[.*\]|[a-z-]+\[.*\])$")


def field_name(loc) -> str:
    """('body', 'messages', 0, 'role') -> 'messages[0].role';
    ('body', 'prompt', 'str') -> 'prompt'."""
    parts = [p for p in loc if p not in ("body", "query", "path")]
    parts = [p for i, p in enumerate(parts)
             if i == 0 or not (isinstance(p, str) and _TYPE_TAG.match(p))]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return name or "body"


def describe_validation(errors: list[dict]) -> tuple[str, str | None]:
    """One readable line naming each bad field, and the first field."""
    lines, first = [], None
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            lines.append(f"body is not valid JSON ({ctx.get('error', err.get('msg'))})")
            continue
        name = field_name(err.get("loc", ()))
        if err.get("type") == "missing" and name == "body":
            lines.append("body: a JSON object is required")
            continue
        first = first or name
        message = err.get("msg", "invalid value")
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        line = f"{name}: {message}"
        if line not in lines:
            lines.append(line)
    return "; ".join(lines), first


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError):
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        message, param = describe_validation(list(exc.errors()))
        content_type = request.headers.get("content-type", "")
        if param == "body" and "json" not in content_type:
            message = (f"body: send a JSON object with Content-Type: application/json "
                       f"(got {content_type or 'no Content-Type'})")
        return error_response(422, message, param=param, code="invalid_value")

    @app.exception_handler(TextgenError)
    async def textgen_error(request: Request, exc: TextgenError):
        return error_response(400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # e.g. JSON nested too deeply for the parser
            return error_response(422, "body is not valid JSON (could not be parsed)",
                                  param="body", code="invalid_value")
        kind = "not_found" if exc.status_code == 404 else "invalid_request_error"
        return error_response(exc.status_code, str(exc.detail), type=kind,
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal server error; see the server log",
                              type="server_error")
