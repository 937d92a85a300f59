"""`credit-risk data`: generate synthetic lending data, or load a lender's export, into raw."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import runtime_from, settings_from, user_errors

if TYPE_CHECKING:
    from credit_risk.raw_replace import LoadReport

app = typer.Typer(help="Generate and load lending data.")


@app.command()
def generate(
    ctx: typer.Context,
    applications: Annotated[
        int | None, typer.Option(help="Number of loan applications (default from settings).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed; the same seed gives the same data.")
    ] = None,
    scenario: Annotated[
        str, typer.Option(help="baseline, or recession (lower incomes, higher rates and DTI).")
    ] = "baseline",
    bad_rate: Annotated[
        float | None, typer.Option(help="Target portfolio bad rate (default from settings).")
    ] = None,
    schema: Annotated[
        str,
        typer.Option(
            help="Target schema, replaced atomically; the platform's own schemas (governance, "
            "serving, monitoring, marts, ...) are refused."
        ),
    ] = "raw",
    to_files: Annotated[
        Path | None,
        typer.Option(
            "--to-files",
            help="Write one CSV per raw table into this folder instead of loading the database: "
            "an example of the export a lender's own data takes.",
        ),
    ] = None,
) -> None:
    """Generate causal synthetic lending data and load it into PostgreSQL with COPY."""
    from credit_risk.schema_names import check_schema_name
    from credit_risk.synthetic.config import GeneratorConfig

    settings = settings_from(ctx)
    with user_errors():
        # Validate before touching the database, so bad arguments change nothing.
        config = GeneratorConfig(
            applications=settings.data.applications if applications is None else applications,
            seed=settings.data.seed if seed is None else seed,
            scenario=scenario,  # type: ignore[arg-type]
            bad_rate=settings.data.bad_rate if bad_rate is None else bad_rate,
        )
        check_schema_name(schema, what="--schema")
        if to_files is not None:
            from credit_risk.synthetic.export import write_book_files

            written = write_book_files(config, to_files)
            typer.echo(f"wrote {len(written)} files to {to_files}")
            for table, rows in written.items():
                typer.echo(f"  {table + '.csv':<28} {rows:>12,}")
            return
    runtime = runtime_from(ctx)
    from credit_risk.synthetic.loader import load_raw

    report = load_raw(runtime.dsn, config, schema=schema)
    _print_rows(report)
    typer.echo(
        f"{report.total_rows:,} rows in {report.total_seconds:.1f} s "
        f"({report.total_rows / max(report.total_seconds, 1e-9):,.0f} rows/s)"
    )


def _print_rows(report: LoadReport) -> None:
    for table, rows in report.rows.items():
        typer.echo(f"{report.schema}.{table:<24} {rows:>12,}")


@app.command()
def load(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="A folder with one CSV or Parquet file per raw table (<table>.csv), the shape "
            "'data generate --to-files' writes; extract_metadata.csv is optional."
        ),
    ] = None,
    from_schema: Annotated[
        str | None,
        typer.Option(
            help="Copy from this schema of the same database instead of files (tables named as "
            "in the contract)."
        ),
    ] = None,
    snapshot_on: Annotated[
        str | None,
        typer.Option(
            help="The extract's date (YYYY-MM-DD): labels mature and splits cut from it. Default: "
            "extract_metadata, else the latest activity date in the export."
        ),
    ] = None,
    schema: Annotated[
        str, typer.Option(help="Target schema, replaced atomically only when every table fits.")
    ] = "raw",
) -> None:
    """Load a lender's export into the raw schema: every table is checked against the contract
    first, and one problem loads nothing."""
    from datetime import date

    from credit_risk.export_load import CheckedExport, check_export_folder, check_export_schema
    from credit_risk.schema_names import check_schema_name

    with user_errors():
        # The arguments (and the files) are checked before the database is started or touched.
        if (path is None) == (from_schema is None):
            raise ValueError("give a folder of files or --from-schema SCHEMA, one of the two")
        check_schema_name(schema, what="--schema")
        try:
            snapshot = None if snapshot_on is None else date.fromisoformat(snapshot_on)
        except ValueError:
            raise ValueError(f"--snapshot-on: {snapshot_on!r} is not a date (YYYY-MM-DD)") from None
        checked: CheckedExport | None = None
        if path is not None:
            checked = check_export_folder(path, snapshot)
    runtime = runtime_from(ctx)
    from credit_risk.export_load import load_export

    with user_errors():
        if checked is None:
            checked = check_export_schema(runtime.dsn, str(from_schema), schema, snapshot)
        report = load_export(runtime.dsn, checked, schema=schema)
    _print_rows(report)
    typer.echo(
        f"{report.total_rows:,} rows loaded from {checked.source} in "
        f"{report.total_seconds:.1f} s (snapshot date {checked.snapshot_on})"
    )
