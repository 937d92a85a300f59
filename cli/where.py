"""`credit-risk where`: where to look after a run."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import runtime_from
from credit_risk.database import redacted, redacted_url


def where_lines(dsn: str, mlflow_uri: str, reports_dir: Path) -> list[str]:
    """What `where` prints: hosts and paths, never a password (`db url` prints the DSN)."""
    return [
        "",
        "Where to look:",
        f"  database       {redacted(dsn)}",
        '  psql           psql "$(.venv/bin/credit-risk db url)"',
        "  MLflow UI      .venv/bin/credit-risk mlflow-ui   (then http://127.0.0.1:5000)",
        f"  MLflow store   {redacted_url(mlflow_uri)}",
        f"  reports        {reports_dir}",
        "  stop database  .venv/bin/credit-risk db stop",
    ]


def where(ctx: typer.Context) -> None:
    """Print the database URL, how to open the MLflow UI, and the reports folder."""
    runtime = runtime_from(ctx)
    lines = where_lines(runtime.dsn, runtime.mlflow_uri, runtime.settings.reports_dir)
    typer.echo("\n".join(lines))


def mlflow_ui(
    ctx: typer.Context,
    port: int = typer.Option(5000, min=1, max=65535, help="Port for the UI on 127.0.0.1."),
) -> None:
    """Open the MLflow UI on the project's tracking store and registry (Ctrl-C stops it)."""
    import os
    import sys

    runtime = runtime_from(ctx)
    # The store URI may hold the database password: the environment, not argv (`ps` shows argv).
    env = {**os.environ, "MLFLOW_BACKEND_STORE_URI": runtime.mlflow_uri}
    command = [
        str(Path(sys.executable).with_name("mlflow")),
        "ui",
        "--default-artifact-root",
        str(runtime.settings.artifact_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    typer.echo(f"MLflow UI on http://127.0.0.1:{port} (Ctrl-C to stop)")
    sys.stdout.flush()
    # Replace this process, so stopping its PID (or Ctrl-C) stops the UI, not just a wrapper.
    os.execve(command[0], command, env)
