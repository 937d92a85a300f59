"""`check_drift` and `retrain_on_drift`: drift, quality and portfolio health against the champion.

Every parameter is optional; what is not given comes from settings.monitoring, so a cron
deployment of either flow needs none.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

# State is imported at run time although only annotations name it: Prefect evaluates a flow's
# annotations (return type included) to build its parameter schema, and one it cannot resolve
# makes the whole schema fall back to unevaluated strings.
from prefect import State, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed
from pydantic import SecretStr

from credit_risk.database import flow_dsn
from credit_risk.settings import Settings
from flows.retry import TRANSIENT_RETRIES

if TYPE_CHECKING:
    # Types only: the monitoring modules load pandas, Evidently and MLflow, which the tasks and
    # the flows import when they run.
    from pathlib import Path

    from monitoring.current import Current
    from monitoring.drift import DriftResult
    from monitoring.portfolio import PortfolioHealth
    from monitoring.quality import Quality
    from monitoring.run_report import Summary
    from monitoring.training_window import ChampionInfo, Reference, Scorer
    from monitoring.window import Selection


class DriftAlertError(RuntimeError):
    """Thresholds were breached; the message lists each alert and what to do."""


@task(name="resolve-champion", **TRANSIENT_RETRIES)
def resolve_champion(model_name: str) -> ChampionInfo:
    """The champion version, its training window and test metrics."""
    from monitoring.training_window import champion_info

    return champion_info(model_name)


@task(name="build-batch-features", **TRANSIENT_RETRIES)
def build_batch_features(dsn: str, batch: str, target_path: Path, rebuild: bool) -> float | None:
    """dbt build of the named batch into <batch>_marts, unless it is built and current."""
    from monitoring.current import batch_is_built, build_batch

    if batch_is_built(dsn, batch) and not rebuild:
        return None
    return build_batch(dsn, batch, target_path)


@task(name="load-champion-model", **TRANSIENT_RETRIES)
def load_champion_model(champion: ChampionInfo) -> Scorer:
    """The champion's scoring function, loaded once for both sides."""
    from monitoring.training_window import load_scorer

    return load_scorer(champion)


@task(name="load-reference", **TRANSIENT_RETRIES)
def load_reference_rows(
    dsn: str, champion: ChampionInfo, scorer: Scorer, sample_rows: int
) -> Reference:
    """The champion's training window, scored: stored on its run, or rebuilt and stored."""
    from monitoring.training_window import load_reference

    return load_reference(dsn, champion, sample_rows=sample_rows, scorer=scorer)


@task(name="load-current", **TRANSIENT_RETRIES)
def load_current_rows(
    dsn: str, selection: Selection, champion: ChampionInfo, scorer: Scorer, sample_rows: int
) -> Current:
    """The current window or batch, sampled and scored by the champion."""
    from monitoring.current import load_current

    window = (champion.train_start, champion.train_end)
    current = load_current(
        dsn,
        selection,
        sample_rows=sample_rows,
        default_window=window,
        model_name=champion.model_name,
    )
    current.frame["probability"] = scorer(current.frame)
    return current


@task(name="measure-drift", cache_policy=NO_CACHE)
def measure(
    reference: Reference, current: Current, settings: Settings, folder: Path
) -> DriftResult:
    """Evidently: feature drift, score PSI, missing values and unseen categories."""
    from monitoring.drift import measure_drift

    return measure_drift(
        reference.frame, current.frame, settings.monitoring, html_path=folder / "drift.html"
    )


@task(name="measure-quality", cache_policy=NO_CACHE)
def quality(current: Current, champion: ChampionInfo, settings: Settings, folder: Path) -> Quality:
    """AUC, KS and bad rate by vintage where labels are mature."""
    from monitoring.quality import measure_quality

    return measure_quality(
        current.frame,
        champion.test_metrics,
        min_rows=settings.monitoring.min_labelled_rows,
        html_path=folder / "quality.html",
    )


@task(name="portfolio-health", **TRANSIENT_RETRIES)
def portfolio(dsn: str, schema: str) -> PortfolioHealth:
    """NPA ratio, default rate and early warnings from the portfolio marts."""
    from monitoring.portfolio import portfolio_health

    return portfolio_health(dsn, schema)


@task(name="record-run", **TRANSIENT_RETRIES)
def record(dsn: str, summary: Summary, settings: Settings, folder: Path) -> int:
    """JSON summary, the alerts-first page, MLflow run tagged on the version, and the
    monitoring_runs row."""
    from monitoring.alerts_page import write_alerts_page
    from monitoring.publish import log_to_mlflow, write_summary
    from monitoring.store import save_run

    summary.summary_path = write_summary(summary, folder)
    write_alerts_page(summary, folder)
    summary.mlflow_run_id = log_to_mlflow(
        summary, settings.mlflow.experiment, settings.artifact_dir, folder
    )
    run_id = save_run(dsn, summary)
    write_summary(summary, folder)
    _add_to_history(summary, settings, folder)
    return run_id


def _add_to_history(summary: Summary, settings: Settings, folder: Path) -> None:
    """The run's snapshots into the Evidently workspace; the run is recorded whatever happens."""
    from monitoring.evidently_history import WORKSPACE_FOLDER, add_run_snapshots

    try:
        add_run_snapshots(
            settings.state_dir / WORKSPACE_FOLDER, summary.model_name, folder, folder.name
        )
    except Exception:
        logging.getLogger(__name__).exception(
            "could not add the run to the Evidently workspace; its reports are in %s", folder
        )


@task(name="notify-webhook", cache_policy=NO_CACHE)
def notify(summary: Summary, url: str, timeout: float) -> dict[str, Any]:
    """POST the alerts to the configured webhook."""
    from monitoring.alerts import post_webhook

    payload = {
        "status": summary.status,
        "headline": summary.headline(),
        "model": {"name": summary.model_name, "version": summary.model_version},
        "current": summary.current_description,
        "alerts": [a.to_dict() for a in summary.alerts],
        "report_path": None if summary.report_path is None else str(summary.report_path),
        "mlflow_run_id": summary.mlflow_run_id,
    }
    return post_webhook(url, payload, timeout)


def _checked_target() -> str:
    """What a run checks, for its name: the batch, the window, or the default window."""
    from prefect.runtime import flow_run

    params = flow_run.parameters
    return str(params.get("batch") or params.get("window") or params.get("since") or "default")


def _check_run_name() -> str:
    return f"check-drift-{_checked_target()}"


def _retrain_run_name() -> str:
    return f"retrain-on-drift-{_checked_target()}"


@flow(name="check-drift", flow_run_name=_check_run_name)
def check_drift(
    window: str | None = None,
    since: str | None = None,
    until: str | None = None,
    batch: str | None = None,
    dsn: SecretStr | None = None,
    model_name: str | None = None,
    sample_rows: int | None = None,
    fail_on_alert: bool | None = None,
    rebuild_batch: bool = False,
) -> dict[str, Any] | State[Any]:
    """Compare a scoring_log window (or a named batch) with the champion's training window."""
    from credit_risk.environment import prepare_runtime
    from monitoring.alerts import evaluate_alerts
    from monitoring.alerts_page import PAGE
    from monitoring.current import NoCurrentDataError
    from monitoring.publish import run_folder
    from monitoring.run_report import Summary
    from monitoring.store import alert_since, ensure_tables
    from monitoring.window import select

    settings = Settings()
    m = settings.monitoring
    if not (window or since or until or batch):
        window = m.window
    # Refused before the database or the champion is touched; the error names the parameter.
    selection = select(window=window, since=since, until=until, batch=batch)
    logger = get_run_logger()
    database = flow_dsn(dsn) or prepare_runtime(settings).dsn
    name = model_name or settings.mlflow.registered_model
    rows = sample_rows or m.sample_rows
    started_at, started = datetime.now(UTC), time.perf_counter()

    champion = resolve_champion(name)
    scorer = load_champion_model(champion)
    try:
        if selection.batch:
            built = build_batch_features(
                database, selection.batch, settings.state_dir / "dbt-target", rebuild_batch
            )
            logger.info("batch %s: %s", selection.batch, "built" if built else "features current")
        current = load_current_rows(database, selection, champion, scorer, rows)
    except NoCurrentDataError as exc:
        return no_data(exc)
    reference = load_reference_rows(database, champion, scorer, rows)
    folder = run_folder(
        settings.reports_dir, name, champion.version, f"{started_at:%Y%m%dT%H%M%SZ}"
    )
    drift = measure(reference, current, settings, folder)
    measured = quality(current, champion, settings, folder)
    health = portfolio(database, f"{selection.batch}_marts" if selection.batch else "marts")
    alerts = evaluate_alerts(drift, measured, health, m)
    ensure_tables(database)
    summary = Summary(
        started_at=started_at,
        finished_at=datetime.now(UTC),
        model_name=name,
        model_version=champion.version,
        current_kind=selection.kind,
        current_description=current.description,
        current_rows_in_window=current.rows_in_window,
        reference_source=reference.source,
        reference_window=f"{champion.train_start} to {champion.train_end} (training window)",
        reference_note=reference.note,
        drift=drift,
        quality=measured,
        portfolio=health,
        alerts=alerts,
        report_path=folder / PAGE,
        alert_since=alert_since(database, name, [a.name for a in alerts]),
    )
    return conclude(database, summary, settings, folder, fail_on_alert, started)


def no_data(exc: Exception) -> State[Any]:
    """Nothing to compare is an answer, not a failure: a quiet night must not page anyone."""
    get_run_logger().warning("nothing to check: %s", exc)
    return Completed(
        message=str(exc)[:500], name="No data", data={"status": "no_data", "message": str(exc)}
    )


def conclude(
    database: str,
    summary: Summary,
    settings: Settings,
    folder: Path,
    fail_on_alert: bool | None,
    started: float,
) -> dict[str, Any] | State[Any]:
    """Notify, record and publish a run; its summary, or an Alerting state, or a failure."""
    m = settings.monitoring
    if summary.alerts and m.webhook_url:
        summary.webhook = notify(summary, m.webhook_url, m.webhook_timeout_seconds)
    record(database, summary, settings, folder)
    publish_summary(summary)
    logger = get_run_logger()
    logger.info("%s (%.1f s)", summary.headline(), time.perf_counter() - started)
    result = summary.to_dict()
    if not summary.alerts:
        return result
    message = "\n".join(
        [
            summary.headline(),
            *[f"- {a.message}" for a in summary.alerts],
            f"Report: {summary.report_path}",
        ]
    )
    if m.fail_on_alert if fail_on_alert is None else fail_on_alert:
        raise DriftAlertError(message)
    logger.warning(message)
    return Completed(message=summary.headline()[:500], name="Alerting", data=result)


@flow(name="retrain-on-drift", flow_run_name=_retrain_run_name)
def retrain_on_drift(
    window: str | None = None,
    since: str | None = None,
    until: str | None = None,
    batch: str | None = None,
    model_name: str | None = None,
    retrain: bool | None = None,
    candidates: list[str] | None = None,
    rebuild_features: bool = True,
) -> dict[str, Any]:
    """check_drift, then train a challenger if drift alerts fired; the promotion gate decides.

    With `rebuild_features` (the default) training goes through run_pipeline without generating
    data: the raw schema is validated and rebuilt by dbt first, so new applications count;
    without it, train_model trains on the feature mart as it is.
    """
    from credit_risk.environment import prepare_runtime
    from credit_risk.schema_names import check_batch_name

    if batch is not None:
        check_batch_name(batch, what="batch")  # before the database is started or touched
    logger = get_run_logger()
    settings = Settings()
    dsn = prepare_runtime(settings).dsn
    # check_drift returns either its summary or a Completed state carrying one; a flow that
    # returns a state gives its caller that state's data, so the call's value is the summary.
    result = cast(
        "dict[str, Any]",
        check_drift(
            window=window,
            since=since,
            until=until,
            batch=batch,
            dsn=SecretStr(dsn),
            model_name=model_name,
            fail_on_alert=False,
        ),
    )
    drift_alerts = [a["name"] for a in result.get("alerts", []) if a["is_drift"]]
    enabled = settings.monitoring.retrain_on_drift if retrain is None else retrain
    if not drift_alerts:
        logger.info("no drift alerts; the champion stays without retraining")
        return {**result, "retraining": None}
    if not enabled:
        logger.warning(
            "drift alerts %s fired, but retraining is off (CREDIT_MONITORING__RETRAIN_ON_DRIFT)",
            ", ".join(drift_alerts),
        )
        return {**result, "retraining": {"decision": "not started: retraining is off"}}
    logger.info("drift alerts %s fired: training a challenger", ", ".join(drift_alerts))
    if rebuild_features:
        from flows.pipeline import run_pipeline

        pipeline = run_pipeline(generate=False, candidates=candidates)
        return {**result, "retraining": pipeline.get("training")}
    from flows.train import train_model

    lineage = {"trigger": "drift", "trigger_alerts": ",".join(drift_alerts)[:4900]}
    trained = train_model(SecretStr(dsn), lineage=lineage, candidates=candidates)
    return {**result, "retraining": trained}


def publish_summary(summary: Summary) -> None:
    """Prefect artifacts: the on-call Markdown and a table of per-feature drift."""
    create_markdown_artifact(
        key="monitoring-summary", markdown=summary.markdown(), description=summary.headline()
    )
    rows = [
        {
            "feature": f.feature,
            "method": f.method,
            "value": round(f.value, 4),
            "band": f.band,
            "drifted": f.drifted,
            "mean_shift": None if f.mean_shift is None else round(f.mean_shift, 4),
            "missing_current": round(f.current_missing_share, 4),
        }
        for f in summary.drift.features
    ]
    create_table_artifact(
        key="monitoring-feature-drift", table=rows, description="Per-feature drift vs reference"
    )
