"""`credit-risk monitor`: drift, quality and portfolio health of the champion, now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from cli.common import fail, settings_from, user_errors

if TYPE_CHECKING:
    from prefect import State


def _print_result(result: dict[str, Any]) -> None:
    if result.get("status") == "no_data":
        typer.secho(f"nothing to check: {result['message']}", fg=typer.colors.YELLOW, err=True)
        return
    alerts = result.get("alerts", [])
    colour = typer.colors.RED if alerts else typer.colors.GREEN
    typer.secho(result["headline"], fg=colour, bold=True)
    for alert in alerts:
        since = f" (since {alert['since']})" if alert.get("since") else ""
        typer.secho(f"- {alert['name']}{since}: {alert['message']}", fg=colour)
    typer.echo(f"Report: {result['report_path']}")
    typer.echo(f"MLflow run: {result['mlflow_run_id']}")


app = typer.Typer(
    help="Compare recent scores (or a named batch) with the champion's training window and "
    "alert; 'monitor ui' serves the drift history."
)


@app.callback(invoke_without_command=True)
def monitor(
    ctx: typer.Context,
    window: Annotated[
        str | None,
        typer.Option(help="scoring_log window ending now (or at --until): 24h, 7d, 2w."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Start of the window, ISO date or date-time (UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="End of the window (exclusive), ISO date or date-time.")
    ] = None,
    batch: Annotated[
        str | None,
        typer.Option(
            help="Named batch: a raw schema from 'data generate --schema'; its features are "
            "built into <batch>_marts when missing. --since/--until then bound applied_on."
        ),
    ] = None,
    sample_rows: Annotated[
        int | None, typer.Option(min=1000, help="Rows compared on each side (default settings).")
    ] = None,
    rebuild: Annotated[bool, typer.Option(help="Rebuild the batch's features first.")] = False,
    fail_on_alert: Annotated[
        bool | None,
        typer.Option(
            "--fail/--no-fail",
            help="Exit 1 when a threshold is breached (default from settings); --no-fail "
            "prints the alerts and exits 0.",
        ),
    ] = None,
    output_json: Annotated[
        Path | None, typer.Option(help="Also write the JSON summary to this file.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="A model trained on a flat file: compare its logged decisions (or --table) "
            "with the table it was trained from."
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(help="With --model: SCHEMA.TABLE of new rows to compare instead of the log."),
    ] = None,
) -> None:
    """Compare recent scores (or a named batch) with the champion's training window and alert."""
    if ctx.invoked_subcommand is not None:
        return
    from monitoring.window import select

    settings = settings_from(ctx)
    with user_errors():
        # Validate before starting anything, so a typo costs no database or Prefect start-up.
        if table and not model:
            raise ValueError("--table needs --model: it names new rows for that model")
        if model and (batch or rebuild):
            raise ValueError(
                "--batch is a raw schema of the contract's tables; with --model use --table"
            )
        if table and (window or since or until):
            raise ValueError(
                "--table names the rows to compare; leave out --window/--since/--until"
            )
        if window or since or until or batch:
            select(window=window, since=since, until=until, batch=batch)
        else:
            select(window=settings.monitoring.window)
    # Called from sync code, a flow returns its final State (not an awaitable). Both flows
    # return their summary or a Completed state carrying it; either way the final state's
    # result is the summary.
    if model:
        from flows.model_drift import check_model_drift

        state = cast(
            "State[dict[str, Any]]",
            check_model_drift(
                model_name=model,
                table=table,
                window=window,
                since=since,
                until=until,
                sample_rows=sample_rows,
                fail_on_alert=False,
                return_state=True,
            ),
        )
    else:
        from flows.drift import check_drift

        state = cast(
            "State[dict[str, Any]]",
            check_drift(
                window=window,
                since=since,
                until=until,
                batch=batch,
                sample_rows=sample_rows,
                fail_on_alert=False,
                rebuild_batch=rebuild,
                return_state=True,
            ),
        )
    # The flow run ends "Alerting" rather than failed, so the summary comes back to print;
    # the exit code below carries the failure.
    result = state.result(raise_on_failure=False)
    if isinstance(result, ValueError | LookupError):
        fail(str(result), code=2)
    if isinstance(result, BaseException):
        raise result
    _print_result(result)
    if output_json is not None:
        output_json.write_text(json.dumps(result, indent=2, default=str))
    should_fail = settings.monitoring.fail_on_alert if fail_on_alert is None else fail_on_alert
    if result.get("alerts") and should_fail:
        raise typer.Exit(1)


@app.command("ui")
def ui(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port for the UI on 127.0.0.1.")
    ] = 8000,
) -> None:
    """Serve the drift history: Evidently's UI on the workspace every monitoring run adds to
    (a project per registered model; Ctrl-C stops it)."""
    import os
    import sys

    from monitoring.evidently_history import ui_command

    command = ui_command(settings_from(ctx).state_dir, "127.0.0.1", port)
    typer.echo(f"Drift history (Evidently UI) on http://127.0.0.1:{port} (Ctrl-C to stop)")
    sys.stdout.flush()
    # Replace this process, so stopping its PID (or Ctrl-C) stops the UI, not just a wrapper.
    os.execv(command[0], command)
