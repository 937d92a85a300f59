"""A PostgreSQL of a test's own, to stop and start while MLflow's store stays up."""

from __future__ import annotations

import os
import subprocess

from credit_risk.database import EmbeddedPostgres


def copy_scoring_inputs(source_dsn: str, target_dsn: str) -> None:
    """The raw and marts schemas, copied with the bundled pg_dump instead of a second dbt build."""
    from pgserver._commands import POSTGRES_BIN_PATH

    dump = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_dump"), "--no-owner", "-n", "raw", "-n", "marts", source_dsn],
        capture_output=True,
        check=True,
    )
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "psql"), "-q", "-v", "ON_ERROR_STOP=1", target_dsn],
        input=dump.stdout,
        capture_output=True,
        check=True,
    )


def stop_hard(server: EmbeddedPostgres) -> None:
    """An immediate shutdown: connections drop as in a crash."""
    from pgserver import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop", "-m", "immediate"], pgdata=server.pgdata, user=user, timeout=60)
