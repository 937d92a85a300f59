"""`credit-risk features build` and `credit-risk validate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, runtime_from

app = typer.Typer(help="Build the dbt feature layer.")


@app.command()
def build(
    ctx: typer.Context,
    select: Annotated[str | None, typer.Option(help="dbt node selection, e.g. 'marts'.")] = None,
) -> None:
    """Run dbt build (models and their tests) against the configured PostgreSQL."""
    runtime = runtime_from(ctx)
    from credit_risk.feature_build import FeatureBuildError, build_features

    try:
        result = build_features(
            runtime.dsn, select=select, target_path=runtime.settings.state_dir / "dbt-target"
        )
    except FeatureBuildError as exc:
        fail(str(exc))
    typer.echo(
        f"dbt build succeeded in {result.seconds:.1f} s: "
        + ", ".join(f"{count} {status}" for status, count in sorted(result.counts.items()))
    )


def validate(
    ctx: typer.Context,
    tables: Annotated[str, typer.Option(help="raw, features or all.")] = "all",
    reference: Annotated[
        Path | None,
        typer.Option(help='JSON with reference means, e.g. {"dti_mean": 0.36}.', exists=True),
    ] = None,
) -> None:
    """Validate the raw tables and the feature mart with Great Expectations."""
    if tables not in ("raw", "features", "all"):
        fail(f"--tables must be raw, features or all, got {tables!r}", code=2)
    reference_values = None
    if reference is not None:
        try:
            reference_values = {k: float(v) for k, v in json.loads(reference.read_text()).items()}
        except (ValueError, AttributeError) as exc:
            fail(f"--reference {reference}: expected a JSON object of numbers ({exc})", code=2)
    runtime = runtime_from(ctx)
    from expectations.validate import validate_data

    reports = runtime.settings.reports_dir
    summary = validate_data(
        runtime.dsn,
        reports_dir=reports,
        reference=reference_values,
        tables=tables,  # type: ignore[arg-type]
    )
    summary.write_json(reports / "validation" / "latest.json")
    if not summary.success:
        from expectations.validate import DataValidationError

        fail(str(DataValidationError(summary)))
    typer.echo(
        f"validation passed: {summary.evaluated} expectations in {summary.seconds:.1f} s; "
        f"Data Docs: {summary.data_docs_index}"
    )
