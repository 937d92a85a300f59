"""The service's own boundary: the key from the settings (environment or .env), every route
but health and docs behind it, and loopback clients only when no key is set."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from serving.boundary import ApiKeyMiddleware, serving_settings

KEY = "k" * 24


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def _status(path: str, client: str = "127.0.0.1", authorization: str | None = None) -> int:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    scope = {"type": "http", "path": path, "client": (client, 5000), "headers": headers}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    asyncio.run(ApiKeyMiddleware(_ok)(scope, receive, send))
    return int(sent[0]["status"])


@pytest.fixture(autouse=True)
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CREDIT_SERVING__API_KEY",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env but the one a test writes


@pytest.mark.parametrize("path", ["/score", "/score_batch", "/explain", "/model_info", "/metrics"])
def test_with_a_key_every_route_but_health_and_docs_needs_it(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setenv("CREDIT_SERVING__API_KEY", KEY)
    assert _status(path) == 401
    assert _status(path, authorization="Bearer wrong-key-wrong-key") == 401
    assert _status(path, authorization=f"Bearer {KEY}") == 200
    for open_path in ("/healthz", "/readyz", "/livez", "/docs.json", "/"):
        assert _status(open_path, client="10.1.2.3") == 200


def test_the_key_is_read_from_dot_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"CREDIT_SERVING__API_KEY={KEY}\n")
    assert _status("/score") == 401
    assert _status("/score", authorization=f"Bearer {KEY}") == 200


@pytest.mark.parametrize("path", ["/score", "/explain", "/model_info", "/metrics"])
def test_without_a_key_only_loopback_clients_are_answered(path: str) -> None:
    assert _status(path, client="127.0.0.1") == 200
    assert _status(path, client="::1") == 200
    assert _status(path, client="10.1.2.3") == 403
    assert _status(path, client="192.168.0.7") == 403
    assert _status("/healthz", client="10.1.2.3") == 200


def test_a_short_key_is_refused_at_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CREDIT_SERVING__API_KEY", "s3cret")
    with pytest.raises(ValueError, match=r"CREDIT_SERVING__API_KEY: .*at least 16 characters"):
        serving_settings()


def _limits(
    path: str, chunks: list[bytes], content_type: str | None, declared: int | None = None
) -> tuple[int, bytes]:
    from serving.boundary import BodyLimitsMiddleware

    seen: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append(message["body"])
        await _ok(scope, receive, send)

    headers = [(b"content-type", content_type.encode())] if content_type else []
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(BodyLimitsMiddleware(app)(scope, receive, send))
    return int(sent[0]["status"]), b"".join(seen)


@pytest.mark.parametrize("path", ["/score", "/score_batch", "/explain", "/model_info"])
def test_api_routes_take_json_only(path: str) -> None:
    assert _limits(path, [b'{"a": 1}'], "application/json; charset=utf-8") == (200, b'{"a": 1}')
    assert _limits(path, [b"a=1"], "multipart/form-data; boundary=x")[0] == 415
    assert _limits(path, [b"a=1"], "text/plain")[0] == 415
    assert _limits(path, [b"{}"], None)[0] == 415
    assert _limits(path, [b""], None)[0] == 200  # /model_info with no body
    # a declared type with no body is refused here, not left to BentoML (its 415 is a list)
    assert _limits(path, [b""], "application/vnd.bentoml+pickle")[0] == 415


def test_a_body_over_the_limit_is_a_413_whether_declared_or_chunked() -> None:
    from serving.boundary import MAX_BODY_BYTES

    assert _limits("/score_batch", [b"{}"], "application/json", MAX_BODY_BYTES + 1)[0] == 413
    chunk = b" " * (1024 * 1024)
    chunks = [chunk] * (MAX_BODY_BYTES // len(chunk) + 1)
    assert _limits("/score_batch", chunks, "application/json")[0] == 413
    status, body = _limits("/score_batch", [b"{", b"}"], "application/json")
    assert (status, body) == (200, b"{}")  # chunks under the limit reach the app whole


def test_requests_beyond_the_in_flight_limit_get_a_quick_503_with_retry_after() -> None:
    from serving.boundary import InFlightLimitMiddleware

    release = asyncio.Event()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await _ok(scope, receive, send)

    limited = InFlightLimitMiddleware(slow, limit=3)

    async def call(path: str) -> dict[str, Any]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        await limited({"type": "http", "path": path, "headers": []}, receive, send)
        return sent[0]

    async def run() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        held = [asyncio.create_task(call("/score")) for _ in range(3)]
        await asyncio.sleep(0.01)
        refused = list(await asyncio.gather(*(call("/score_batch") for _ in range(2))))
        release.set()
        return refused, list(await asyncio.gather(*held))

    refused, served = asyncio.run(run())
    assert [r["status"] for r in refused] == [503, 503]
    assert all((b"retry-after", b"1") in r["headers"] for r in refused)
    assert [r["status"] for r in served] == [200, 200, 200]
    assert limited.in_flight == 0
