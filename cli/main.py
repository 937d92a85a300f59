"""Entry point of the `credit-risk` command; sub-commands import their heavy parts lazily."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import (
    console,
    data,
    db,
    deploy,
    features,
    flows,
    model,
    monitor,
    run,
    serve,
    stack,
    train,
    where,
)
from cli.common import configure_logging

app = typer.Typer(
    name="credit-risk",
    help="Orchestrated credit-risk scoring: data, features, training, serving and monitoring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(data.app, name="data")
app.add_typer(features.app, name="features")
app.command("validate")(features.validate)
app.add_typer(run.app, name="run")
app.command("train")(train.train)
app.add_typer(model.app, name="model")
app.command("where")(where.where)
app.command("mlflow-ui")(where.mlflow_ui)
app.command("serve")(serve.serve)
app.command("console")(console.console)
app.add_typer(monitor.app, name="monitor")
app.command("deploy")(deploy.deploy)
app.add_typer(flows.app, name="flows")
app.add_typer(stack.app, name="stack")


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Settings come from CREDIT_* environment variables and .env (see .env.example)."""
    from credit_risk.environment import export_base_environment
    from credit_risk.settings import Settings

    configure_logging(verbose)
    try:
        ctx.obj = Settings()
    except Exception as exc:  # pydantic's ValidationError names the variable and the problem
        typer.secho(f"error: invalid settings: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    export_base_environment(ctx.obj)
