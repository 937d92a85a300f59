"""The directly answered /score route: BentoML's answers, without BentoML's per-request cost."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import JSONResponse

from serving.boundary import RETRY_AFTER_SECONDS, UNAVAILABLE_BODY
from serving.direct_route import DirectEndpoint, DirectRoute, UnavailableError
from serving.log_redaction import install


class Loan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: float
    purpose: str


Message = dict[str, Any]


async def _call(
    route: DirectRoute, path: str, body: bytes, *, disconnect: bool = False, method: str = "POST"
) -> list[Message]:
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if disconnect:
        messages.append({"type": "http.disconnect"})
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # an open connection: nothing more arrives
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": []}
    await route(scope, receive, send)
    return sent


class Inner:
    """The rest of the app (BentoML): records what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _route(
    handler: Callable[[Any, Any], Awaitable[bytes | None]] | None,
) -> tuple[DirectRoute, Inner]:
    endpoint = DirectEndpoint("/score", Loan, server_name="credit-risk")
    if handler is not None:
        endpoint.bind(handler)
    inner = Inner()
    return DirectRoute(inner, endpoint), inner


def _status_and_body(sent: list[Message]) -> tuple[int, dict[str, str], bytes]:
    start, body = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, body["body"]


async def _echo(loan: Loan, client_gone: Any) -> bytes:
    return json.dumps({"amount": loan.amount}).encode()


def test_the_route_is_answered_directly_and_other_routes_go_on() -> None:
    route, inner = _route(_echo)
    sent = asyncio.run(_call(route, "/score", b'{"amount": 5, "purpose": "car"}'))
    assert _status_and_body(sent)[0] == 200
    assert json.loads(_status_and_body(sent)[2]) == {"amount": 5.0}
    for path, method in (("/explain", "POST"), ("/score", "GET")):
        asyncio.run(_call(route, path, b"{}", method=method))
    assert inner.paths == ["/explain", "/score"]


def test_before_the_service_starts_the_route_goes_on_to_bentoml() -> None:
    route, inner = _route(None)
    asyncio.run(_call(route, "/score", b"{}"))
    assert inner.paths == ["/score"]


def test_a_bad_request_gets_bentomls_400_body_without_the_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install()
    route, _ = _route(_echo)
    body = b'{"amount": "SECRET-1", "purpose": "car", "salary": 9}'
    with caplog.at_level(logging.ERROR):
        status, headers, sent = _status_and_body(asyncio.run(_call(route, "/score", body)))
    with pytest.raises(ValidationError) as raised:
        Loan.model_validate_json(body)
    exc = raised.value
    bentoml_body = JSONResponse(
        {
            "error": f"{exc.error_count()} validation error for {exc.title}",
            "detail": exc.errors(include_context=False, include_input=False),
        },
        status_code=400,
    ).body
    assert status == 400
    assert sent == bentoml_body
    assert headers["content-type"] == "application/json"
    assert [(d["loc"], d["type"]) for d in json.loads(sent)["detail"]] == [
        (["amount"], "float_parsing"),
        (["salary"], "extra_forbidden"),
    ]
    assert "SECRET-1" not in sent.decode() and "SECRET-1" not in caplog.text
    assert "amount: float_parsing" in caplog.text


def test_unavailable_customer_features_are_a_503_with_retry_after() -> None:
    async def unavailable(loan: Loan, client_gone: Any) -> bytes:
        raise UnavailableError("down")

    route, _ = _route(unavailable)
    status, headers, body = _status_and_body(
        asyncio.run(_call(route, "/score", b'{"amount": 5, "purpose": "car"}'))
    )
    assert (status, body) == (503, UNAVAILABLE_BODY)
    assert headers["retry-after"] == str(RETRY_AFTER_SECONDS)


def test_an_unexpected_failure_is_a_500_that_says_nothing_of_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(loan: Loan, client_gone: Any) -> bytes:
        raise RuntimeError("booster exploded")

    route, _ = _route(broken)
    with caplog.at_level(logging.ERROR):
        status, _, body = _status_and_body(
            asyncio.run(_call(route, "/score", b'{"amount": 5, "purpose": "car"}'))
        )
    assert status == 500
    assert json.loads(body) == {
        "error": "An unexpected error has occurred, please check the server log."
    }
    assert "booster exploded" in caplog.text


def test_a_client_that_hung_up_is_seen_and_gets_no_answer() -> None:
    seen: list[bool] = []

    async def scoring(loan: Loan, client_gone: Any) -> bytes | None:
        gone = await client_gone()
        seen.append(gone)
        return None if gone else b"{}"

    route, _ = _route(scoring)
    hung_up = asyncio.run(
        _call(route, "/score", b'{"amount": 5, "purpose": "car"}', disconnect=True)
    )
    waiting = asyncio.run(_call(route, "/score", b'{"amount": 5, "purpose": "car"}'))
    assert seen == [True, False]
    assert _status_and_body(hung_up)[0] == 499
    assert _status_and_body(waiting)[0] == 200
