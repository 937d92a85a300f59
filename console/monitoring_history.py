"""What the Monitoring page reads: the latest run's alerts and every run's headline numbers."""

from __future__ import annotations

from typing import Any

import pandas as pd

from monitoring.frames import read_frame, relation_exists

__all__ = ["latest_alerts", "run_history"]


def _frame(dsn: str, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    if not relation_exists(dsn, "monitoring.monitoring_runs"):
        return pd.DataFrame()
    return read_frame(dsn, sql, params)


def run_history(dsn: str, model_name: str, limit: int = 200) -> pd.DataFrame:
    """The model's monitoring runs, newest first: status, score PSI, drift share, AUC, NPA."""
    return _frame(
        dsn,
        """
        select id, started_at, model_version, current_description, status, alert_count,
            score_psi, drifted_share, auc, ks, npa_ratio, default_rate, report_path,
            mlflow_run_id
        from monitoring.monitoring_runs
        where model_name = %(model)s
        order by started_at desc
        limit %(limit)s
        """,
        {"model": model_name, "limit": limit},
    )


def latest_alerts(dsn: str, model_name: str) -> pd.DataFrame:
    """The alerts of the model's latest run: kind, subject, value, limit and what to do."""
    return _frame(
        dsn,
        """
        select a.kind, a.subject, a.value, a.threshold, a.message, a.raised_at
        from monitoring.alerts as a
        where a.run_id = (
            select id from monitoring.monitoring_runs
            where model_name = %(model)s order by started_at desc limit 1
        )
        order by a.id
        """,
        {"model": model_name},
    )
