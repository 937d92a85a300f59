"""The scoring service's HTTP boundary: who may call, what a request may be, honest errors.

ASGI middlewares around BentoML's app, in the order a request meets them:

- ApiKeyMiddleware: with settings.serving.api_key, every route but health, readiness and the
  docs needs `Authorization: Bearer <key>` (401); without a key, only loopback clients are
  answered (403), however the service was started.
- BodyLimitsMiddleware: the API routes take JSON only (415 otherwise) and at most
  MAX_BODY_BYTES (413), before BentoML parses anything.
- InFlightLimitMiddleware: more than settings.serving.max_in_flight API requests at once in
  one worker get 503 with Retry-After, so an overload is refused quickly instead of queueing
  until every request times out.
- UnavailableMiddleware: a 503 (customer features unavailable) says why and carries
  Retry-After; BentoML would blank the message of every 5xx.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from credit_risk.addresses import is_loopback

if TYPE_CHECKING:
    from credit_risk.settings import ServingSettings

__all__ = [
    "API_ROUTES",
    "MAX_BODY_BYTES",
    "PROTECTED_ROUTES",
    "RETRY_AFTER_SECONDS",
    "UNAVAILABLE_MESSAGE",
    "ApiKeyMiddleware",
    "BodyLimitsMiddleware",
    "InFlightLimitMiddleware",
    "UnavailableMiddleware",
    "add_boundary",
    "is_open",
    "serving_settings",
]

PROTECTED_ROUTES = frozenset({"/score", "/score_batch", "/explain"})
API_ROUTES = PROTECTED_ROUTES | {"/model_info"}
# A full score_batch (1000 applications with bureau reports) is about 0.8 MB.
MAX_BODY_BYTES = 4 * 1024 * 1024
OPEN_ROUTES = frozenset({"/healthz", "/livez", "/readyz", "/docs.json"})
OPEN_PREFIXES = ("/static_content/",)  # the Swagger UI's files, served from /
BAD_KEY_MESSAGE = "missing or invalid API key: send 'Authorization: Bearer <key>'"
NO_KEY_MESSAGE = (
    "this service has no API key, so it answers only clients on this machine; set "
    "CREDIT_SERVING__API_KEY (environment or .env) to serve other hosts"
)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = (
    "customer features are unavailable, so an existing customer cannot be scored now; retry in "
    f"{RETRY_AFTER_SECONDS} s, or send the application without customer_id as a new applicant"
)
UNAVAILABLE_BODY = json.dumps({"error": UNAVAILABLE_MESSAGE}).encode()

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


OVERLOADED_MESSAGE = (
    "the service is at its limit of {limit} requests in flight; retry in 1 s "
    "(CREDIT_SERVING__MAX_IN_FLIGHT)"
)
TOO_LARGE_MESSAGE = f"request body over {MAX_BODY_BYTES // (1024 * 1024)} MiB: send at most 1000 applications per call"


class ApiKeyMiddleware:
    """The service's own boundary, however it was started.

    With an API key (settings.serving.api_key: the environment or `.env`), every route but
    health, readiness and the docs needs `Authorization: Bearer <key>`. Without one, only
    loopback clients are answered: `bentoml serve` binds every interface by default.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        key = serving_settings().api_key
        self.expected = f"Bearer {key.get_secret_value()}".encode() if key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or is_open(path):
            await self.app(scope, receive, send)
            return
        if self.expected is None:
            client = (scope.get("client") or ("", 0))[0]
            if is_loopback(client):
                await self.app(scope, receive, send)
                return
            await _refuse(send, 403, NO_KEY_MESSAGE, [])
            return
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if hmac.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        await _refuse(send, 401, BAD_KEY_MESSAGE, [(b"www-authenticate", b"Bearer")])


def _on(scope: Scope, routes: frozenset[str]) -> bool:
    """An HTTP request to one of `routes` (a trailing slash allowed)."""
    return scope["type"] == "http" and scope.get("path", "").rstrip("/") in routes


def is_open(path: str) -> bool:
    """Health, readiness and the API docs: answered without a key, to any client."""
    return path.rstrip("/") in OPEN_ROUTES or path == "/" or path.startswith(OPEN_PREFIXES)


async def _refuse(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serving_settings() -> ServingSettings:
    """The serving section of the settings; a bad CREDIT_SERVING__* value names the variable."""
    from pydantic import ValidationError

    from credit_risk.settings import Settings

    try:
        return Settings().serving
    except ValidationError as exc:
        problems = "; ".join(
            "CREDIT_" + "__".join(str(part).upper() for part in error["loc"]) + ": " + error["msg"]
            for error in exc.errors()
        )
        raise ValueError(problems) from exc


class BodyLimitsMiddleware:
    """JSON bodies of at most MAX_BODY_BYTES on the API routes: 415 or 413 otherwise.

    The body is read here (up to the limit) and handed on whole, so a chunked upload without
    Content-Length is held to the same limit.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _on(scope, API_ROUTES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _refuse(send, 413, TOO_LARGE_MESSAGE, [])
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before the body was whole: nothing to score
            body += message.get("body", b"")
            if len(body) > MAX_BODY_BYTES:
                await _refuse(send, 413, TOO_LARGE_MESSAGE, [])
                return
            if not message.get("more_body", False):
                break
        media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # An empty body with a content type is refused too: BentoML would answer a declared
        # pickle body itself, with an error body of another shape.
        if (body or media_type) and media_type != b"application/json":
            shown = media_type.decode("latin-1")[:80] or "none"
            await _refuse(
                send, 415, f"content type {shown} is not accepted: send application/json", []
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


class InFlightLimitMiddleware:
    """At most settings.serving.max_in_flight API requests at once; the rest get a quick 503."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit: int | None = None
    ) -> None:
        self.app = app
        self.limit = limit if limit is not None else serving_settings().max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _on(scope, API_ROUTES):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            retry = [(b"retry-after", b"1")]
            await _refuse(send, 503, OVERLOADED_MESSAGE.format(limit=self.limit), retry)
            return
        self.in_flight += 1  # one event loop per worker: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class UnavailableMiddleware:
    """The scoring routes' 503 answers say why and when to retry.

    BentoML replaces the message of every 5xx with a generic one; a client that sent a
    customer_id needs to know it may retry, or send the application without it.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _on(scope, PROTECTED_ROUTES):
            await self.app(scope, receive, send)
            return
        replacing = False

        async def explained(message: Message) -> None:
            nonlocal replacing
            if (
                message["type"] == "http.response.start"
                and message.get("status") == 503
                and not any(k.lower() == b"retry-after" for k, _ in message.get("headers", []))
            ):  # BentoML's own 503 (ours, such as the overload answer, carry Retry-After)
                replacing = True
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"content-length", b"content-type")
                ]
                headers = [
                    *kept,
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(UNAVAILABLE_BODY)).encode()),
                    (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                ]
                await send({**message, "headers": headers})
            elif replacing and message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": UNAVAILABLE_BODY})
            else:
                await send(message)

        await self.app(scope, receive, explained)


def add_boundary(service: Any) -> None:
    """Wrap a BentoML service in the boundary, outermost first, with the completed /docs.json."""
    from serving.openapi import OpenApiMiddleware

    for middleware in (
        ApiKeyMiddleware,
        UnavailableMiddleware,
        BodyLimitsMiddleware,
        InFlightLimitMiddleware,
        OpenApiMiddleware,
    ):
        service.add_asgi_middleware(middleware)
