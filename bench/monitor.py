"""Monitoring time (the check_drift flow) for 100k and 1M current rows in serving.scoring_log.

Target: under 60 s at 1M rows on 2 cores, with sampling (settings.monitoring.sample_rows).
A 20k-application book trains a logistic-regression champion; the scoring log is then filled
with N rows resampled from the book's feature rows (each application repeated, scored within
the last 7 days), rather than generating N applications through dbt. Each size is timed once
after a warm-up run that stores the champion's reference, as in steady state.
Sizes can be overridden: python bench/monitor.py 100000
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import scratch_database, write_results

from credit_risk.database import connect, ensure_database, sqlalchemy_url, with_database

TARGET_SECONDS_AT_1M = 60
BOOK_APPLICATIONS = 20_000
FILL_SQL = """
insert into serving.scoring_log (scored_at, application_id, model_name, model_version,
    probability, credit_score, risk_band, decision, threshold, reasons, features, request_source)
select now() - random() * interval '7 days', f.application_id::text, %(model)s, %(version)s,
       0.1, 650, 'low', 'approve', 0.1, '[]'::jsonb,
       to_jsonb(f) - 'application_id' - 'customer_id' - 'applied_on', 'score'
from generate_series(1, %(repeats)s) as g
cross join marts.application_features as f
limit %(rows)s
"""


def _book(dsn: str, work: Path) -> tuple[str, int]:
    """Generate, build and train a champion; returns (model name, version)."""
    from _common import promoted_champion

    from credit_risk.feature_build import build_features
    from credit_risk.labelled_features import load_training_frame
    from credit_risk.synthetic.config import GeneratorConfig
    from credit_risk.synthetic.loader import load_raw

    load_raw(dsn, GeneratorConfig(applications=BOOK_APPLICATIONS, seed=1))
    build_features(dsn, target_path=work / "dbt-target")
    name = os.environ["CREDIT_MLFLOW__REGISTERED_MODEL"]
    version = promoted_champion(
        dsn,
        load_training_frame(dsn),
        experiment=os.environ["CREDIT_MLFLOW__EXPERIMENT"],
        model_name=name,
        candidates=["logistic_regression"],
        artifact_root=work / "artifacts",
        folds=2,
    )
    return name, version


def _fill(dsn: str, rows: int, model: str, version: int) -> float:
    from serving.decision_log import ensure_table

    ensure_table(dsn)
    started = time.perf_counter()
    with connect(dsn) as conn:
        conn.execute("truncate serving.scoring_log")
        count = conn.execute("select count(*) from marts.application_features").fetchone()
        assert count is not None
        repeats = -(-rows // int(count[0]))
        conn.execute(
            FILL_SQL, {"model": model, "version": version, "repeats": repeats, "rows": rows}
        )
    with connect(dsn, autocommit=True) as conn:
        conn.execute("vacuum analyze serving.scoring_log")
    return time.perf_counter() - started


def _check(dsn: str, model: str) -> tuple[float, dict[str, Any]]:
    from flows.drift import check_drift

    started = time.perf_counter()
    result = check_drift(window="8d", dsn=dsn, model_name=model, fail_on_alert=False)
    return time.perf_counter() - started, result


def main(sizes: list[int]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("mlflow", "alembic", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from prefect.testing.utilities import prefect_test_harness

    from credit_risk.settings import MonitoringSettings

    figures: dict[str, Any] = {
        "book_applications": BOOK_APPLICATIONS,
        "sample_rows": MonitoringSettings().sample_rows,
        "current_rows_source": "book feature rows repeated into serving.scoring_log",
    }
    with (
        scratch_database("bench_monitor") as dsn,
        tempfile.TemporaryDirectory() as tmp,
        prefect_test_harness(server_startup_timeout=300),
    ):
        work = Path(tmp)
        store = with_database(dsn, "bench_monitor_mlflow")
        ensure_database(store)
        os.environ.update(
            {
                "CREDIT_DATABASE__DSN": dsn,
                "CREDIT_MLFLOW__TRACKING_URI": sqlalchemy_url(store, driver="psycopg2"),
                "MLFLOW_TRACKING_URI": sqlalchemy_url(store, driver="psycopg2"),
                "CREDIT_MLFLOW__EXPERIMENT": f"bench-monitor-{uuid.uuid4().hex[:6]}",
                "CREDIT_MLFLOW__REGISTERED_MODEL": "credit-risk-bench-monitor",
                "CREDIT_MLFLOW__ARTIFACT_LOCATION": str(work / "artifacts"),
                "CREDIT_PATHS__STATE_DIR": str(work / "state"),
                "CREDIT_PATHS__REPORTS_DIR": str(work / "reports"),
            }
        )
        model, version = _book(dsn, work)
        _fill(dsn, 10_000, model, version)
        warm_seconds, _ = _check(dsn, model)
        figures["warm_up_seconds"] = round(warm_seconds, 1)
        for rows in sizes:
            fill_seconds = _fill(dsn, rows, model, version)
            seconds, result = _check(dsn, model)
            figures[str(rows)] = {
                "check_drift_seconds": round(seconds, 1),
                "evidently_seconds": result["evidently_seconds"],
                "rows_in_window": result["current"]["rows_in_window"],
                "rows_compared": result["current"]["rows_compared"],
                "reference_rows": result["reference"]["rows"],
                "fill_seconds_not_timed": round(fill_seconds, 1),
            }
    if "1000000" in figures:
        figures["target_1m_seconds"] = TARGET_SECONDS_AT_1M
        figures["meets_target"] = figures["1000000"]["check_drift_seconds"] < TARGET_SECONDS_AT_1M
    write_results("monitor", figures)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
