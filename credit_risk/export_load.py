"""Load a lender's export (one CSV or Parquet file per raw table) into the raw schema.

Every file is checked against the contract first (`credit_risk.export_check`); one problem and
nothing is loaded. A clean export is loaded with COPY in one transaction and swapped in
(`credit_risk.raw_replace`), so a failure keeps the previous book. `extract_metadata` comes from
the export's own `extract_metadata.csv` when it has one; otherwise the snapshot date is the one
given, or the latest activity date in the export, so that label maturity and the out-of-time
split work as on the generated book.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from credit_risk.export_check import (
    Export,
    ExportError,
    ExportProblem,
    parse_dates,
    read_export,
    read_export_schema,
)
from credit_risk.raw_contract import TABLES
from credit_risk.raw_replace import METADATA_TABLE, LoadReport, ProgressCallback, replace_schema
from credit_risk.schema_names import check_schema_name

__all__ = [
    "ACTIVITY_DATES",
    "CheckedExport",
    "check_export_folder",
    "check_export_schema",
    "load_export",
]

log = logging.getLogger(__name__)

METADATA_FILE = "extract_metadata.csv"
# The dates on which something happened (not due or maturity dates, which run into the future):
# the latest of them is the extract's snapshot date when the export does not say.
ACTIVITY_DATES = (
    ("applications", "applied_on"),
    ("applications", "decided_on"),
    ("disbursements", "disbursed_on"),
    ("repayments", "paid_on"),
    ("npa_tracking", "recorded_on"),
    ("credit_bureau_reports", "pulled_on"),
    ("employment", "recorded_on"),
)


@dataclass(frozen=True)
class CheckedExport:
    """An export that fits the contract, ready to load: its tables and extract_metadata row."""

    source: str  # the folder, or the schema it was copied from
    batches: dict[str, list[pa.Table]]

    @property
    def snapshot_on(self) -> date:
        value: date = self.batches[METADATA_TABLE][0]["snapshot_on"][0].as_py()
        return value


def check_export_folder(folder: Path, snapshot_on: date | None = None) -> CheckedExport:
    """Read and check every file of `folder` (no database needed); ExportError if any fails."""
    export = read_export(folder)
    given: dict[str, str] = {}
    if (folder / METADATA_FILE).exists():
        with (folder / METADATA_FILE).open(newline="") as handle:
            given = next(csv.DictReader(handle), {})
    return _checked(str(folder), export, given, snapshot_on)


def check_export_schema(
    dsn: str, source: str, target: str = "raw", snapshot_on: date | None = None
) -> CheckedExport:
    """Read and check the contract's tables of schema `source` of the database."""
    if source == target:
        raise ValueError(
            f"--from-schema: {source!r} is the schema being replaced; copy from another"
        )
    export = read_export_schema(dsn, source)
    return _checked(source, export, _metadata_row(dsn, source), snapshot_on)


def _metadata_row(dsn: str, schema: str) -> dict[str, str]:
    from psycopg import sql

    from credit_risk.database import connect

    with connect(dsn) as conn:
        exists = conn.execute(
            "select 1 from information_schema.tables where table_schema = %s and table_name = %s",
            (schema, METADATA_TABLE),
        ).fetchone()
        if exists is None:
            return {}
        query = sql.SQL("select * from {}.{} limit 1").format(
            sql.Identifier(schema), sql.Identifier(METADATA_TABLE)
        )
        with conn.cursor() as cursor:
            row = cursor.execute(query).fetchone()
            names = [c.name for c in cursor.description or []]
    return (
        {} if row is None else {k: str(v) for k, v in zip(names, row, strict=True) if v is not None}
    )


def _checked(
    source: str, export: Export, given: dict[str, str], snapshot_on: date | None
) -> CheckedExport:
    metadata, problems = _metadata(source, given, export.tables, snapshot_on)
    problems = export.problems + problems
    if problems:
        raise ExportError(source, problems)
    batches = {
        table: [export.tables[table].select([name for name, _ in columns])]
        for table, columns in TABLES.items()
    }
    batches[METADATA_TABLE] = [metadata]
    log.info(
        "export %s fits the contract: %s rows in %d tables; snapshot date %s",
        source,
        f"{sum(t.num_rows for t in export.tables.values()):,}",
        len(export.files),
        metadata["snapshot_on"][0],
    )
    return CheckedExport(source, batches)


def load_export(
    dsn: str,
    export: Path | CheckedExport,
    *,
    snapshot_on: date | None = None,
    schema: str = "raw",
    on_rows: ProgressCallback | None = None,
) -> LoadReport:
    """Replace `schema` with the export (a folder is checked first; one problem loads nothing)."""
    check_schema_name(schema, what="--schema")
    import psycopg

    if isinstance(export, Path):
        export = check_export_folder(export, snapshot_on)
    try:
        return replace_schema(dsn, schema, export.batches, on_rows)
    except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
        # What the checks cannot see (a number too large for its column, say) the server refuses.
        where = f" ({exc.diag.context.strip()})" if exc.diag.context else ""
        raise ValueError(
            f"{export.source}: the database refused the export: {exc.diag.message_primary}{where}; "
            f"nothing was loaded and the current {schema} data is unchanged"
        ) from exc


def _metadata(
    source: str, given: dict[str, str], tables: dict[str, pa.Table], snapshot_on: date | None
) -> tuple[pa.Table, list[ExportProblem]]:
    problems = []
    dates = {}
    for column in ("snapshot_on", "window_start_on"):
        if given.get(column):
            try:
                dates[column] = date.fromisoformat(given[column].strip())
            except ValueError:
                problems.append(
                    ExportProblem(
                        METADATA_FILE, column, f"not a date (YYYY-MM-DD): {given[column]!r}"
                    )
                )
    snapshot = snapshot_on or dates.get("snapshot_on") or _latest_activity(tables)
    start = dates.get("window_start_on") or _earliest_application(tables)
    if snapshot is None or start is None:
        problems.append(
            ExportProblem(
                METADATA_FILE,
                None,
                "no snapshot date: give --snapshot-on, or export extract_metadata.csv",
            )
        )
        snapshot = start = date.today()
    applications = tables["applications"].num_rows if "applications" in tables else 0
    table = pa.table(
        {
            "snapshot_on": pa.array([snapshot], type=pa.date32()),
            "window_start_on": pa.array([start], type=pa.date32()),
            "scenario": pa.array([given.get("scenario") or "export"]),
            "seed": pa.array([0], type=pa.int64()),
            "applications": pa.array([applications], type=pa.int64()),
            "target_bad_rate": pa.array([float("nan")]),
            "generator_version": pa.array([f"export:{Path(source).name}"]),
        }
    )
    return table, problems


def _dates(tables: dict[str, pa.Table], table: str, column: str) -> pa.ChunkedArray | None:
    if table not in tables or column not in tables[table].column_names:
        return None
    return parse_dates(tables[table][column])


def _latest_activity(tables: dict[str, pa.Table]) -> date | None:
    latest = [
        pc.max(d).as_py() for t, c in ACTIVITY_DATES if (d := _dates(tables, t, c)) is not None
    ]
    found = [value.date() for value in latest if value is not None]
    return max(found, default=None)


def _earliest_application(tables: dict[str, pa.Table]) -> date | None:
    applied = _dates(tables, "applications", "applied_on")
    first = None if applied is None else pc.min(applied).as_py()
    return None if first is None else first.date()
