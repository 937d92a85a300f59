"""`credit-risk flows`: serve the deployments, list them, and run one and wait for its end.

Which Prefect server these commands talk to: PREFECT_API_URL when it is set; otherwise the local
stack's Prefect server when `credit-risk stack up` is running; otherwise `run` and `serve` stop
with an error (a deployment run needs a server and a process serving it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from cli.common import fail, runtime_from, settings_from, user_errors

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments.runner import RunnerDeployment

    from credit_risk.settings import Settings

log = logging.getLogger("credit_risk")

API_RULE = (
    "The Prefect server is PREFECT_API_URL when set, else the local stack's (`credit-risk stack "
    "up`)."
)
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# A run still Scheduled after this long means no process serves its deployment.
UNSERVED_WARNING_SECONDS = 60
# How often the serving process asks for runs to start (Prefect's default is 10 s).
RUNNER_POLL_SECONDS = 3

app = typer.Typer(help="Deployments: serve them, list them, run one. " + API_RULE)


def prefect_api_url(settings: Settings) -> str | None:
    """PREFECT_API_URL when set, else the running local stack's Prefect API, else None."""
    from cli.local_stack.supervisor import running_prefect_api

    return os.environ.get("PREFECT_API_URL") or running_prefect_api(settings)


def use_prefect_server(settings: Settings) -> str:
    """Point Prefect at the server (before it is imported), or stop with what to do."""
    url = prefect_api_url(settings)
    if not url:
        fail(
            "no Prefect server: start the local stack with `credit-risk stack up` (or `make up`), "
            "or set PREFECT_API_URL to a running server's API, e.g. http://127.0.0.1:4200/api"
        )
    os.environ["PREFECT_API_URL"] = url
    return url


@app.command("serve")
def serve(
    ctx: typer.Context,
    ready_file: Annotated[
        Path | None,
        typer.Option(hidden=True, help="Touched once every deployment is registered."),
    ] = None,
) -> None:
    """Register the deployments with their schedules and run their flows until stopped."""
    settings = settings_from(ctx)
    api = use_prefect_server(settings)
    # Runs execute in this process: start or reach the database, export what flows read.
    runtime_from(ctx)
    from flows.deployments import build_deployments

    started = time.perf_counter()
    with user_errors():
        deployments = build_deployments(settings)
    if not deployments:
        fail("no deployment could be built; see the lines above")
    log.info("built %d deployments in %.1f s", len(deployments), time.perf_counter() - started)
    asyncio.run(_serve(deployments, api, ready_file))


async def _serve(deployments: list[RunnerDeployment], api: str, ready_file: Path | None) -> None:
    from prefect.runner import Runner

    # Schedules are paused when this process stops, and unpaused (paused=False) when it starts.
    runner = Runner(name="credit-risk", pause_on_shutdown=True, query_seconds=RUNNER_POLL_SECONDS)
    for deployment in deployments:
        deployment.paused = False
        await cast("Awaitable[Any]", runner.add_deployment(deployment))
        schedule = deployment.schedules[0].schedule if deployment.schedules else None
        log.info(
            "serving %s/%s (%s)",
            deployment.flow_name,
            deployment.name,
            getattr(schedule, "cron", None) or "manual only",
        )
    log.info("%d deployments registered on %s; waiting for runs", len(deployments), api)
    if ready_file is not None:
        ready_file.write_text(str(os.getpid()))
    await runner.start()


@app.command("list")
def list_deployments(ctx: typer.Context) -> None:
    """The deployments with their schedules and default parameters, and what the server knows."""
    from flows.deployments import deployment_specs, full_name, load_flow

    settings = settings_from(ctx)
    api = prefect_api_url(settings)
    registered = _registered_deployments(api) if api else {}
    tz = settings.orchestration.timezone
    for spec in deployment_specs(settings):
        flow = load_flow(spec)
        if flow is None:
            typer.echo(f"{spec.name:<20} (flow {spec.flow_path} not available yet)")
            continue
        name = full_name(spec, flow)
        schedule = f"cron '{spec.cron}' {tz}" if spec.cron else "manual only"
        typer.echo(f"{name:<36} {schedule:<28} {spec.description}")
        if spec.parameters:
            typer.echo(f"{'':<36} parameters: {spec.parameters}")
        if api:
            typer.echo(f"{'':<36} on the server: {registered.get(name, 'not registered')}")
    typer.echo(f"Prefect server: {api or 'none running (see `credit-risk stack up`)'}")


def _registered_deployments(api: str) -> dict[str, str]:
    """'flow/deployment' → 'active' or 'paused', as the server has them."""
    import httpx

    try:
        flows = httpx.post(f"{api}/flows/filter", json={}, timeout=10).json()
        deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
    except httpx.HTTPError as exc:
        log.warning("Prefect server %s did not answer: %s", api, exc)
        return {}
    flow_names = {f["id"]: f["name"] for f in flows}
    return {
        f"{flow_names.get(d['flow_id'], '?')}/{d['name']}": "paused" if d["paused"] else "active"
        for d in deployments
    }


@app.command("run")
def run(
    ctx: typer.Context,
    deployment: Annotated[
        str, typer.Argument(help="Deployment name, e.g. pipeline or run-pipeline/pipeline.")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="name=value, repeatable; values are JSON when they parse "
            "(3000, false, '[\"lightgbm\"]'), else text.",
        ),
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait for the final state.")] = True,
    timeout: Annotated[
        float, typer.Option(min=0, help="Seconds to wait before giving up; 0 = no limit.")
    ] = 0,
) -> None:
    """Run a served deployment and report its final state (exit 1 unless it completed)."""
    from flows.deployments import (
        deployment_specs,
        find_spec,
        full_name,
        load_flow,
        parse_parameter,
        validate_parameters,
    )

    settings = settings_from(ctx)
    api = prefect_api_url(settings)
    if api:  # before the flow modules import Prefect, which reads its settings once
        os.environ["PREFECT_API_URL"] = api
    with user_errors():
        spec = find_spec(deployment_specs(settings), deployment)
        flow = load_flow(spec)
        if flow is None:
            raise ValueError(f"deployment {spec.name}: flow {spec.flow_path} is not available")
        parameters = validate_parameters(flow, dict(parse_parameter(p) for p in param or []))
    api = use_prefect_server(settings)
    name = full_name(spec, flow)
    flow_run = _create_run(name, parameters, api)
    ui = api.removesuffix("/api")
    typer.echo(f"{name}: flow run {flow_run['name']} → {ui}/runs/flow-run/{flow_run['id']}")
    if not wait:
        return
    run_name, state = _wait_for_final_state(api, flow_run["id"], timeout)
    typer.echo(f"{name}: flow run {run_name} finished {state['name']}")
    if state["type"] != "COMPLETED":
        if state.get("message"):
            typer.echo(f"  {state['message']}", err=True)
        raise typer.Exit(1)


def _create_run(name: str, parameters: dict[str, Any], api: str) -> dict[str, Any]:
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    try:
        flow_run = cast(
            "FlowRun", run_deployment(name, parameters=parameters, timeout=0, as_subflow=False)
        )
    except ObjectNotFound:
        fail(
            f"deployment {name} is not registered on {api}: is `credit-risk flows serve` "
            "(or the local stack) running?"
        )
    return {"id": str(flow_run.id), "name": flow_run.name}


def _wait_for_final_state(api: str, flow_run_id: str, timeout: float) -> tuple[str, dict[str, Any]]:
    """Poll the run, logging each state change, until it ends or the timeout passes."""
    import httpx

    started = time.monotonic()
    last = None
    warned = False
    while True:
        run = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=10).json()
        state = run.get("state") or {"type": "PENDING", "name": "Pending"}
        if state["name"] != last:
            log.info("flow run %s: %s", run["name"], state["name"])
            last = state["name"]
        if state["type"] in FINAL_STATES:
            return str(run["name"]), dict(state)
        elapsed = time.monotonic() - started
        if state["type"] == "SCHEDULED" and elapsed > UNSERVED_WARNING_SECONDS and not warned:
            log.warning(
                "still scheduled after %.0f s: is `credit-risk flows serve` running?", elapsed
            )
            warned = True
        if timeout and elapsed > timeout:
            fail(f"flow run {run['name']} is still {state['name']} after {timeout:.0f} s", code=3)
        time.sleep(2)
