"""`credit-risk stack`: the local full stack on loopback, up, status and down."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from cli.common import fail, settings_from

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

log = logging.getLogger("credit_risk")

app = typer.Typer(
    help="PostgreSQL, MLflow (UI), Prefect (UI), the served deployments and the scoring service "
    "on 127.0.0.1; state, PIDs and logs under <state dir>/stack."
)
DEMO_DEPLOYMENT = "run-pipeline/pipeline"


@app.command("up")
def up(
    ctx: typer.Context,
    pick_free_ports: Annotated[
        bool,
        typer.Option(help="Use the next free port when a configured one is taken (else: error)."),
    ] = False,
    with_demo: Annotated[
        bool,
        typer.Option(help="Without a champion, start the pipeline deployment to train one."),
    ] = False,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds each stage may take.")] = 120,
) -> None:
    """Start every service, wait until each answers, and print their URLs."""
    from cli.local_stack.ports import PortInUseError
    from cli.local_stack.supervisor import StackError
    from cli.local_stack.supervisor import up as stack_up
    from credit_risk.database import DatabaseError

    settings = settings_from(ctx)
    try:
        result = stack_up(settings, pick_free_ports=pick_free_ports, timeout=timeout)
    except (StackError, PortInUseError, DatabaseError) as exc:
        fail(str(exc))
    state = result.state
    lines = ["", f"Local stack up in {result.seconds:.0f} s:"]
    for name, record in state.services.items():
        if record.url:
            lines.append(f"  {name:<8} {record.url}")
    lines.append(f"  logs     {Path(next(iter(state.services.values())).log).parent}")
    lines.append(f"  Prefect API for other shells: export PREFECT_API_URL={state.prefect_api_url}")
    model = settings.mlflow.registered_model
    if result.champion is not None:
        lines.append(f"  serving {model}@champion (version {result.champion})")
    else:
        lines.append(
            f"  No {model}@champion yet: the scoring service starts by itself once one is "
            "promoted. Train one with `credit-risk flows run pipeline` (or `stack up --with-demo`)."
        )
    lines.append("  Stop everything with `credit-risk stack down` (or `make down`).")
    typer.echo("\n".join(lines))
    if with_demo and result.champion is None:
        _start_demo(state.prefect_api_url or "")


def _start_demo(api: str) -> None:
    os.environ["PREFECT_API_URL"] = api
    from prefect.deployments import run_deployment

    flow_run = cast("FlowRun", run_deployment(DEMO_DEPLOYMENT, timeout=0, as_subflow=False))
    typer.echo(
        f"  Demo: {DEMO_DEPLOYMENT} started as {flow_run.name}, "
        f"{api.removesuffix('/api')}/runs/flow-run/{flow_run.id}"
    )


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Each process of the stack: alive or dead, healthy or not, its URL and log (exit 1 if any is down)."""
    from cli.local_stack.supervisor import status as stack_status

    rows = stack_status(settings_from(ctx))
    if not rows:
        typer.echo("the local stack is not running (`credit-risk stack up` starts it)")
        raise typer.Exit(1)
    for row in rows:
        health = {True: "healthy", False: "not answering", None: ""}[row.healthy]
        if row.name == "service" and row.alive and not row.healthy:
            health = "starting, or waiting for a champion"
        state = "alive" if row.alive else "dead"
        typer.echo(f"{row.name:<8} pid {row.pid:<8} {state:<6} {row.url or '':<26} {health}")
    if not all(row.alive for row in rows):
        raise typer.Exit(1)


@app.command("down")
def down(ctx: typer.Context) -> None:
    """Stop every process the stack started (by PID and process group), PostgreSQL included."""
    from cli.local_stack.supervisor import down as stack_down

    done = stack_down(settings_from(ctx))
    if not done:
        typer.echo("the local stack is not running")
        return
    typer.echo("\n".join(done))


@app.command("serve-when-ready", hidden=True)
def serve_when_ready(
    ctx: typer.Context,
    poll_seconds: Annotated[float, typer.Option(min=0.1, help="Seconds between checks.")] = 10,
) -> None:
    """Wait for a champion in the registry, then become `credit-risk serve`."""
    from cli.local_stack.champion import wait_for_champion

    settings = settings_from(ctx)
    url = settings.mlflow.tracking_uri or ""
    model = settings.mlflow.registered_model
    if not url.startswith(("http://", "https://")):
        fail("serve-when-ready needs CREDIT_MLFLOW__TRACKING_URI to be an MLflow server URL")
    wait_for_champion(url, model, poll_seconds)
    command = [str(Path(sys.executable).with_name("credit-risk")), "serve"]
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process, so the PID the stack recorded is the service's.
    os.execv(command[0], command)
