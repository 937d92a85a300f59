"""The champion/challenger gate: a pure decision on metrics both models scored on the same test set."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

__all__ = [
    "AUC_METRIC",
    "CALIBRATION_METRIC",
    "FAIRNESS_METRICS",
    "PromotionDecision",
    "decide_promotion",
]

AUC_METRIC = "test_auc"
CALIBRATION_METRIC = "test_ece"
# One disparate-impact minimum ratio per protected attribute (see training.fairness).
FAIRNESS_METRICS = {
    "gender": "test_di_gender_min_ratio",
    "age band": "test_di_age_band_min_ratio",
}
# Metrics are sums of floats: a challenger exactly at the bar must not fail on rounding noise.
_EPSILON = 1e-12

# (challenger value, champion value) -> (passes, a sentence with both numbers)
Judge = Callable[[float, float], tuple[bool, str]]


@dataclass(frozen=True)
class PromotionDecision:
    """Whether the challenger replaces the champion, and every check's outcome in plain words."""

    promote: bool
    reasons: list[str]
    failed_checks: list[str] = field(default_factory=list)
    challenger_metrics: dict[str, float] = field(default_factory=dict)
    champion_metrics: dict[str, float] | None = None

    @property
    def action(self) -> Literal["promote", "keep"]:
        return "promote" if self.promote else "keep"

    @property
    def summary(self) -> str:
        """The reasons as one line, failed checks first, for logs and version tags."""
        return "; ".join(self.reasons)


def _value(metrics: Mapping[str, float], key: str) -> float | None:
    raw = metrics.get(key)
    if raw is None:
        return None
    value = float(raw)
    return None if math.isnan(value) else value


def decide_promotion(
    challenger: Mapping[str, float],
    champion: Mapping[str, float] | None,
    *,
    auc_margin: float,
    calibration_tolerance: float,
    fairness_tolerance: float,
    fairness_metrics: Mapping[str, str] | None = None,
) -> PromotionDecision:
    """Promote when there is no champion, or the challenger wins on AUC without losing on the rest.

    `fairness_metrics` maps each protected attribute checked to its min-ratio metric; the
    default is the contract's gender and age band.
    """
    challenger_metrics = {k: float(v) for k, v in challenger.items()}
    if champion is None:
        return PromotionDecision(
            promote=True,
            reasons=["first model: there is no champion yet"],
            challenger_metrics=challenger_metrics,
        )
    champion_metrics = {k: float(v) for k, v in champion.items()}
    failed: list[tuple[str, str]] = []
    passed: list[str] = []

    def compare(check: str, label: str, key: str, judge: Judge) -> None:
        ours, theirs = _value(challenger, key), _value(champion, key)
        missing = [who for who, v in (("challenger", ours), ("champion", theirs)) if v is None]
        if missing:
            failed.append(
                (check, f"{label} cannot be compared: {' and '.join(missing)} has no {key} metric")
            )
            return
        assert ours is not None and theirs is not None
        ok, sentence = judge(ours, theirs)
        if ok:
            passed.append(sentence)
        else:
            failed.append((check, sentence))

    compare("auc", "test AUC", AUC_METRIC, partial(_auc_check, margin=auc_margin))
    compare(
        "calibration",
        "calibration",
        CALIBRATION_METRIC,
        partial(_ece_check, tolerance=calibration_tolerance),
    )
    for attribute, key in (
        FAIRNESS_METRICS if fairness_metrics is None else fairness_metrics
    ).items():
        judge = partial(_fairness_check, tolerance=fairness_tolerance, attribute=attribute)
        compare("fairness:" + attribute.replace(" ", "_"), f"{attribute} fairness", key, judge)

    return PromotionDecision(
        promote=not failed,
        reasons=[sentence for _, sentence in failed] + passed,
        failed_checks=[check for check, _ in failed],
        challenger_metrics=challenger_metrics,
        champion_metrics=champion_metrics,
    )


def _auc_check(ours: float, theirs: float, margin: float) -> tuple[bool, str]:
    bar = f"champion {theirs:.4f} + margin {margin:.4f}"
    if ours + _EPSILON >= theirs + margin:
        return True, f"test AUC {ours:.4f} beats {bar}"
    return False, f"test AUC {ours:.4f} does not beat {bar}"


def _ece_check(ours: float, theirs: float, tolerance: float) -> tuple[bool, str]:
    bar = f"champion {theirs:.4f} + tolerance {tolerance:.4f}"
    if ours <= theirs + tolerance + _EPSILON:
        return True, f"test ECE {ours:.4f} is within {bar}"
    return False, f"test ECE {ours:.4f} is worse than {bar}"


def _fairness_check(
    ours: float, theirs: float, tolerance: float, attribute: str
) -> tuple[bool, str]:
    what = f"{attribute} disparate-impact ratio {ours:.4f}"
    bar = f"champion {theirs:.4f} − tolerance {tolerance:.4f}"
    if ours + _EPSILON >= theirs - tolerance:
        return True, f"{what} is within {bar}"
    return False, f"{what} falls below {bar}"
