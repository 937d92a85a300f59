"""`run_pipeline`: data → validate raw → dbt build → validate features → train → promote."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from credit_risk.database import redacted
from credit_risk.settings import Settings
from flows.retry import TRANSIENT_RETRIES, explain_database_outage, retrying
from flows.train import train_model


@task(
    name="generate-data",
    **TRANSIENT_RETRIES,
)
def generate_data(
    dsn: str, applications: int, seed: int, scenario: str, bad_rate: float
) -> dict[str, int]:
    """Generate synthetic lending data into the raw schema (atomic replace)."""
    from credit_risk.synthetic.config import GeneratorConfig
    from credit_risk.synthetic.loader import load_raw

    config = GeneratorConfig(
        applications=applications,
        seed=seed,
        scenario=scenario,  # type: ignore[arg-type]
        bad_rate=bad_rate,
    )
    return load_raw(dsn, config).rows


@task(
    name="build-features",
    **TRANSIENT_RETRIES,
)
def build_features(dsn: str, target_path: Path) -> dict[str, Any]:
    """dbt build: staging, intermediate and marts with their tests."""
    from credit_risk.feature_build import build_features as dbt_build

    result = dbt_build(dsn, target_path=target_path)
    return {"invocation_id": result.invocation_id, "seconds": result.seconds, **result.counts}


@task(
    name="validate-data",
    **TRANSIENT_RETRIES,
)
def validate(
    dsn: str, reports_dir: Path, reference: dict[str, float] | None, tables: str = "all"
) -> dict[str, Any]:
    """Great Expectations on the raw tables and/or features; a failure stops the pipeline here."""
    from expectations.validate import raise_for_failures, validate_data

    summary = validate_data(dsn, reports_dir=reports_dir, reference=reference, tables=tables)  # type: ignore[arg-type]
    summary.write_json(reports_dir / "validation" / "latest.json")
    raise_for_failures(summary)
    return summary.to_dict()


STRESS_BATCH = "stress"


@task(
    name="stress-book",
    **TRANSIENT_RETRIES,
)
def stress_book(dsn: str, applications: int, seed: int, target_path: Path) -> str:
    """A recession book in its own batch schemas, for every candidate's stress test."""
    from credit_risk.feature_build import build_features as dbt_build
    from credit_risk.synthetic.config import GeneratorConfig
    from credit_risk.synthetic.loader import load_raw

    config = GeneratorConfig(applications=applications, seed=seed, scenario="recession")
    load_raw(dsn, config, schema=STRESS_BATCH)
    dbt_build(
        dsn,
        target_path=target_path,
        vars={"raw_schema": STRESS_BATCH, "schema_prefix": STRESS_BATCH},
    )
    return STRESS_BATCH


@task(name="reference-statistics", cache_policy=NO_CACHE)
def reference_statistics(
    dsn: str, model_name: str
) -> tuple[dict[str, float] | None, dict[str, float]]:
    """The champion's reference (to validate against) and this batch's (to keep if it wins)."""
    from expectations.batch_reference import compute_reference
    from training.registry.reference_stats import champion_reference

    return champion_reference(model_name), compute_reference(dsn)


@flow(name="run-pipeline", flow_run_name="pipeline-{scenario}-{applications}-seed{seed}")
def run_pipeline(
    applications: int = 20_000,
    seed: int = 42,
    scenario: Literal["baseline", "recession"] = "baseline",
    generate: bool = True,
    train: bool = True,
    bad_rate: float | None = None,
    candidates: list[str] | None = None,
) -> dict[str, Any]:
    """The whole pipeline on the configured (or embedded) PostgreSQL."""
    from credit_risk.environment import prepare_runtime

    logger = get_run_logger()
    started = time.perf_counter()
    settings = Settings()
    runtime = prepare_runtime(settings)
    summary: dict[str, Any] = {"dsn": redacted(runtime.dsn), "mlflow_uri": runtime.mlflow_uri}
    delays = settings.runner.retry_delays
    kept = "the raw schema is swapped in whole, so earlier data is intact; rerun the pipeline"
    with explain_database_outage(runtime.dsn, len(delays), kept):
        if generate:
            summary["raw_rows"] = retrying(generate_data, delays)(
                runtime.dsn, applications, seed, scenario, bad_rate or settings.data.bad_rate
            )
        # Raw data is validated before dbt builds on it, features before anything trains on them.
        retrying(validate.with_options(name="validate-raw"), delays)(
            runtime.dsn, settings.reports_dir, None, "raw"
        )
        summary["dbt"] = retrying(build_features, delays)(
            runtime.dsn, settings.state_dir / "dbt-target"
        )
        champion_reference, batch_reference = reference_statistics(
            runtime.dsn, settings.mlflow.registered_model
        )
        validation = retrying(validate, delays)(
            runtime.dsn, settings.reports_dir, champion_reference
        )
    summary["validation"] = {
        "success": validation["success"],
        "evaluated": validation["evaluated"],
        "data_docs": validation["data_docs_index"],
    }
    if train and settings.training.stress_applications:
        with explain_database_outage(runtime.dsn, len(delays), kept):
            stress = retrying(stress_book, delays)(
                runtime.dsn,
                settings.training.stress_applications,
                seed + 1,
                settings.state_dir / "dbt-target-stress",
            )
    else:
        stress = None
    if train:
        lineage = {
            "dbt_invocation_id": str(summary["dbt"].get("invocation_id")),
            "gx_success": str(validation["success"]),
            "gx_evaluated": str(validation["evaluated"]),
            "data_scenario": scenario,
            "data_seed": str(seed),
        }
        summary["training"] = train_model(
            SecretStr(runtime.dsn),
            lineage=lineage,
            reference=batch_reference,
            candidates=candidates,
            validation_summary=str(settings.reports_dir / "validation" / "latest.json"),
            stress_batch=stress,
        )
    summary["seconds"] = round(time.perf_counter() - started, 1)
    logger.info("pipeline finished in %.1f s", summary["seconds"])
    if "training" in summary:
        from credit_risk.tracking import run_link

        summary["training"]["run_link"] = run_link(
            runtime.mlflow_uri, summary["training"]["parent_run_id"]
        )
    create_markdown_artifact(key="pipeline-summary", markdown=_markdown(summary))
    return summary


def _markdown(summary: dict[str, Any]) -> str:
    lines = ["# Pipeline run", "", f"Finished in {summary['seconds']} s.", ""]
    if "raw_rows" in summary:
        lines.append(f"- Raw rows: {sum(summary['raw_rows'].values()):,}")
    lines.append(f"- dbt invocation: `{summary['dbt'].get('invocation_id')}`")
    validation = summary["validation"]
    lines.append(
        f"- Validation: {validation['evaluated']} expectations passed; "
        f"Data Docs `{validation['data_docs']}`"
    )
    training = summary.get("training")
    if not training:
        return "\n".join(lines)
    lines += [
        f"- Best candidate **{training['best_candidate']}** "
        f"(test AUC {training['metrics'].get('test_auc', float('nan')):.3f}), "
        f"`{training['model_name']}` v{training['challenger_version']}: {training['decision']}",
        f"- MLflow: {training['run_link']}",
        "",
        "| Candidate | AUC | KS | Gini | PR-AUC | Brier | ECE |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    columns = ("test_auc", "test_ks", "test_gini", "test_pr_auc", "test_brier", "test_ece")
    for name, metrics in sorted(
        training["candidate_metrics"].items(), key=lambda kv: -kv[1].get("test_auc", 0.0)
    ):
        values = " | ".join(f"{metrics.get(c, float('nan')):.3f}" for c in columns)
        best = " (best)" if name == training["best_candidate"] else ""
        lines.append(f"| {name}{best} | {values} |")
    return "\n".join(lines)
