"""Gated promotion: score challenger and champion on one test set, let the gate decide, record it.

The decision itself is `training.registry.gate`; this module gathers its inputs, writes the
outcome to `governance.promotion_log` after moving the `champion` alias, both under the model's
promotion lock (promotion_log.serialised).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from credit_risk.model_registry import (
    AWAITING_APPROVAL,
    CHAMPION,
    DEFAULT_MODEL,
    champion_version,
)
from training.monotonicity import monotone_violations
from training.registry import promotion_log
from training.registry.gate import MONOTONE_METRIC, GateLimits, PromotionDecision, decide_promotion
from training.registry.version_metrics import RiskModel, metrics_of, recorded_threshold
from training.registry.versions import get_version, sync_previous_alias, tag_decision, tag_gates
from training.significance import auc_gain

if TYPE_CHECKING:
    from credit_risk.settings import TrainingSettings

__all__ = ["promote_if_better"]

log = logging.getLogger(__name__)


def _limits(training: TrainingSettings, **given: float | None) -> GateLimits:
    """The caller's limits, the settings' where the caller gave None."""
    fallback = {
        "auc_margin": training.promotion_auc_margin,
        "ece_limit": training.ece_limit,
        "four_fifths": training.fairness_min_ratio,
        "calibration_tolerance": training.calibration_tolerance,
        "fairness_tolerance": training.fairness_tolerance,
    }
    chosen = {k: fallback[k] if given.get(k) is None else given[k] for k in fallback}
    return GateLimits(**{k: float(v) for k, v in chosen.items() if v is not None})


def _protected_columns() -> list[str]:
    from credit_risk.contract import protected_features

    return [f.name for f in protected_features()]


def _gate_rows(decision: PromotionDecision) -> list[dict[str, object]]:
    return [
        {
            "gate": c.check,
            "passed": c.passed,
            "value": c.value,
            "bound": c.bound,
            "detail": c.sentence,
        }
        for c in decision.checks
    ]


def promote_if_better(
    challenger_version: int | str,
    *,
    test_frame: pd.DataFrame,
    target: str,
    feature_columns: Sequence[str],
    dsn: str,
    model_name: str = DEFAULT_MODEL,
    benchmark_uri: str | None = None,
    challenger_is_benchmark: bool = False,
    auc_margin: float | None = None,
    ece_limit: float | None = None,
    calibration_tolerance: float | None = None,
    fairness_tolerance: float | None = None,
    confidence: float | None = None,
    protected_columns: Sequence[str] | None = None,
    actor: str = "pipeline",
    approval: Literal["automatic", "required"] | None = None,
) -> PromotionDecision:
    """Score challenger, champion (or the benchmark) on one test set, decide, move `champion`.

    The challenger is compared with the champion; with no champion yet, with the scorecard
    benchmark at `benchmark_uri` (unless the challenger is that benchmark). Limits left as None
    come from `TrainingSettings`, `approval` from `GovernanceSettings`: with "required", a
    challenger that passes waits as awaiting-approval for `manual.approve`. The decision and
    every gate are logged and tagged.
    """
    from mlflow import MlflowClient

    from credit_risk.settings import Settings

    client = MlflowClient()
    challenger = get_version(client, model_name, challenger_version)
    missing = [c for c in [target, *feature_columns] if c not in test_frame.columns]
    if missing:
        raise ValueError(f"test_frame: missing columns {', '.join(missing)}")
    protected = [c for c in (protected_columns or _protected_columns()) if c in test_frame.columns]
    X, y, groups = test_frame[list(feature_columns)], test_frame[target], test_frame[protected]
    settings = Settings()  # the CREDIT_TRAINING__* and CREDIT_GOVERNANCE__* the caller left out
    limits = _limits(
        settings.training,
        auc_margin=auc_margin,
        ece_limit=ece_limit,
        calibration_tolerance=calibration_tolerance,
        fairness_tolerance=fairness_tolerance,
    )
    level = settings.training.promotion_confidence if confidence is None else confidence
    approval = approval or settings.governance.approval

    def scored(model: RiskModel, threshold: float) -> tuple[np.ndarray, dict[str, float]]:
        scores = model.default_probability(X)
        return scores, metrics_of(scores, y, threshold, groups, model.uri)

    started = time.perf_counter()
    challenger_model = RiskModel(f"models:/{model_name}/{challenger.version}")
    challenger_scores, challenger_metrics = scored(
        challenger_model, recorded_threshold(client, challenger)
    )
    log.info(
        "gate: version %s scored on %d test rows in %.1f s",
        challenger.version,
        len(X),
        time.perf_counter() - started,
    )
    started = time.perf_counter()
    # Every test row; the gate runs alone, so the features are checked on every core.
    shares = monotone_violations(
        challenger_model, X, list(feature_columns), rows=len(X), threads=os.cpu_count() or 1
    )
    challenger_metrics[MONOTONE_METRIC] = max(shares.values(), default=0.0)
    log.info(
        "gate: monotone directions checked on every test row (%d features) in %.1f s",
        len(shares),
        time.perf_counter() - started,
    )
    # Read the champion, decide, move the alias and log under the model's lock: a promotion
    # running meanwhile cannot start from the same champion.
    with promotion_log.serialised(dsn, model_name) as conn:
        champion = champion_version(client, model_name)
        if champion is not None and champion.version == challenger.version:
            raise ValueError(
                f"version {challenger.version} is already the champion of {model_name}"
            )
        champion_metrics = None
        gain = None
        started = time.perf_counter()
        if champion is not None:
            champion_scores, champion_metrics = scored(
                RiskModel(f"models:/{model_name}/{champion.version}"),
                recorded_threshold(client, champion),
            )
            gain = auc_gain(y, challenger_scores, champion_scores, level)
            benchmark = f"champion v{champion.version}"
        else:
            benchmark = "scorecard benchmark"
            if benchmark_uri is not None and not challenger_is_benchmark:
                benchmark_scores = RiskModel(benchmark_uri).default_probability(X)
                gain = auc_gain(y, challenger_scores, benchmark_scores, level)
        if gain is not None:
            challenger_metrics.update(gain.as_metrics())
            log.info(
                "gate: AUC gain over the %s in %.1f s", benchmark, time.perf_counter() - started
            )
        decision = decide_promotion(
            challenger_metrics,
            champion_metrics,
            limits=limits,
            auc_gain=gain,
            benchmark=benchmark,
            challenger_is_benchmark=challenger_is_benchmark and champion is None,
            fairness_metrics={c.replace("_", " "): f"test_di_{c}_min_ratio" for c in protected},
        )
        if decision.promote and approval == "required":
            decision = decision.held_for_approval()
            client.set_registered_model_alias(model_name, AWAITING_APPROVAL, challenger.version)
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
            gates=_gate_rows(decision),
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
    tag_gates(client, model_name, challenger.version, decision.checks)
    log.info("%s version %s: %s", decision.action, challenger.version, decision.summary)
    return decision
