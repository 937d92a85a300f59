"""`check_model_drift`: drift of a model trained on a flat file, against its training table.

`credit-risk monitor --model NAME` runs it for a model served by its feature profile: the
model's logged decisions in a window (or a named table of new rows, `--table`) are compared with
the table it was trained from, feature by feature and on the score, with the same Evidently
reports, alerts, alerts-first page, monitoring tables, MLflow run and drift history as the
contract's model. Outcomes of new rows and a loan book are not known for such a model, so
quality and portfolio health are reported as unavailable.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from prefect import State, flow, get_run_logger
from pydantic import SecretStr

from credit_risk.database import flow_dsn
from credit_risk.settings import Settings
from flows.drift import conclude, no_data

__all__ = ["check_model_drift"]


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    target = params.get("table") or params.get("window") or params.get("since") or "default"
    return f"check-model-drift-{params.get('model_name')}-{target}"


@flow(name="check-model-drift", flow_run_name=_run_name)
def check_model_drift(
    model_name: str,
    table: str | None = None,
    window: str | None = None,
    since: str | None = None,
    until: str | None = None,
    dsn: SecretStr | None = None,
    sample_rows: int | None = None,
    fail_on_alert: bool | None = None,
) -> dict[str, Any] | State[Any]:
    """Compare the model's recent decisions (or a table of new rows) with its training table."""
    from credit_risk.environment import prepare_runtime
    from monitoring.alerts import evaluate_alerts
    from monitoring.alerts_page import PAGE
    from monitoring.current import NoCurrentDataError
    from monitoring.drift import measure_drift
    from monitoring.portfolio import PortfolioHealth
    from monitoring.profiled import (
        current_from_log,
        current_from_table,
        drift_columns,
        profiled_champion,
        reference_rows,
    )
    from monitoring.publish import run_folder
    from monitoring.quality import Quality
    from monitoring.run_report import Summary
    from monitoring.store import alert_since, ensure_tables
    from monitoring.window import select

    settings = Settings()
    m = settings.monitoring
    if table and (window or since or until):
        raise ValueError("--table names the rows to compare; leave out --window/--since/--until")
    selection = (
        None
        if table
        else select(
            window=window or (None if since or until else m.window), since=since, until=until
        )
    )
    logger = get_run_logger()
    database = flow_dsn(dsn) or prepare_runtime(settings).dsn
    rows = sample_rows or m.sample_rows
    started_at, started = datetime.now(UTC), time.perf_counter()
    champion = profiled_champion(model_name)
    try:
        if table:
            current = current_from_table(database, champion, table, rows)
        else:
            assert selection is not None
            current = current_from_log(database, champion, selection, rows)
    except NoCurrentDataError as exc:
        return no_data(exc)
    reference, reference_total = reference_rows(database, champion, rows)
    logger.info(
        "%s v%s: %d current rows (%s) against %d of %d rows of %s",
        model_name,
        champion.version,
        len(current.frame),
        current.description,
        len(reference),
        reference_total,
        champion.training_table,
    )
    folder = run_folder(
        settings.reports_dir, model_name, champion.version, f"{started_at:%Y%m%dT%H%M%SZ}"
    )
    drift = measure_drift(
        reference,
        current.frame,
        m,
        html_path=folder / "drift.html",
        columns=drift_columns(champion.profile),
    )
    quality = Quality(
        False,
        "outcomes of the new rows are not known to the platform for a model trained on a file",
        0,
        champion_auc=champion.test_metrics.get("test_auc"),
        champion_ks=champion.test_metrics.get("test_ks"),
    )
    health = PortfolioHealth(
        "", False, "a model trained on a file has no loan book in the platform's marts"
    )
    retrain = (
        "consider retraining on recent outcomes (credit-risk train --dataset FILE --name "
        f"{model_name}; the promotion gate decides)"
    )
    alerts = evaluate_alerts(drift, quality, health, m, retrain)
    ensure_tables(database)
    summary = Summary(
        started_at=started_at,
        finished_at=datetime.now(UTC),
        model_name=model_name,
        model_version=champion.version,
        current_kind="table" if table else "window",
        current_description=current.description,
        current_rows_in_window=current.rows_in_window,
        reference_source="training table",
        reference_window=f"{champion.training_table} ({reference_total:,} rows, the training data)",
        drift=drift,
        quality=quality,
        portfolio=health,
        alerts=alerts,
        report_path=folder / PAGE,
        alert_since=alert_since(database, model_name, [a.name for a in alerts]),
    )
    return conclude(database, summary, settings, folder, fail_on_alert, started)
