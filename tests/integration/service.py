"""What the HTTP tests share about the running service: its key, timings, ports and roles."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

from credit_risk.database import ConnectionParts, build_dsn, connect, parse_dsn, sqlalchemy_url

API_KEY = "test-key-" + uuid.uuid4().hex[:8]
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90
RELOAD_SECONDS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_role_uri(pg_server: str, mlflow_tracking_uri: str) -> tuple[str, str]:
    """A login role of its own for the service's MLflow connection, so a test can cut it off."""
    role = f"svc_{uuid.uuid4().hex[:8]}"
    with connect(pg_server, autocommit=True) as conn:
        conn.execute(f'create role "{role}" login superuser')
    store = parse_dsn(mlflow_tracking_uri.replace("+psycopg2", ""))
    parts = ConnectionParts(store.host, store.port, role, "", store.dbname)
    return role, sqlalchemy_url(build_dsn(parts), driver="psycopg2")
