"""Run the expectation suites against PostgreSQL and write Data Docs; GX is imported lazily."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credit_risk.database import connect, sqlalchemy_url
from expectations.describe import describe, missing_columns
from expectations.suites import DEFAULT_MEAN_BAND, Selection, SuiteTarget, build_suite_for, targets
from expectations.validation_report import (
    DataValidationError,
    ExpectationFailure,
    SuiteResult,
    ValidationSummary,
    raise_for_failures,
)

if TYPE_CHECKING:
    from great_expectations.data_context.data_context.abstract_data_context import (
        AbstractDataContext,
    )

__all__ = [
    "DataValidationError",
    "ExpectationFailure",
    "SuiteResult",
    "ValidationSummary",
    "raise_for_failures",
    "validate_data",
]

log = logging.getLogger(__name__)

DOCS_SITE = "local_site"
# Each datasource stores "${...}" and GX substitutes it in memory, so no connection string is
# ever written out in plain text.
URL_VARIABLE = "credit_risk_gx_{schema}_url"


def validate_data(
    dsn: str,
    *,
    reports_dir: Path,
    reference: Mapping[str, float] | None = None,
    tables: Selection = "all",
    mean_band: float = DEFAULT_MEAN_BAND,
) -> ValidationSummary:
    """Validate the raw tables and/or the feature mart; Data Docs go to reports_dir/data_docs."""
    started = time.perf_counter()
    chosen = targets(tables)
    present = existing_tables(dsn, [t.name for t in chosen])
    missing = [t for t in chosen if t.name not in present]
    summary = ValidationSummary(success=True)
    for target in missing:
        summary.results.append(SuiteResult(target.name, target.name, False, 1, 0))
        summary.failures.append(
            ExpectationFailure(
                suite=target.name,
                table=target.name,
                expectation="table_exists",
                column=None,
                observed="table does not exist",
                expected="the table to be built before validation",
            )
        )
    runnable = [t for t in chosen if t.name in present]
    if runnable:
        docs_dir = reports_dir / "data_docs"
        schemas = sorted({t.schema for t in runnable})
        context = _context(docs_dir, {s: schema_url(dsn, s) for s in schemas})
        run_results = _run(context, runnable, reference, mean_band)
        for target in runnable:
            _collect(summary, target, run_results[target.name])
        index = docs_dir / "index.html"
        summary.data_docs_index = index if index.exists() else None
    order = {t.name: i for i, t in enumerate(chosen)}
    summary.results.sort(key=lambda r: order[r.suite])
    summary.failures.sort(key=lambda f: order[f.suite])
    summary.success = not summary.failures
    summary.seconds = time.perf_counter() - started
    log.info(
        "validated %d suite(s), %d expectations, %d failed, in %.1f s",
        len(summary.results),
        summary.evaluated,
        len(summary.failures),
        summary.seconds,
    )
    return summary


def existing_tables(dsn: str, names: list[str]) -> set[str]:
    """Which of the schema-qualified table names exist (fails clearly if the DB is down)."""
    with connect(dsn) as conn:
        rows = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema || '.' || table_name = any(%s)",
            (names,),
        ).fetchall()
    return {row[0] for row in rows}


def schema_url(dsn: str, schema: str) -> str:
    """SQLAlchemy URL whose search_path is `schema` (GX wants the schema in the connection)."""
    url = sqlalchemy_url(dsn, driver="psycopg2")
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _context(docs_dir: Path, urls: Mapping[str, str]) -> AbstractDataContext:
    """An in-memory context whose only file output is the Data Docs site."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    gx_log = logging.getLogger("great_expectations")
    if gx_log.level == logging.NOTSET:
        # GX logs every batch and substitution at INFO; keep a run's log readable.
        gx_log.setLevel(logging.WARNING)
    docs_dir.mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={
            DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    return gx.get_context(
        mode="ephemeral",
        project_config=config,
        runtime_environment={URL_VARIABLE.format(schema=s): url for s, url in urls.items()},
    )


def _run(
    context: AbstractDataContext,
    runnable: list[SuiteTarget],
    reference: Mapping[str, float] | None,
    mean_band: float,
) -> dict[str, dict[str, Any]]:
    """One validation definition per suite, all run by one checkpoint; Data Docs built once."""
    import great_expectations as gx

    datasources = {
        schema: context.data_sources.add_postgres(
            name=f"credit_risk_{schema}",
            connection_string="${" + URL_VARIABLE.format(schema=schema) + "}",
        )
        for schema in sorted({t.schema for t in runnable})
    }
    definitions = []
    for target in runnable:
        asset = datasources[target.schema].add_table_asset(
            name=target.name, table_name=target.table
        )
        suite = context.suites.add(build_suite_for(target, reference, mean_band))
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=target.name,
                    data=asset.add_batch_definition_whole_table("whole_table"),
                    suite=suite,
                )
            )
        )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="credit_risk_data",
            validation_definitions=definitions,
            result_format={"result_format": "SUMMARY"},
        )
    )
    try:
        result = checkpoint.run()
    finally:
        for datasource in datasources.values():
            datasource.get_engine().dispose()
    # UpdateDataDocsAction rebuilds the whole site once per suite; one build after the run is
    # the same site for a fraction of the time.
    context.build_data_docs(site_names=[DOCS_SITE])
    results = result.run_results.values()
    return {r.suite_name: r.to_json_dict() for r in results}


def _collect(summary: ValidationSummary, target: SuiteTarget, result: dict[str, Any]) -> None:
    stats = result.get("statistics") or {}
    summary.results.append(
        SuiteResult(
            suite=target.name,
            table=target.name,
            success=bool(result.get("success")),
            evaluated=int(stats.get("evaluated_expectations") or 0),
            succeeded=int(stats.get("successful_expectations") or 0),
        )
    )
    failed = [r for r in result.get("results") or [] if not r.get("success")]
    absent = {c for r in failed for c in missing_columns(r)}
    for item in failed:
        column, observed, expected = describe(item)
        if column in absent and observed.startswith("could not be evaluated"):
            observed = "column is missing, so this was not evaluated"
        summary.failures.append(
            ExpectationFailure(
                suite=target.name,
                table=target.name,
                expectation=str(item["expectation_config"]["type"]),
                column=column,
                observed=observed,
                expected=expected,
            )
        )
