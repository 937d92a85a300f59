"""Generate a book and load it into PostgreSQL with COPY, replacing the raw schema atomically
(`credit_risk.raw_replace`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import pyarrow as pa

from credit_risk.raw_replace import (
    METADATA_TABLE,
    LoadReport,
    ProgressCallback,
    replace_schema,
    table_to_csv,
)
from credit_risk.schema_names import check_schema_name
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.generator import generate, metadata_table

__all__ = ["LoadReport", "load_raw", "table_to_csv"]

log = logging.getLogger(__name__)


def load_raw(
    dsn: str,
    config: GeneratorConfig,
    schema: str = "raw",
    on_rows: ProgressCallback | None = None,
) -> LoadReport:
    """Generate the data for `config` and replace `schema` with it in one transaction."""
    check_schema_name(schema, what="schema")
    started = time.perf_counter()
    data = generate(config)
    log.info(
        "generated %s in-memory tables in %.1f s", len(data.tables), time.perf_counter() - started
    )
    batches: dict[str, Iterable[pa.Table]] = {name: [t] for name, t in data.tables.items()}
    batches["repayments"] = data.repayments()
    batches[METADATA_TABLE] = [metadata_table(config)]
    report = replace_schema(dsn, schema, batches, on_rows)
    report.total_seconds = time.perf_counter() - started
    return report
