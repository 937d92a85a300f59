"""What the Models page reads: champion and challenger with metrics and gates, the promotion log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["VersionView", "model_versions", "promotion_history"]

SHOWN_METRICS = ("test_auc", "test_ks", "test_brier", "test_ece", "threshold")


@dataclass(frozen=True)
class VersionView:
    alias: str
    version: int
    run_id: str
    experiment_id: str
    candidate: str
    metrics: dict[str, float]
    gates: dict[str, str] = field(default_factory=dict)
    description: str = ""


def model_versions(model_name: str) -> list[VersionView]:
    """The champion and challenger (when there is one), with run metrics and gate tags."""
    from mlflow import MlflowClient

    from credit_risk.model_registry import CHALLENGER, CHAMPION, is_missing

    client = MlflowClient()
    views = []
    for alias in (CHAMPION, CHALLENGER):
        try:
            mv = client.get_model_version_by_alias(model_name, alias)
        except Exception as exc:  # no such alias, or no such model yet
            if is_missing(exc) or "alias" in str(exc).lower():
                continue
            raise
        run = client.get_run(mv.run_id) if mv.run_id else None
        metrics = dict(run.data.metrics) if run else {}
        views.append(
            VersionView(
                alias=alias,
                version=int(mv.version),
                run_id=mv.run_id or "",
                experiment_id=run.info.experiment_id if run else "",
                candidate=(run.data.tags.get("candidate", "") if run else ""),
                metrics={k: float(metrics[k]) for k in SHOWN_METRICS if k in metrics},
                gates={
                    k.removeprefix("gate."): v for k, v in mv.tags.items() if k.startswith("gate.")
                },
                description=mv.description or "",
            )
        )
    return views


def promotion_history(dsn: str, model_name: str, limit: int = 50) -> pd.DataFrame:
    """The latest promotion-log entries of the model, newest first."""
    from credit_risk.database import connect

    sql = """
        select decided_at, action, actor, reason, challenger_version,
            previous_champion_version, new_champion_version
        from governance.promotion_log
        where model_name = %s
        order by decided_at desc, id desc
        limit %s
    """
    with connect(dsn) as conn:
        if conn.execute("select to_regclass('governance.promotion_log')").fetchone() == (None,):
            return pd.DataFrame()
        cur = conn.execute(sql, (model_name, limit))
        columns = [d.name for d in cur.description or ()]
        rows: list[Any] = cur.fetchall()
    return pd.DataFrame(rows, columns=columns)
