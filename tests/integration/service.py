"""What the HTTP tests share about the running service: its key, timings, ports, roles, and
the `bentoml serve` process itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli.local_stack.processes import stop_group
from credit_risk.addresses import free_ports
from credit_risk.database import ConnectionParts, build_dsn, connect, parse_dsn, sqlalchemy_url

API_KEY = "test-key-" + uuid.uuid4().hex[:8]
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90
RELOAD_SECONDS = 2


def free_port() -> int:
    return free_ports(1)[0]


def service_role_uri(pg_server: str, mlflow_tracking_uri: str) -> tuple[str, str]:
    """A login role of its own for the service's MLflow connection, so a test can cut it off."""
    role = f"svc_{uuid.uuid4().hex[:8]}"
    with connect(pg_server, autocommit=True) as conn:
        conn.execute(f'create role "{role}" login superuser')
    store = parse_dsn(mlflow_tracking_uri.replace("+psycopg2", ""))
    parts = ConnectionParts(store.host, store.port, role, "", store.dbname)
    return role, sqlalchemy_url(build_dsn(parts), driver="psycopg2")


@dataclass(frozen=True)
class RunningService:
    base: str
    pid: int
    log: Path


def service_env(
    *,
    dsn: str,
    tracking_uri: str,
    model_name: str,
    work: Path,
    api_key: str | None = API_KEY,
    **settings: str,
) -> dict[str, str]:
    """The service's environment: this test's database, store and model, nothing inherited."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "CREDIT_"))}
    return {
        **inherited,
        "CREDIT_DATABASE__DSN": dsn,
        "CREDIT_MLFLOW__TRACKING_URI": tracking_uri,
        "CREDIT_MLFLOW__REGISTERED_MODEL": model_name,
        **({"CREDIT_SERVING__API_KEY": api_key} if api_key else {}),
        "CREDIT_SERVING__RELOAD_SECONDS": str(RELOAD_SECONDS),
        "CREDIT_PATHS__STATE_DIR": str(work / "state"),
        "BENTOML_HOME": str(work / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "true",
        **settings,
    }


@contextmanager
def bentoml_serve(
    env: Mapping[str, str],
    log_path: Path,
    *,
    host: str = "127.0.0.1",
    command: Sequence[str] | None = None,
) -> Iterator[RunningService]:
    """A real `bentoml serve` on a free port (bound to `host`), ready, reached on loopback;
    SIGTERM to its group on exit. `command` (which takes `--port N` after it) starts it another
    way, for example through `credit-risk serve`."""
    port = free_port()
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    command = command or [bentoml, "serve", "serving.service:CreditRiskService", "--host", host]
    with log_path.open("a") as log:
        child = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, child, log_path)
            yield RunningService(base=base, pid=child.pid, log=log_path)
        finally:
            stop_group(child.pid)  # SIGTERM, as an orchestrator stops a pod
            child.wait()


def _wait_ready(base: str, child: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if child.poll() is not None:
            raise AssertionError(f"bentoml serve exited: {log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready in {READY_TIMEOUT} s: {log_path.read_text()[-3000:]}")
        time.sleep(0.5)


def logged_decisions(dsn: str, marker: str) -> list[tuple[str, str]]:
    """(application_id, decision_id) of the logged decisions whose id starts with `marker-`."""
    with connect(dsn) as conn:
        rows = conn.execute(
            "select application_id, decision_id::text from serving.scoring_log "
            "where application_id like %s",
            (f"{marker}-%",),
        ).fetchall()
    return sorted((r[0], r[1]) for r in rows)
