"""The promotion gate and the rollback walk, as pure functions without services."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from training.registry.gate import GateLimits, decide_promotion
from training.registry.promotion_log import rollback_target
from training.significance import AucGain, auc_gain

LIMITS = GateLimits(auc_margin=0.0, ece_limit=0.05, calibration_tolerance=0.01)
CHAMPION = {
    "test_auc": 0.815,
    "test_ece": 0.020,
    "test_di_gender_min_ratio": 0.90,
    "test_di_age_band_min_ratio": 0.85,
    "test_monotone_violation_share": 0.0,
}


def challenger(**changes: float) -> dict[str, float]:
    return {**CHAMPION, "test_auc": 0.830, **changes}


def gain(difference: float = 0.015, error: float = 0.004) -> AucGain:
    return AucGain(
        0.815 + difference, 0.815, difference, error, 0.95, difference - 1.645 * error, 5000
    )


def decide(
    metrics: dict[str, float], champion: dict[str, float] | None = CHAMPION, **kw: Any
) -> Any:
    kw.setdefault("auc_gain", gain())
    kw.setdefault("benchmark", "champion v1" if champion else "scorecard benchmark")
    return decide_promotion(metrics, champion, limits=LIMITS, **kw)


def test_first_model_beating_the_scorecard_is_promoted_on_absolute_gates() -> None:
    decision = decide(challenger(), None)
    assert decision.promote, decision.summary
    assert decision.champion_metrics is None
    assert [c.check for c in decision.checks] == [
        "auc",
        "calibration_limit",
        "monotonicity",
        "four_fifths:gender",
        "four_fifths:age_band",
    ]
    assert "vs scorecard benchmark 0.8150" in decision.reasons[0]


def test_the_first_model_may_be_the_scorecard_itself() -> None:
    decision = decide(challenger(), None, auc_gain=None, challenger_is_benchmark=True)
    assert decision.promote
    assert "is the scorecard benchmark" in decision.reasons[0]


def test_a_first_model_with_nothing_to_beat_is_refused() -> None:
    decision = decide(challenger(), None, auc_gain=None)
    assert decision.failed_checks == ["auc"]
    assert "no scorecard benchmark to compare with" in decision.reasons[0]


def test_better_on_every_check_is_promoted_with_every_reason() -> None:
    decision = decide(challenger())
    assert decision.promote
    assert decision.failed_checks == []
    assert len(decision.reasons) == 8  # 5 absolute gates, calibration and 2 fairness vs champion
    assert all(c.passed for c in decision.checks)


def test_a_gain_inside_the_noise_is_refused() -> None:
    # +0.003 AUC, but with a standard error of 0.004 the lower bound is below zero.
    decision = decide(challenger(), auc_gain=gain(0.003, 0.004))
    assert not decision.promote
    assert decision.failed_checks == ["auc"]
    assert "the gain could be noise" in decision.reasons[0]
    auc = decision.checks[0]
    assert auc.value is not None and auc.value < 0 and auc.bound == 0.0


def test_delong_separates_noise_from_a_real_gain() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    y = (rng.random(n) < 0.2).astype(int)
    signal = y + rng.normal(0, 1.2, n)
    same = signal + rng.normal(0, 0.05, n)  # the champion with a little noise: no real gain
    better = y + rng.normal(0, 0.9, n)
    noise = auc_gain(y, same, signal)
    real = auc_gain(y, better, signal)
    assert noise.lower_bound < 0 < noise.difference + 3 * noise.standard_error
    assert real.lower_bound > 0
    from sklearn.metrics import roc_auc_score

    assert real.challenger_auc == pytest.approx(roc_auc_score(y, better), abs=1e-12)
    assert real.benchmark_auc == pytest.approx(roc_auc_score(y, signal), abs=1e-12)


@pytest.mark.parametrize(
    ("metric", "check"),
    [
        ("test_di_gender_min_ratio", "four_fifths:gender"),
        ("test_di_age_band_min_ratio", "four_fifths:age_band"),
    ],
)
def test_four_fifths_is_absolute_even_when_the_champion_fails_it_too(
    metric: str, check: str
) -> None:
    champion = {**CHAMPION, metric: 0.70}
    decision = decide(challenger(**{metric: 0.74}), champion)
    assert not decision.promote
    assert decision.failed_checks == [check]  # within tolerance of the champion, still refused
    assert "fails the four-fifths rule (0.80)" in decision.reasons[0]


def test_a_ratio_exactly_at_four_fifths_passes() -> None:
    assert decide(challenger(test_di_gender_min_ratio=0.8), None).promote


def test_a_broken_direction_on_the_test_set_is_refused() -> None:
    decision = decide(challenger(test_monotone_violation_share=0.0005))
    assert decision.failed_checks == ["monotonicity"]
    assert "0.05% of test rows" in decision.reasons[0]


def test_ece_beyond_its_limit_is_refused_even_for_the_first_model() -> None:
    decision = decide(challenger(test_ece=0.06), None)
    assert decision.failed_checks == ["calibration_limit"]
    assert "exceeds the limit 0.0500" in decision.reasons[0]


def test_calibration_worse_than_the_champion_beyond_tolerance_blocks() -> None:
    decision = decide(challenger(test_ece=0.031))
    assert decision.failed_checks == ["calibration"]
    assert "is worse than champion 0.0200 + tolerance 0.0100" in decision.reasons[0]


def test_fairness_worse_than_the_champion_beyond_tolerance_blocks() -> None:
    decision = decide(challenger(test_di_gender_min_ratio=0.84))
    assert decision.failed_checks == ["fairness:gender"]
    assert decision.reasons[0].startswith("gender disparate-impact ratio 0.8400 falls below")


def test_several_failures_are_all_reported_first() -> None:
    decision = decide(challenger(test_ece=0.2), auc_gain=gain(-0.01))
    assert decision.failed_checks == ["auc", "calibration_limit", "calibration"]
    assert decision.reasons[3] == "no monotone direction is broken on the test set"


def test_missing_metrics_are_reasons_not_crashes() -> None:
    metrics = challenger()
    del metrics["test_di_gender_min_ratio"]
    decision = decide(metrics, {**CHAMPION, "test_ece": float("nan")})
    assert decision.failed_checks == ["four_fifths:gender", "calibration", "fairness:gender"]
    assert "the challenger has no test_di_gender_min_ratio" in decision.reasons[0]
    assert "champion has no test_ece metric" in decision.reasons[1]


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


@pytest.mark.parametrize(
    ("action", "reason", "expected"),
    [
        (
            "keep",
            "AUC gain +0.001 could be noise; ECE 0.02 within 0.05",
            "Not promoted on 2026-12-07: AUC gain +0.001 could be noise.",
        ),
        (
            "promote",
            "AUC +0.02 vs champion v1",
            "Champion since 2026-12-07: passed every promotion gate (pipeline).",
        ),
        (
            "manual_promote",
            "incident fixed",
            "Champion since 2026-12-07 by hand, not by the gate: pipeline: incident fixed.",
        ),
        ("future_action", "why", "future_action on 2026-12-07 by pipeline: why."),
    ],
)
def test_the_version_description_states_the_decision_in_one_sentence(
    action: str, reason: str, expected: str
) -> None:
    from training.registry.versions import decision_sentence

    assert decision_sentence(action, reason, "pipeline", "2026-12-07") == expected
