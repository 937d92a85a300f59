"""Replace a raw schema in one transaction: COPY into a side schema, add the contract's keys,
then swap it in for the old one.

Readers see the old set or the new one, never a half-written one, and a failure at any step
(a COPY the server refuses, a key the rows break) leaves the old set untouched. The generated
book (`credit_risk.synthetic.loader`) and a lender's export (`credit_risk.export_load`) both load
this way.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv

from credit_risk.database import connect
from credit_risk.raw_contract import TABLES, constraint_sql, create_table_sql
from credit_risk.schema_names import check_schema_name

__all__ = [
    "METADATA_COLUMNS",
    "METADATA_TABLE",
    "LoadReport",
    "ProgressCallback",
    "replace_schema",
    "table_to_csv",
]

log = logging.getLogger(__name__)

METADATA_TABLE = "extract_metadata"
METADATA_COLUMNS = [
    ("snapshot_on", "date not null"),
    ("window_start_on", "date not null"),
    ("scenario", "text not null"),
    ("seed", "bigint not null"),
    ("applications", "bigint not null"),
    ("target_bad_rate", "double precision not null"),
    ("generator_version", "text not null"),
]
ROWS_PER_COPY = 250_000

ProgressCallback = Callable[[str, int], None]


@dataclass
class LoadReport:
    schema: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def table_to_csv(table: pa.Table) -> bytes:
    """Arrow table → CSV bytes for COPY (empty unquoted fields are NULL)."""
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return sink.getvalue()


def _copy(
    cursor: object,
    schema: str,
    table: str,
    batches: Iterable[pa.Table],
    on_rows: ProgressCallback | None,
) -> int:
    rows = 0
    for batch in batches:
        for offset in range(0, batch.num_rows, ROWS_PER_COPY):
            part = batch.slice(offset, ROWS_PER_COPY)
            columns = ", ".join(part.column_names)
            with cursor.copy(  # type: ignore[attr-defined]
                f"copy {schema}.{table} ({columns}) from stdin with (format csv)"
            ) as copy:
                copy.write(table_to_csv(part))
            rows += part.num_rows
            if on_rows:
                on_rows(table, part.num_rows)
    return rows


def replace_schema(
    dsn: str,
    schema: str,
    batches: Mapping[str, Iterable[pa.Table]],
    on_rows: ProgressCallback | None = None,
) -> LoadReport:
    """Replace `schema` with the contract's tables and extract_metadata, filled from `batches`."""
    check_schema_name(schema, what="schema")
    started = time.perf_counter()
    report = LoadReport(schema=schema)
    side = f"{schema}__loading"
    with connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(f"drop schema if exists {side} cascade")
        cursor.execute(f"create schema {side}")
        for table in TABLES:
            cursor.execute(create_table_sql(side, table))
        columns = ", ".join(f"{name} {kind}" for name, kind in METADATA_COLUMNS)
        cursor.execute(f"create table {side}.{METADATA_TABLE} ({columns})")
        for table, tables in batches.items():
            t0 = time.perf_counter()
            report.rows[table] = _copy(cursor, side, table, tables, on_rows)
            report.seconds[table] = time.perf_counter() - t0
            log.info(
                "loaded %s.%s: %s rows in %.1f s",
                schema,
                table,
                f"{report.rows[table]:,}",
                report.seconds[table],
            )
        t0 = time.perf_counter()
        for statement in constraint_sql(side):
            cursor.execute(statement)
        cursor.execute(f"analyze {side}.{METADATA_TABLE}")
        log.info("keys, foreign keys and indexes in %.1f s", time.perf_counter() - t0)
        # dbt views that select from the old schema go with it; the next dbt build recreates them.
        cursor.execute(f"drop schema if exists {schema} cascade")
        cursor.execute(f"alter schema {side} rename to {schema}")
    report.total_seconds = time.perf_counter() - started
    log.info(
        "replaced schema %s: %s rows in %.1f s (%s rows/s)",
        schema,
        f"{report.total_rows:,}",
        report.total_seconds,
        f"{report.total_rows / max(report.total_seconds, 1e-9):,.0f}",
    )
    return report
