"""`credit-risk run`: run flows directly from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.common import settings_from, user_errors
from cli.serve import score_batch

app = typer.Typer(help="Run a flow now, in this process.")
app.command("score-batch")(score_batch)


@app.command("pipeline")
def pipeline(
    ctx: typer.Context,
    applications: Annotated[int | None, typer.Option(help="Applications to generate.")] = None,
    seed: Annotated[int | None, typer.Option(help="Generator seed.")] = None,
    scenario: Annotated[str, typer.Option(help="baseline or recession.")] = "baseline",
    generate: Annotated[
        bool, typer.Option(help="Generate fresh data; --no-generate keeps the raw schema.")
    ] = True,
) -> None:
    """Run the whole pipeline: data → dbt features → validation → training → promotion."""
    from credit_risk.synthetic.config import GeneratorConfig

    settings = settings_from(ctx)
    applications = settings.data.applications if applications is None else applications
    seed = settings.data.seed if seed is None else seed
    with user_errors():
        config = GeneratorConfig(applications=applications, seed=seed, scenario=scenario)  # type: ignore[arg-type]
    from flows.pipeline import run_pipeline

    summary = run_pipeline(
        applications=applications,
        seed=seed,
        scenario=config.scenario,  # the same string, typed as a Scenario once validated
        generate=generate,
    )
    typer.echo(json.dumps(summary, indent=2, default=str))
