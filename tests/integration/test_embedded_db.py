"""`credit-risk db start|status|url|stop` on a project-local embedded PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from credit_risk.database import connect

pytestmark = pytest.mark.integration


def test_embedded_server_lifecycle_and_reuse(tmp_path: Path) -> None:
    env = {"CREDIT_PATHS__STATE_DIR": str(tmp_path / "state"), "CREDIT_DATABASE__DSN": ""}
    runner = CliRunner()
    stopped = runner.invoke(app, ["db", "status"], env=env)
    assert stopped.exit_code == 3
    assert "not created yet" in stopped.output

    started = runner.invoke(app, ["db", "start"], env=env)
    assert started.exit_code == 0, started.output
    dsn = started.output.strip().splitlines()[-1]
    assert str(tmp_path / "state" / "pgdata") in dsn
    with connect(dsn, autocommit=True) as conn:
        conn.execute("create table kept (x int)")
        conn.execute("insert into kept values (42)")
        assert conn.execute("show wal_level").fetchone()[0] == "minimal"

    running = runner.invoke(app, ["db", "status"], env=env)
    assert running.exit_code == 0 and "running (pid" in running.output
    assert runner.invoke(app, ["db", "stop"], env=env).output.strip() == "stopped"
    assert runner.invoke(app, ["db", "status"], env=env).exit_code == 3

    # The next start reuses the same cluster and its data.
    again = runner.invoke(app, ["db", "url"], env=env)
    assert again.exit_code == 0
    with connect(again.output.strip().splitlines()[-1]) as conn:
        assert conn.execute("select x from kept").fetchone()[0] == 42
    runner.invoke(app, ["db", "stop"], env=env)
