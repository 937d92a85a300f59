"""What the Models page reads: champion and challenger with metrics and gates, the promotion log."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    from credit_risk.model_registry import CHALLENGER, CHAMPION, version_by_alias

    client = MlflowClient()
    views = []
    for alias in (CHAMPION, CHALLENGER):
        mv = version_by_alias(client, model_name, alias)
        if mv is None:
            continue
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
    from monitoring.frames import read_frame, relation_exists

    if not relation_exists(dsn, "governance.promotion_log"):
        return pd.DataFrame()
    return read_frame(
        dsn,
        """
        select decided_at, action, actor, reason, challenger_version,
            previous_champion_version, new_champion_version
        from governance.promotion_log
        where model_name = %(model)s
        order by decided_at desc, id desc
        limit %(limit)s
        """,
        {"model": model_name, "limit": limit},
    )
