"""The champion/challenger gate and the rollback walk, as pure functions without services."""

from __future__ import annotations

from typing import Any

import pytest

from training.registry.gate import decide_promotion
from training.registry.promotion_log import rollback_target

TOLERANCES = {"auc_margin": 0.002, "calibration_tolerance": 0.01, "fairness_tolerance": 0.05}
CHAMPION = {
    "test_auc": 0.815,
    "test_ece": 0.020,
    "test_di_gender_min_ratio": 0.90,
    "test_di_age_band_min_ratio": 0.85,
}


def challenger(**changes: float) -> dict[str, float]:
    return {**CHAMPION, "test_auc": 0.830, **changes}


def test_first_model_is_promoted() -> None:
    decision = decide_promotion({"test_auc": 0.7}, None, **TOLERANCES)
    assert decision.promote
    assert decision.action == "promote"
    assert "first model" in decision.summary
    assert decision.champion_metrics is None


def test_better_on_every_check_is_promoted_with_every_reason() -> None:
    decision = decide_promotion(challenger(), CHAMPION, **TOLERANCES)
    assert decision.promote
    assert decision.failed_checks == []
    assert decision.reasons[0] == "test AUC 0.8300 beats champion 0.8150 + margin 0.0020"
    assert len(decision.reasons) == 4  # AUC, calibration, two fairness attributes


def test_auc_margin_not_met_keeps_the_champion() -> None:
    decision = decide_promotion(challenger(test_auc=0.816), CHAMPION, **TOLERANCES)
    assert not decision.promote
    assert decision.action == "keep"
    assert decision.failed_checks == ["auc"]
    assert decision.reasons[0] == "test AUC 0.8160 does not beat champion 0.8150 + margin 0.0020"


def test_auc_exactly_at_the_margin_passes() -> None:
    decision = decide_promotion(challenger(test_auc=0.815 + 0.002), CHAMPION, **TOLERANCES)
    assert decision.promote


def test_calibration_worse_beyond_tolerance_blocks() -> None:
    decision = decide_promotion(challenger(test_ece=0.031), CHAMPION, **TOLERANCES)
    assert not decision.promote
    assert decision.failed_checks == ["calibration"]
    assert "test ECE 0.0310 is worse than champion 0.0200 + tolerance 0.0100" in decision.reasons


def test_calibration_within_tolerance_passes() -> None:
    assert decide_promotion(challenger(test_ece=0.029), CHAMPION, **TOLERANCES).promote


@pytest.mark.parametrize(
    ("metric", "check", "label"),
    [
        ("test_di_gender_min_ratio", "fairness:gender", "gender"),
        ("test_di_age_band_min_ratio", "fairness:age_band", "age band"),
    ],
)
def test_fairness_worse_beyond_tolerance_blocks(metric: str, check: str, label: str) -> None:
    worse = CHAMPION[metric] - 0.06
    decision = decide_promotion(challenger(**{metric: worse}), CHAMPION, **TOLERANCES)
    assert not decision.promote
    assert decision.failed_checks == [check]
    assert decision.reasons[0].startswith(f"{label} disparate-impact ratio {worse:.4f} falls below")


def test_several_failures_are_all_reported_first() -> None:
    decision = decide_promotion(challenger(test_auc=0.80, test_ece=0.2), CHAMPION, **TOLERANCES)
    assert decision.failed_checks == ["auc", "calibration"]
    assert "does not beat" in decision.reasons[0]
    assert "is worse than" in decision.reasons[1]
    assert "within" in decision.reasons[2]


def test_missing_challenger_metric_is_a_reason_not_a_crash() -> None:
    metrics = challenger()
    del metrics["test_di_gender_min_ratio"]
    decision = decide_promotion(metrics, CHAMPION, **TOLERANCES)
    assert not decision.promote
    assert decision.failed_checks == ["fairness:gender"]
    assert decision.reasons[0] == (
        "gender fairness cannot be compared: challenger has no test_di_gender_min_ratio metric"
    )


def test_missing_or_nan_champion_metric_blocks() -> None:
    decision = decide_promotion(challenger(), {**CHAMPION, "test_ece": float("nan")}, **TOLERANCES)
    assert decision.failed_checks == ["calibration"]
    assert "champion has no test_ece metric" in decision.reasons[0]


def entry(action: str, new: int | None, previous: int | None) -> dict[str, Any]:
    return {"action": action, "new_champion_version": new, "previous_champion_version": previous}


def test_rollback_target_walks_back_through_promotions() -> None:
    log = [  # newest first
        entry("keep", 3, 3),
        entry("promote", 3, 2),
        entry("manual_promote", 2, 1),
        entry("promote", 1, None),
    ]
    assert rollback_target(log) == log[1]
    after_one = [entry("rollback", 2, 3), *log]
    assert rollback_target(after_one) == log[2]
    after_two = [entry("rollback", 1, 2), *after_one]
    assert rollback_target(after_two) == log[3]  # the first promotion: nothing earlier
    assert rollback_target([entry("rollback", 0, 1), *after_two]) is None
    assert rollback_target([]) is None
