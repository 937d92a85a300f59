"""What the test processes of one run build once and share.

`make test` runs several pytest-xdist workers. Each used to start its own PostgreSQL and Prefect
API, migrate its own MLflow store, build its own generated books and train its own champion:
the same minute of work done once per worker. Now the first process that needs one of them
builds it under a file lock and records it in the run's shared folder; the others read the
record. The controller (or the only process, without xdist) made the folder before the workers
started, and stops the servers and removes the folder when the run ends.

Everything recorded here is either read-only for tests (the book templates, the trained run) or
shared by design (the servers, the MLflow store, in which each module names its own experiments
and models).
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
from filelock import FileLock

from cli.local_stack.processes import is_alive, start_process, stop_group
from credit_risk.addresses import free_ports

SHARED_DIR = "CREDIT_TEST_SHARED_DIR"
ROOT = Path(__file__).resolve().parents[1]
PREFECT_READY_SECONDS = 120

T = TypeVar("T")


def open_run_folder() -> Path | None:
    """Make the run's shared folder (in the process that starts the run); None if one is set."""
    if os.environ.get(SHARED_DIR):
        return None
    folder = Path(tempfile.mkdtemp(prefix="credit-risk-tests-"))
    os.environ[SHARED_DIR] = str(folder)
    return folder


def close_run_folder(folder: Path) -> None:
    """Stop what the run started and remove its folder."""
    from credit_risk.database import EmbeddedPostgres

    prefect = folder / "prefect.pid"
    if prefect.exists():
        pid = int(prefect.read_text())
        if is_alive(pid):
            stop_group(pid)
    postgres = EmbeddedPostgres(folder / "pgdata")
    if postgres.is_initialised:
        postgres.stop()
    shutil.rmtree(folder, ignore_errors=True)
    os.environ.pop(SHARED_DIR, None)


def run_folder() -> Path:
    return Path(os.environ[SHARED_DIR])


def once(name: str, build: Callable[[], T]) -> T:
    """build() in the first process that asks for `name`; every other process gets its record."""
    folder = run_folder()
    record = folder / f"{name}.pickle"
    with FileLock(folder / f"{name}.lock"):
        if record.exists():
            value: T = pickle.loads(record.read_bytes())
            return value
        value = build()
        record.write_bytes(pickle.dumps(value))
        return value


def locked(name: str) -> FileLock:
    """A lock the run's processes share, for a step two of them must not take at once."""
    return FileLock(run_folder() / f"{name}.lock")


def shared_postgres() -> str:
    """Admin DSN of the run's embedded PostgreSQL."""
    from credit_risk.database import EmbeddedPostgres

    return once("postgres", lambda: EmbeddedPostgres(run_folder() / "pgdata").start())


def shared_prefect_api() -> str:
    """API URL of the run's Prefect server (its own SQLite database in the run's folder)."""
    return once("prefect", _start_prefect)


def _start_prefect() -> str:
    folder = run_folder() / "prefect"
    folder.mkdir()
    (port,) = free_ports(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": str(folder),
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{folder / 'prefect.db'}",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    prefect = str(Path(sys.executable).with_name("prefect"))
    command = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    pid = start_process(command, env, folder / "server.log", ROOT)
    (run_folder() / "prefect.pid").write_text(str(pid))
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + PREFECT_READY_SECONDS
    while True:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return api
        except httpx.HTTPError:
            pass
        if not is_alive(pid) or time.monotonic() > deadline:
            log = (folder / "server.log").read_text()[-3000:]
            raise RuntimeError(f"the tests' Prefect server did not start: {log}")
        time.sleep(0.5)
