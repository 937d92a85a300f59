"""`credit-risk where`: where to look after a run."""

from __future__ import annotations

import typer

from credit_risk.cli.common import runtime_from


def where(ctx: typer.Context) -> None:
    """Print the database URL, how to open the MLflow UI, and the reports folder."""
    runtime = runtime_from(ctx)
    settings = runtime.settings
    lines = [
        "",
        "Where to look:",
        f"  database       {runtime.dsn}",
        f"  psql           psql '{runtime.dsn}'",
        f"  MLflow UI      .venv/bin/mlflow ui --backend-store-uri '{runtime.mlflow_uri}' "
        f"--default-artifact-root '{settings.artifact_dir}' --host 127.0.0.1 --port 5000",
        f"  reports        {settings.reports_dir}",
        "  stop database  .venv/bin/credit-risk db stop",
    ]
    typer.echo("\n".join(lines))
