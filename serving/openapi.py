"""The OpenAPI schema at /docs.json, completed: every answer a route can give, with its body.

BentoML documents 400 (with a `detail` string, where the service sends a list of field
errors), 404 and 500 only, and drops `null` from optional fields. A client generated from
that schema cannot read a 401, 413, 415 or 503, and rejects a `bureau_score` of null. The
middleware here rewrites BentoML's schema on its way out: the error responses of
serving.boundary and BentoML, each with its body, and `nullable` where a field may be null.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from pydantic import BaseModel

from serving import schemas
from serving.boundary import API_ROUTES, MAX_BODY_BYTES, Message, Receive, Scope, Send

__all__ = ["ERROR_RESPONSES", "OpenApiMiddleware", "complete", "document_models"]

SPEC_PATH = "/docs.json"
COMPONENTS = "#/components/schemas/"
ERROR_SCHEMA = "Error"
VALIDATION_ERROR_SCHEMA = "ValidationError"
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
# status: (description, body schema, response headers)
ERROR_RESPONSES: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: (
        "Invalid request: each problem names the field (`loc`) and the rule it breaks (`type`), "
        "never the value sent.",
        VALIDATION_ERROR_SCHEMA,
        {},
    ),
    401: (
        "Missing or wrong API key (when the service has one): send `Authorization: Bearer <key>`.",
        ERROR_SCHEMA,
        {"WWW-Authenticate": {"schema": {"type": "string"}}},
    ),
    403: (
        "The service has no API key, so it answers clients on its own machine only.",
        ERROR_SCHEMA,
        {},
    ),
    413: (
        f"Request body over {MAX_BODY_BYTES // (1024 * 1024)} MiB.",
        ERROR_SCHEMA,
        {},
    ),
    415: ("Content type other than application/json.", ERROR_SCHEMA, {}),
    500: ("Unexpected server error; the server log has the details.", ERROR_SCHEMA, {}),
    503: (
        "Temporarily unable to answer: too many requests in flight, or (with a customer_id) "
        "the customer features cannot be read. Retry after Retry-After seconds.",
        ERROR_SCHEMA,
        RETRY_AFTER,
    ),
    504: ("Not answered within the service's timeout.", ERROR_SCHEMA, {}),
}
ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    ERROR_SCHEMA: {
        "type": "object",
        "title": ERROR_SCHEMA,
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What went wrong, for people."}},
    },
    VALIDATION_ERROR_SCHEMA: {
        "type": "object",
        "title": VALIDATION_ERROR_SCHEMA,
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string", "description": "How many problems, in which model."},
            "detail": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "loc", "msg"],
                    "properties": {
                        "type": {"type": "string", "description": "The rule, e.g. less_than."},
                        "loc": {
                            "type": "array",
                            "description": "The field's path, e.g. [bureau, bureau_score].",
                            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                        },
                        "msg": {"type": "string"},
                        "url": {"type": "string"},
                    },
                },
            },
        },
    },
}
IO_SUFFIX = "IODescriptor"


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    """BentoML's schema with every error response and nullable field documented."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components.update(ERROR_COMPONENTS)
    for path, item in spec.get("paths", {}).items():
        if path.rstrip("/") not in API_ROUTES:
            continue
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status, (description, schema, headers) in ERROR_RESPONSES.items():
                response: dict[str, Any] = {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": COMPONENTS + schema}}},
                }
                if headers:
                    response["headers"] = headers
                responses[str(status)] = response
    models = _models()
    for node in _schemas(spec):
        model = models.get(str(node.get("title", "")).removesuffix(IO_SUFFIX))
        if model is not None:
            _mark_nullable(node, model)
    return spec


# Models built at run time (serving.profiled_service), documented beside the static ones.
_EXTRA_MODELS: dict[str, type[BaseModel]] = {}


def document_models(*models: type[BaseModel]) -> None:
    """Have /docs.json mark the nullable fields of models that are not in serving.schemas."""
    _EXTRA_MODELS.update({model.__name__: model for model in models})


def _models() -> dict[str, type[BaseModel]]:
    return {
        **{
            name: value
            for name, value in vars(schemas).items()
            if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
        },
        **_EXTRA_MODELS,
    }


def _schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every object schema in the spec, inline or in components."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield node
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def _mark_nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    properties: dict[str, Any] = schema["properties"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in properties or not _allows_none(field.annotation):
            continue
        prop = properties[key]
        if "$ref" in prop:  # OpenAPI 3.0 ignores keywords beside a $ref
            properties[key] = {"allOf": [prop], "nullable": True}
        else:
            prop["nullable"] = True


def _allows_none(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return type(None) in typing.get_args(annotation)
    return annotation is None or annotation is type(None)


class OpenApiMiddleware:
    """Serves the completed schema at /docs.json."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != SPEC_PATH:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, collect)
        if start.get("status") == 200:
            body[:] = json.dumps(complete(json.loads(body))).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": bytes(body)})
