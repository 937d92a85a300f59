"""The local full stack for real: `credit-risk stack up`, a deployment run, MLflow, BentoML, down.

Everything runs in child processes with their own environment (free ports, a temporary state
folder with its own embedded PostgreSQL), so no PREFECT_API_URL or MLflow variable leaks into the
rest of the session; the test talks to the stack over HTTP only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.local_stack.ports import is_port_free
from cli.local_stack.processes import is_alive, processes_with_marker
from cli.local_stack.state import StackState, state_file
from credit_risk.addresses import free_ports
from tests.conftest import SMALL_BOOK_GATES
from tests.integration.applications import SAFE

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("credit-risk"))
MODEL = "credit-risk-stack"


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    state_dir: Path
    mlflow: str
    prefect_api: str
    service: str


def _cli(env: dict[str, str], *args: str, timeout: float = 200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    mlflow_port, prefect_port, service_port, evidently_port, console_port = free_ports(5)
    inherited = ("CREDIT_", "MLFLOW_", "PREFECT_", "BENTOML_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    env.update(
        {
            "CREDIT_PATHS__STATE_DIR": str(root / "state"),
            "CREDIT_PATHS__REPORTS_DIR": str(root / "reports"),
            "CREDIT_PATHS__DATA_DIR": str(root / "data"),
            "CREDIT_MLFLOW__REGISTERED_MODEL": MODEL,
            "CREDIT_ORCHESTRATION__MLFLOW_PORT": str(mlflow_port),
            "CREDIT_ORCHESTRATION__PREFECT_PORT": str(prefect_port),
            "CREDIT_SERVING__PORT": str(service_port),
            "CREDIT_ORCHESTRATION__EVIDENTLY_PORT": str(evidently_port),
            "CREDIT_CONSOLE__PORT": str(console_port),
            "CREDIT_ORCHESTRATION__CHAMPION_POLL_SECONDS": "1",
            "CREDIT_TRAINING__SEARCH_TRIALS": "1",
            "CREDIT_TRAINING__STRESS_APPLICATIONS": "0",
            **SMALL_BOOK_GATES,
        }
    )
    started = _cli(env, "stack", "up", "--timeout", "150")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"evidently http://127.0.0.1:{evidently_port}" in started.stdout
        assert f"console  http://127.0.0.1:{console_port}" in started.stdout
        yield Stack(
            env,
            root / "state",
            f"http://127.0.0.1:{mlflow_port}",
            f"http://127.0.0.1:{prefect_port}/api",
            f"http://127.0.0.1:{service_port}",
        )
    finally:
        _cli(env, "stack", "down", timeout=120)  # idempotent: nothing left if the test ran it


def _flow_run_state(api: str, flow_run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=10).json()["state"]
        if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return dict(state)
        assert time.monotonic() < deadline, f"flow run still {state['name']} after {timeout} s"
        time.sleep(1)


def _wait_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} not ready after {timeout} s"
        time.sleep(0.5)


def test_stack_runs_deployments_tracks_serves_and_stops_cleanly(stack: Stack) -> None:
    state = StackState.load(state_file(stack.state_dir))
    assert state is not None
    assert set(state.services) == {"mlflow", "prefect", "flows", "service", "evidently", "console"}
    assert state.postgres_started_by_stack and state.postgres_pid is not None
    for record in state.services.values():
        assert Path(record.log).parent == stack.state_dir / "stack" / "logs"
    status = _cli(stack.env, "stack", "status")
    assert status.returncode == 0, status.stdout
    assert f"prefect  pid {state.services['prefect'].pid}" in status.stdout
    # The drift history answers from the start, before any monitoring run.
    evidently = state.services["evidently"].url
    assert httpx.get(f"{evidently}/api/projects", timeout=10).json() == []
    # So does the console, pointed at the stack's own service.
    console = state.services["console"].url
    assert httpx.get(f"{console}/_stcore/health", timeout=10).text == "ok"

    # A wrong parameter is refused before anything reaches Prefect, naming the parameter.
    refused = _cli(stack.env, "flows", "run", "pipeline", "-p", "applications=lots")
    assert refused.returncode == 2 and "parameter 'applications'" in refused.stderr

    # The pipeline deployment, through the CLI wrapper, which waits and reports the final state.
    ran = _cli(
        stack.env,
        "flows",
        "run",
        "pipeline",
        "-p",
        "applications=3000",
        "-p",
        "seed=5",
        "-p",
        'candidates=["scorecard"]',
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "run-pipeline/pipeline: flow run pipeline-baseline-3000-seed5 finished Completed" in (
        ran.stdout
    )

    # The run and the champion are visible through the MLflow tracking server.
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=stack.mlflow, registry_uri=stack.mlflow)
    champion = client.get_model_version_by_alias(MODEL, "champion")
    run = client.get_run(str(champion.run_id))
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "credit-risk"
    assert 0.5 < run.data.metrics["test_auc"] <= 1.0

    # The service was waiting for a champion; it starts by itself and scores with it.
    _wait_ready(f"{stack.service}/readyz", timeout=90)
    scored = httpx.post(f"{stack.service}/score", json=SAFE, timeout=30)
    assert scored.status_code == 200, scored.text
    assert scored.json()["model_version"] == int(champion.version)
    assert scored.json()["decision"] == "approve"

    # The daily batch score, triggered directly through the Prefect API.
    deployment = httpx.get(f"{stack.prefect_api}/deployments/name/score-batch/daily-score").json()
    assert deployment["schedules"][0]["schedule"]["cron"] == "0 6 * * *"
    created = httpx.post(
        f"{stack.prefect_api}/deployments/{deployment['id']}/create_flow_run", json={}
    )
    assert created.status_code == 201, created.text
    assert _flow_run_state(stack.prefect_api, created.json()["id"], 90)["type"] == "COMPLETED"

    # Down: every recorded PID gone, nothing carrying the stack's marker, every port free.
    stopped = _cli(stack.env, "stack", "down", timeout=120)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "postgres: stopped" in stopped.stdout
    pids = [r.pid for r in state.services.values()] + [state.postgres_pid]
    assert not [pid for pid in pids if is_alive(pid)]
    assert processes_with_marker(state.stack_id) == []
    ports = [int(r.url.rsplit(":", 1)[1]) for r in state.services.values() if r.url]
    assert len(ports) == 5 and all(is_port_free(p) for p in ports)
    assert _cli(stack.env, "stack", "status").returncode == 1
