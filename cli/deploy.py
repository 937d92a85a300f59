"""`credit-risk deploy`: register the deployments and their cron schedules on a Prefect server."""

from __future__ import annotations

import typer

from cli.common import fail, settings_from, user_errors


def deploy(ctx: typer.Context) -> None:
    """Create or update every deployment and its schedule; runs execute where `flows serve` runs.

    The Prefect server is PREFECT_API_URL when set, else the local stack's (`credit-risk stack up`).
    """
    from cli.flows import use_prefect_server

    settings = settings_from(ctx)
    api = use_prefect_server(settings)
    from flows.deployments import build_deployments

    with user_errors():
        deployments = build_deployments(settings)
    if not deployments:
        fail("no deployment could be built; see the lines above")
    for deployment in deployments:
        deployment.paused = False
        deployment_id = deployment.apply()
        schedule = deployment.schedules[0].schedule if deployment.schedules else None
        cron = getattr(schedule, "cron", None)
        name = f"{deployment.flow_name}/{deployment.name}"
        schedule_text = f"cron {cron!r}" if cron else "manual only"
        typer.echo(f"{name:<36} {schedule_text:<22} {deployment_id}")
    typer.echo(
        f"{len(deployments)} deployments on {api}. Their runs execute in a process serving them: "
        "`credit-risk flows serve` (the local stack runs one)."
    )
