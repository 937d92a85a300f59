"""`credit-risk serve`: the BentoML scoring service on the registered champion."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from cli.common import fail, run_in_foreground, runtime_from, settings_from, user_errors
from credit_risk.addresses import is_loopback

SERVICE = "serving.service:CreditRiskService"
PROFILED_SERVICE = "serving.profiled_service:ProfiledModelService"


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
    model: Annotated[
        str | None,
        typer.Option(
            help="Registered model to serve (default: CREDIT_MLFLOW__REGISTERED_MODEL). A model "
            "trained on a flat file is served with a request schema of its own features."
        ),
    ] = None,
) -> None:
    """Serve the champion over HTTP: /score, /score_batch, /explain, /model_info, /docs.json."""
    settings = settings_from(ctx)
    model_name = model or settings.mlflow.registered_model
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
    service = _service_for(model_name)
    env = dict(os.environ)
    env.update(
        {
            "CREDIT_DATABASE__DSN": runtime.dsn,
            "CREDIT_MLFLOW__TRACKING_URI": runtime.mlflow_uri,
            "CREDIT_MLFLOW__REGISTERED_MODEL": model_name,
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
    command = [str(bentoml), "serve", service, "--host", host, "--port", str(port)]
    schema = "its own features" if service == PROFILED_SERVICE else "the feature contract"
    typer.echo(f"serving {model_name}@champion ({schema}) on http://{host}:{port}")
    run_in_foreground(command, env)


def _service_for(model_name: str) -> str:
    """The service for the model: the contract's, or the one built from the model's profile.

    An unknown model name, or one without a champion, stops here with what to do.
    """
    from mlflow import MlflowClient

    from credit_risk.artifact.feature_profile import read_profile
    from credit_risk.model_registry import require_champion
    from serving.champion import uses_contract_features

    try:
        version = require_champion(MlflowClient(), model_name)
        uri = f"models:/{model_name}/{version.version}"
        if uses_contract_features(uri):
            return SERVICE
        read_profile(uri)  # a model logged before profiles were recorded cannot be served
    except (LookupError, ValueError) as exc:
        fail(str(exc), code=2)
    return PROFILED_SERVICE


def score_batch(
    ctx: typer.Context,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="Applications read and scored per chunk.")
    ] = 50_000,
    model: Annotated[
        str | None,
        typer.Option(
            help="Registered model to score with (default: CREDIT_MLFLOW__REGISTERED_MODEL)."
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            help="SCHEMA.TABLE of new rows to score with --model's own features, into "
            "SCHEMA.TABLE_scores; without it, pending applications go into serving.scores."
        ),
    ] = None,
    into: Annotated[
        str | None, typer.Option(help="SCHEMA.TABLE for --table's scores (replaced).")
    ] = None,
) -> None:
    """Score every pending application with the champion into serving.scores (idempotent), or
    a table of new rows with --model and --table."""
    import json

    if into and not table:
        fail("--into needs --table: it names where the table's scores go", code=2)
    runtime = runtime_from(ctx)
    if table:
        from flows.scoring import score_table

        name = model or settings_from(ctx).mlflow.registered_model
        with user_errors():
            summary = score_table(
                model_name=name, table=table, into=into, dsn=SecretStr(runtime.dsn)
            )
        typer.echo(json.dumps(summary, indent=2))
        return
    from flows.scoring import score_batch as flow

    summary = flow(dsn=SecretStr(runtime.dsn), model_name=model, chunk_size=chunk_size)
    typer.echo(json.dumps(summary, indent=2))
