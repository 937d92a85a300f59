"""The boundary on a service started the way its docstring shows: plain `bentoml serve`, bound
to every interface, with no API key and a small in-flight limit."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.integration.applications import SAFE
from tests.integration.champion import Champion
from tests.integration.service import (
    RunningService,
    bentoml_serve,
    service_env,
    service_role_uri,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IN_FLIGHT_LIMIT = 2
CLIENTS = 24
BATCH = {"applications": [SAFE] * 200}  # heavy enough that requests overlap


@pytest.fixture(scope="module")
def open_service(
    champion: Champion,
    pg_server: str,
    mlflow_tracking_uri: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningService]:
    _, uri = service_role_uri(pg_server, mlflow_tracking_uri)
    work = tmp_path_factory.mktemp("open-service")
    env = service_env(
        dsn=champion.dsn,
        tracking_uri=uri,
        model_name=champion.model_name,
        work=work,
        api_key=None,
        CREDIT_SERVING__MAX_IN_FLIGHT=str(IN_FLIGHT_LIMIT),
    )
    with bentoml_serve(env, work / "serve.log", host="0.0.0.0") as service:
        yield service


def _own_address() -> str:
    """This machine's address on its outbound interface (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            pytest.skip("this machine has no network interface but loopback")
        address = str(probe.getsockname()[0])
    if address.startswith("127."):
        pytest.skip("this machine has no network interface but loopback")
    return address


def test_without_a_key_a_client_off_loopback_is_refused(open_service: RunningService) -> None:
    port = httpx.URL(open_service.base).port
    outside = f"http://{_own_address()}:{port}"
    refused = httpx.post(f"{outside}/score", json=SAFE, timeout=30)
    assert refused.status_code == 403, refused.text
    assert "CREDIT_SERVING__API_KEY" in refused.json()["error"]
    assert httpx.post(f"{outside}/explain", json=SAFE, timeout=30).status_code == 403
    assert httpx.get(f"{outside}/readyz", timeout=30).status_code == 200  # health stays open
    local = httpx.post(f"{open_service.base}/score", json=SAFE, timeout=30)
    assert local.status_code == 200, local.text


def test_an_overload_of_loopback_traffic_gets_quick_503s_and_no_other_failure(
    open_service: RunningService,
) -> None:
    def call(_: int) -> tuple[int, dict[str, Any], str | None]:
        response = httpx.post(f"{open_service.base}/score_batch", json=BATCH, timeout=60)
        return response.status_code, response.json(), response.headers.get("retry-after")

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(call, range(CLIENTS)))
    statuses = [status for status, _, _ in answers]
    assert set(statuses) == {200, 503}, statuses
    assert statuses.count(200) >= IN_FLIGHT_LIMIT
    for status, body, retry_after in answers:
        if status == 503:
            assert retry_after == "1" and "requests in flight" in body["error"]
        else:
            assert len(body["results"]) == len(BATCH["applications"])
