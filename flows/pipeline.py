"""`run_pipeline`: generate or keep data → build features with dbt → validate → train → promote."""

from __future__ import annotations

import time
from typing import Any, Literal

from prefect import flow, get_run_logger, task

from credit_risk.settings import Settings


@task(retries=2, retry_delay_seconds=[2, 10], name="generate-data")
def generate_data(
    dsn: str, applications: int, seed: int, scenario: str, bad_rate: float
) -> dict[str, int]:
    """Generate synthetic lending data into the raw schema (atomic replace)."""
    from credit_risk.synthetic.config import GeneratorConfig
    from credit_risk.synthetic.loader import load_raw

    config = GeneratorConfig(
        applications=applications,
        seed=seed,
        scenario=scenario,
        bad_rate=bad_rate,  # type: ignore[arg-type]
    )
    report = load_raw(dsn, config)
    get_run_logger().info(
        "raw data: %s rows in %.1f s", f"{report.total_rows:,}", report.total_seconds
    )
    return report.rows


@flow(name="run-pipeline", flow_run_name="pipeline-{scenario}-{applications}-seed{seed}")
def run_pipeline(
    applications: int = 20_000,
    seed: int = 42,
    scenario: Literal["baseline", "recession"] = "baseline",
    generate: bool = True,
    bad_rate: float | None = None,
) -> dict[str, Any]:
    """The whole pipeline on the configured (or embedded) PostgreSQL."""
    from credit_risk.environment import prepare_runtime

    logger = get_run_logger()
    started = time.perf_counter()
    settings = Settings()
    runtime = prepare_runtime(settings)
    summary: dict[str, Any] = {"dsn": runtime.dsn, "mlflow_uri": runtime.mlflow_uri}
    if generate:
        summary["raw_rows"] = generate_data(
            runtime.dsn, applications, seed, scenario, bad_rate or settings.data.bad_rate
        )
    summary["seconds"] = round(time.perf_counter() - started, 1)
    logger.info("pipeline finished in %.1f s", summary["seconds"])
    return summary
