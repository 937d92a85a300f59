"""The hot route answered directly: POST /score without BentoML's per-request machinery.

BentoML handles a request with a Starlette Request, a context variable, its IO model, its serde
and its response classes: about a third of the event loop's time per /score, more than the
route's own work. DirectRoute is the innermost middleware of the service (inside the API key,
body limits, in-flight limit and BentoML's own metrics, access log and timeout), and answers one
route itself with the same request model, the same 400 body, the same 503 and the same
response bytes; every other route, and this one until the service has started, goes on to
BentoML. BentoML still documents the route in /docs.json.

The handler is bound when the service instance starts (`DirectEndpoint.bind`): a middleware is
built before the instance exists.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from pydantic import BaseModel, ValidationError

from serving.boundary import RETRY_AFTER_SECONDS, UNAVAILABLE_BODY, Message, Receive, Scope, Send

__all__ = [
    "CLIENT_CLOSED_REQUEST",
    "DirectEndpoint",
    "DirectRoute",
    "UnavailableError",
    "answer_directly",
]

# BentoML logs a failed request here; serving.log_redaction keeps the values out of the record.
log = logging.getLogger("_bentoml_impl.server.app")

CLIENT_CLOSED_REQUEST = 499  # what proxies log for a request whose client went away
SERVER_ERROR_BODY = b'{"error":"An unexpected error has occurred, please check the server log."}'
JSON = (b"content-type", b"application/json")

ClientGone = Callable[[], Awaitable[bool]]
Handler = Callable[[Any, ClientGone], Awaitable[bytes | None]]


class UnavailableError(Exception):
    """The request cannot be answered now (customer features unavailable): 503, Retry-After."""


@dataclass
class DirectEndpoint:
    """One route's request model, and its handler once the service has started.

    The handler gets the validated request and a `client_gone()` check, and returns the
    response body (JSON bytes), or None when the client went away before it was answered.
    """

    path: str
    request_model: type[BaseModel]
    server_name: str
    handler: Handler | None = field(default=None, repr=False)

    def bind(self, handler: Handler) -> None:
        self.handler = handler


class DirectRoute:
    """ASGI middleware: answers `endpoint.path` itself, passes everything else on."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], endpoint: DirectEndpoint
    ) -> None:
        self.app = app
        self.endpoint = endpoint
        self.server = (b"server", f"BentoML Service/{endpoint.server_name}".encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.endpoint.handler
        if (
            handler is None
            or scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("path", "").rstrip("/") != self.endpoint.path
        ):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before the body was whole
        try:
            request = self.endpoint.request_model.model_validate_json(body or b"{}")
            answer = await handler(request, lambda: _client_gone(receive))
        except ValidationError as exc:
            log.error("Exception on %s [POST]", self.endpoint.path, exc_info=exc)
            await self._send(send, 400, _validation_body(exc))
            return
        except UnavailableError:
            retry = (b"retry-after", str(RETRY_AFTER_SECONDS).encode())
            await self._send(send, 503, UNAVAILABLE_BODY, retry)
            return
        except Exception as exc:
            log.error("Exception on %s [POST]", self.endpoint.path, exc_info=exc)
            await self._send(send, 500, SERVER_ERROR_BODY)
            return
        if answer is None:
            await self._send(send, CLIENT_CLOSED_REQUEST, b"")
            return
        await self._send(send, 200, answer)

    async def _send(
        self, send: Send, status: int, body: bytes, *extra: tuple[bytes, bytes]
    ) -> None:
        headers = [JSON, (b"content-length", str(len(body)).encode()), self.server, *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def answer_directly(service: Any, api: str) -> DirectEndpoint:
    """Answer a BentoML service's `api` with DirectRoute (innermost), with BentoML's own request
    model (so the 400 bodies match); bind the handler when the instance starts."""
    endpoint = DirectEndpoint(f"/{api}", service.apis[api].input_spec, server_name=service.name)
    service.add_asgi_middleware(DirectRoute, endpoint=endpoint)
    return endpoint


def _validation_body(exc: ValidationError) -> bytes:
    """BentoML's 400 body: the count, and each field's location and rule, never the values."""
    import json

    content = {
        "error": f"{exc.error_count()} validation error for {exc.title}",
        "detail": exc.errors(include_context=False, include_input=False),
    }
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _client_gone(receive: Receive) -> bool:
    """Has the client hung up? Never waits: a message not already there means it has not."""
    with anyio.CancelScope() as scope:
        scope.cancel()
        message = await receive()
        return bool(message.get("type") == "http.disconnect")
    return False
