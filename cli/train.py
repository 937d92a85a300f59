"""`credit-risk train`: train on the feature mart, or on any CSV you bring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, runtime_from


def train(
    ctx: typer.Context,
    dataset: Annotated[
        Path | None,
        typer.Option(help="A CSV to train on instead of the feature mart (bring your own data)."),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Target column of --dataset (1/0, true/false, or a label).")
    ] = None,
    positive_label: Annotated[
        str | None, typer.Option(help="The target value that means 'bad' (default or positive).")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Registered model and experiment name (default from settings)."),
    ] = None,
    date_column: Annotated[
        str | None,
        typer.Option(help="Split --dataset by time on this column instead of at random."),
    ] = None,
    trials: Annotated[
        int | None, typer.Option(min=1, help="Search trials per candidate (default from settings).")
    ] = None,
    output_json: Annotated[
        Path | None, typer.Option(help="Also write the summary to this JSON file.")
    ] = None,
) -> None:
    """Train every candidate, register the best and let the promotion gate decide."""
    if dataset is not None and target is None:
        fail("--dataset needs --target: the column to predict", code=2)
    if dataset is None and (target or positive_label or date_column):
        fail("--target, --positive-label and --date-column go with --dataset", code=2)
    import os

    # The training flow builds its own settings from the environment, so overrides go there.
    if trials is not None:
        os.environ["CREDIT_TRAINING__SEARCH_TRIALS"] = str(trials)
    if name and dataset is None:
        os.environ["CREDIT_MLFLOW__REGISTERED_MODEL"] = name
        os.environ["CREDIT_MLFLOW__EXPERIMENT"] = name
    runtime = runtime_from(ctx)
    settings = runtime.settings
    if trials is not None:
        settings.training.search_trials = trials
    if dataset is not None:
        from credit_risk.tracking import ensure_experiment
        from training.csv_dataset import train_on_csv
        from training.registry.manual import cli_actor

        ensure_experiment(name or dataset.stem, settings.artifact_dir)
        t = settings.training
        try:
            summary = train_on_csv(
                dataset,
                target or "",
                dsn=runtime.dsn,
                name=name or dataset.stem,
                positive_label=positive_label,
                date_col=date_column,
                n_trials=t.search_trials,
                timeout=t.search_timeout_seconds,
                test_months=t.test_months,
                validation_months=t.validation_months,
                actor=cli_actor(),
            )
        except ValueError as exc:
            fail(str(exc), code=2)
    else:
        from pydantic import SecretStr

        from flows.train import train_model

        # Masked before Prefect stores the flow run's parameters.
        summary = train_model(SecretStr(runtime.dsn))
    text = json.dumps(summary, indent=2, default=str)
    if output_json is not None:
        output_json.parent.mkdir(parents=True, exist_ok=True)
        output_json.write_text(text + "\n")
    typer.echo(text)
