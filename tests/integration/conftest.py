"""Integration fixtures: the session's champion and a real `bentoml serve` on a loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from credit_risk.database import connect
from tests.integration.champion import Champion, served_champion
from tests.integration.service import (
    API_KEY,
    READY_TIMEOUT,
    RELOAD_SECONDS,
    ROOT,
    free_port,
    service_role_uri,
)


@pytest.fixture(scope="session")
def champion(
    pg_server: str, mlflow_tracking_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Champion:
    return served_champion(pg_server, mlflow_tracking_uri, tmp_path_factory.mktemp("champion"))


@pytest.fixture(scope="module")
def server(
    champion: Champion,
    pg_server: str,
    mlflow_tracking_uri: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    role, uri = service_role_uri(pg_server, mlflow_tracking_uri)
    work = tmp_path_factory.mktemp("bentoml")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "CREDIT_"))},
        "CREDIT_DATABASE__DSN": champion.dsn,
        "CREDIT_MLFLOW__TRACKING_URI": uri,
        "CREDIT_MLFLOW__REGISTERED_MODEL": champion.model_name,
        "CREDIT_SERVING__API_KEY": API_KEY,
        "CREDIT_SERVING__RELOAD_SECONDS": str(RELOAD_SECONDS),
        "CREDIT_PATHS__STATE_DIR": str(work / "state"),
        "BENTOML_HOME": str(work / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "true",
    }
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    command = [bentoml, "serve", "serving.service:CreditRiskService", "--host", "127.0.0.1"]
    log = (work / "serve.log").open("w")
    child = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        while True:
            if child.poll() is not None:
                pytest.fail(f"bentoml serve exited: {(work / 'serve.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"not ready in {READY_TIMEOUT} s: {(work / 'serve.log').read_text()}")
            time.sleep(0.5)
        yield {"base": base, "role": role, "log": work / "serve.log", "pid": child.pid}
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(5)
        log.close()
        with connect(pg_server, autocommit=True) as conn:
            conn.execute(f'alter role "{role}" login')
