"""Gated promotion: score challenger and champion on one test set, let the gate decide, record it.

The decision itself is `training.registry.gate`; this module gathers its inputs, writes the
outcome to `governance.promotion_log` after moving the `champion` alias, both under the model's
promotion lock (promotion_log.serialised).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from credit_risk.model_registry import CHAMPION, DEFAULT_MODEL, champion_version
from training.registry import promotion_log
from training.registry.gate import PromotionDecision, decide_promotion
from training.registry.version_metrics import evaluate_on, recorded_threshold
from training.registry.versions import get_version, sync_previous_alias, tag_decision

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

__all__ = ["promote_if_better"]

log = logging.getLogger(__name__)


def _defaults(**given: float | None) -> dict[str, float]:
    from credit_risk.settings import TrainingSettings

    training = TrainingSettings()
    fallback = {
        "auc_margin": training.promotion_auc_margin,
        "calibration_tolerance": training.calibration_tolerance,
        "fairness_tolerance": training.fairness_tolerance,
    }
    return {k: fallback[k] if v is None else float(v) for k, v in given.items()}


def _protected_columns() -> list[str]:
    from credit_risk.contract import protected_features

    return [f.name for f in protected_features()]


def promote_if_better(
    challenger_version: int | str,
    *,
    test_frame: pd.DataFrame,
    target: str,
    feature_columns: Sequence[str],
    dsn: str,
    model_name: str = DEFAULT_MODEL,
    auc_margin: float | None = None,
    calibration_tolerance: float | None = None,
    fairness_tolerance: float | None = None,
    protected_columns: Sequence[str] | None = None,
    actor: str = "pipeline",
) -> PromotionDecision:
    """Score challenger and champion on the same test set, decide, and move `champion` if it wins.

    Tolerances left as None come from `TrainingSettings`. The decision is always logged and tagged.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    challenger = get_version(client, model_name, challenger_version)
    missing = [c for c in [target, *feature_columns] if c not in test_frame.columns]
    if missing:
        raise ValueError(f"test_frame: missing columns {', '.join(missing)}")
    protected = [c for c in (protected_columns or _protected_columns()) if c in test_frame.columns]
    X, y, groups = test_frame[list(feature_columns)], test_frame[target], test_frame[protected]

    def evaluate(version: ModelVersion) -> dict[str, float]:
        uri = f"models:/{model_name}/{version.version}"
        return evaluate_on(uri, X, y, recorded_threshold(client, version), groups)

    challenger_metrics = evaluate(challenger)
    # Read the champion, decide, move the alias and log under the model's lock: a promotion
    # running meanwhile cannot start from the same champion.
    with promotion_log.serialised(dsn, model_name) as conn:
        champion = champion_version(client, model_name)
        if champion is not None and champion.version == challenger.version:
            raise ValueError(
                f"version {challenger.version} is already the champion of {model_name}"
            )
        champion_metrics = None if champion is None else evaluate(champion)
        decision = decide_promotion(
            challenger_metrics,
            champion_metrics,
            fairness_metrics={c.replace("_", " "): f"test_di_{c}_min_ratio" for c in protected},
            **_defaults(
                auc_margin=auc_margin,
                calibration_tolerance=calibration_tolerance,
                fairness_tolerance=fairness_tolerance,
            ),
        )
        old = None if champion is None else int(champion.version)
        new = int(challenger.version) if decision.promote else old
        if decision.promote:  # the log row follows the alias move, in the lock's transaction
            client.set_registered_model_alias(model_name, CHAMPION, challenger.version)
        promotion_log.insert(
            conn,
            model_name=model_name,
            action=decision.action,
            actor=actor,
            reason=decision.summary,
            challenger_version=challenger.version,
            previous_champion_version=old,
            new_champion_version=new,
            challenger_metrics=challenger_metrics,
            champion_metrics=champion_metrics,
        )
    if decision.promote:
        sync_previous_alias(client, model_name, dsn)
    tag_decision(
        client,
        model_name,
        challenger.version,
        action=decision.action,
        reason=decision.summary,
        actor=actor,
        promoted=decision.promote,
    )
    log.info("%s version %s: %s", decision.action, challenger.version, decision.summary)
    return decision
