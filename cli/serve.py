"""`credit-risk serve`: the BentoML scoring service on the registered champion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from cli.common import fail, runtime_from, settings_from
from credit_risk.addresses import is_loopback
from credit_risk.environment import PROJECT_ROOT

SERVICE = "serving.service:CreditRiskService"


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default: CREDIT_SERVING__HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to bind (default: CREDIT_SERVING__PORT).")
    ] = None,
    reload_seconds: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds between checks for a new champion; 0 = never "
            "(default: CREDIT_SERVING__RELOAD_SECONDS or 30).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes, each with its own copy of the champion "
            "(default: CREDIT_SERVING__WORKERS or 1).",
        ),
    ] = None,
) -> None:
    """Serve the champion over HTTP: /score, /score_batch, /explain, /model_info, /docs.json."""
    settings = settings_from(ctx)
    host = host or settings.serving.host
    port = port or settings.serving.port
    key = settings.serving.api_key.get_secret_value() if settings.serving.api_key else ""
    if not is_loopback(host) and not key:
        fail(
            f"refusing to serve on {host} without an API key: set CREDIT_SERVING__API_KEY "
            "or bind to 127.0.0.1",
            code=2,
        )
    runtime = runtime_from(ctx)
    env = dict(os.environ)
    env.update(
        {
            "CREDIT_DATABASE__DSN": runtime.dsn,
            "CREDIT_MLFLOW__TRACKING_URI": runtime.mlflow_uri,
            "CREDIT_MLFLOW__REGISTERED_MODEL": settings.mlflow.registered_model,
            "BENTOML_HOME": env.get("BENTOML_HOME", str(settings.state_dir / "bentoml")),
        }
    )
    if reload_seconds is not None:
        env["CREDIT_SERVING__RELOAD_SECONDS"] = str(reload_seconds)
    if workers is not None:
        env["CREDIT_SERVING__WORKERS"] = str(workers)
    if key:
        env["CREDIT_SERVING__API_KEY"] = key
    bentoml = Path(sys.executable).with_name("bentoml")
    command = [str(bentoml), "serve", SERVICE, "--host", host, "--port", str(port)]
    typer.echo(f"serving {settings.mlflow.registered_model}@champion on http://{host}:{port}")
    child = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)
    try:
        code = child.wait()
    except KeyboardInterrupt:
        child.terminate()
        code = child.wait()
    raise typer.Exit(code)


def score_batch(
    ctx: typer.Context,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="Applications read and scored per chunk.")
    ] = 50_000,
) -> None:
    """Score every pending application with the champion into serving.scores (idempotent)."""
    import json

    runtime = runtime_from(ctx)
    from flows.scoring import score_batch as flow

    summary = flow(dsn=SecretStr(runtime.dsn), chunk_size=chunk_size)
    typer.echo(json.dumps(summary, indent=2))
