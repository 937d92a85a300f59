"""How each service of the stack is started: command, environment, URL and health check."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cli.local_stack.ports import LOOPBACK
from cli.local_stack.processes import STACK_MARKER

BIN = Path(sys.executable).parent
# Read by `mlflow server` (and `mlflow ui`) as --backend-store-uri; an environment variable
# keeps a password in the URI out of the process list.
MLFLOW_BACKEND_STORE_URI = "MLFLOW_BACKEND_STORE_URI"


@dataclass(frozen=True)
class ServiceSpec:
    """One process of the stack."""

    name: str
    command: list[str]
    env: dict[str, str]
    url: str | None
    health_url: str | None


@dataclass(frozen=True)
class StackPlan:
    """What the services share: where things are and how they reach each other."""

    stack_id: str
    state_dir: Path
    dsn: str
    mlflow_store_uri: str
    artifact_dir: Path
    mlflow_url: str
    prefect_api_url: str
    service_port: int
    registered_model: str
    poll_seconds: float


def base_env(plan: StackPlan) -> dict[str, str]:
    """The caller's environment minus what the stack decides, plus the stack's marker."""
    decided = (
        "PREFECT_API_URL",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_REGISTRY_URI",
        MLFLOW_BACKEND_STORE_URI,
    )
    env = {k: v for k, v in os.environ.items() if k not in decided}
    env.update(
        {
            STACK_MARKER: plan.stack_id,
            "CREDIT_PATHS__STATE_DIR": str(plan.state_dir),
            "CREDIT_DATABASE__DSN": plan.dsn,
            "CREDIT_MLFLOW__TRACKING_URI": plan.mlflow_url,
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def mlflow_server(plan: StackPlan, port: int) -> ServiceSpec:
    """`mlflow server` on the stack's store; the store URI (it may hold a password) goes in the
    child's environment, which `mlflow server` reads for --backend-store-uri, not on its argv."""
    env = base_env(plan)
    env[MLFLOW_BACKEND_STORE_URI] = plan.mlflow_store_uri
    command = [
        str(BIN / "mlflow"),
        "server",
        "--artifacts-destination",
        str(plan.artifact_dir),
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    url = f"http://{LOOPBACK}:{port}"
    return ServiceSpec("mlflow", command, env, url, f"{url}/health")


def prefect_server(plan: StackPlan, port: int) -> ServiceSpec:
    env = base_env(plan)
    # Its own SQLite database, apart from the one ephemeral runs use under PREFECT_HOME.
    database = plan.state_dir / "stack" / "prefect.db"
    env["PREFECT_API_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{database}"
    env["PREFECT_HOME"] = str(plan.state_dir / "prefect")
    command = [str(BIN / "prefect"), "server", "start", "--host", LOOPBACK, "--port", str(port)]
    url = f"http://{LOOPBACK}:{port}"
    return ServiceSpec("prefect", command, env, url, f"{url}/api/health")


def evidently_ui(plan: StackPlan, port: int) -> ServiceSpec:
    """Evidently's UI on the workspace every monitoring run adds its snapshots to."""
    from monitoring.evidently_history import ui_command

    command = ui_command(plan.state_dir, LOOPBACK, port)
    url = f"http://{LOOPBACK}:{port}"
    return ServiceSpec("evidently", command, base_env(plan), url, f"{url}/api/projects")


def flows_server(plan: StackPlan, ready_file: Path) -> ServiceSpec:
    """`credit-risk flows serve`: runs scheduled and triggered flows in its own processes."""
    env = base_env(plan)
    env["PREFECT_API_URL"] = plan.prefect_api_url
    env["PREFECT_HOME"] = str(plan.state_dir / "prefect")
    env["MLFLOW_TRACKING_URI"] = plan.mlflow_url
    env["MLFLOW_REGISTRY_URI"] = plan.mlflow_url
    command = [str(BIN / "credit-risk"), "flows", "serve", "--ready-file", str(ready_file)]
    return ServiceSpec("flows", command, env, None, None)


def scoring_service(plan: StackPlan) -> ServiceSpec:
    """The BentoML service, started by a small waiter once a champion exists."""
    env = base_env(plan)
    env["BENTOML_HOME"] = env.get("BENTOML_HOME", str(plan.state_dir / "bentoml"))
    env["CREDIT_SERVING__HOST"] = LOOPBACK
    env["CREDIT_SERVING__PORT"] = str(plan.service_port)
    env["MLFLOW_TRACKING_URI"] = plan.mlflow_url
    env["MLFLOW_REGISTRY_URI"] = plan.mlflow_url
    command = [
        str(BIN / "credit-risk"),
        "stack",
        "serve-when-ready",
        "--poll-seconds",
        str(plan.poll_seconds),
    ]
    url = f"http://{LOOPBACK}:{plan.service_port}"
    return ServiceSpec("service", command, env, url, f"{url}/readyz")


def console(plan: StackPlan, port: int, evidently_port: int) -> ServiceSpec:
    """The console, pointed at the stack's scoring service, MLflow and Evidently UI."""
    from cli.console import streamlit_command

    env = base_env(plan)
    env["CREDIT_CONSOLE__SERVICE_URL"] = f"http://{LOOPBACK}:{plan.service_port}"
    env["CREDIT_CONSOLE__MLFLOW_URL"] = plan.mlflow_url
    env["CREDIT_CONSOLE__EVIDENTLY_URL"] = f"http://{LOOPBACK}:{evidently_port}"
    env["MLFLOW_TRACKING_URI"] = plan.mlflow_url
    env["MLFLOW_REGISTRY_URI"] = plan.mlflow_url
    url = f"http://{LOOPBACK}:{port}"
    return ServiceSpec(
        "console", streamlit_command(LOOPBACK, port), env, url, f"{url}/_stcore/health"
    )
