"""The promotion gate: a pure decision on metrics both models scored on the same test set.

Absolute gates apply to every promotion, the first included: the AUC gain over the champion
(or, for the first model, over the scorecard benchmark) must be real, its DeLong lower bound
above the margin; the four-fifths rule on the challenger's own approval rates; zero monotone
violations on the test set; ECE within its limit. With a champion, the challenger must also
not lose more than a tolerance on calibration and fairness.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from training.significance import AucGain

__all__ = [
    "AUC_METRIC",
    "CALIBRATION_METRIC",
    "FAIRNESS_METRICS",
    "MONOTONE_METRIC",
    "GateCheck",
    "GateLimits",
    "PromotionDecision",
    "decide_promotion",
]

AUC_METRIC = "test_auc"
CALIBRATION_METRIC = "test_ece"
MONOTONE_METRIC = "test_monotone_violation_share"
# One disparate-impact minimum ratio per protected attribute (see training.fairness).
FAIRNESS_METRICS = {
    "gender": "test_di_gender_min_ratio",
    "age band": "test_di_age_band_min_ratio",
}
FOUR_FIFTHS = 0.8
# Metrics are sums of floats: a challenger exactly at the bar must not fail on rounding noise.
_EPSILON = 1e-12


@dataclass(frozen=True)
class GateLimits:
    """The gate's bars; TrainingSettings holds the configured values."""

    auc_margin: float = 0.0  # the DeLong lower bound of the AUC gain must be above this
    ece_limit: float = 0.05
    calibration_tolerance: float = 0.01
    fairness_tolerance: float = 0.05
    four_fifths: float = FOUR_FIFTHS


@dataclass(frozen=True)
class GateCheck:
    """One gate: its figure, the bar it was held to, the verdict and a sentence with both."""

    check: str
    passed: bool
    value: float | None
    bound: float | None
    sentence: str


@dataclass(frozen=True)
class PromotionDecision:
    """Whether the challenger replaces the champion, and every check's outcome in plain words."""

    promote: bool
    reasons: list[str]
    failed_checks: list[str] = field(default_factory=list)
    challenger_metrics: dict[str, float] = field(default_factory=dict)
    champion_metrics: dict[str, float] | None = None
    checks: list[GateCheck] = field(default_factory=list)
    # Passed every gate, but policy wants a person's approval first (promote is then False).
    awaiting_approval: bool = False

    @property
    def action(self) -> Literal["promote", "keep", "awaiting_approval"]:
        if self.awaiting_approval:
            return "awaiting_approval"
        return "promote" if self.promote else "keep"

    def held_for_approval(self) -> PromotionDecision:
        """The same decision, waiting for approval instead of promoting."""
        from dataclasses import replace

        note = "passed every gate; awaiting approval (CREDIT_GOVERNANCE__APPROVAL=required)"
        return replace(self, promote=False, awaiting_approval=True, reasons=[note, *self.reasons])

    @property
    def summary(self) -> str:
        """The reasons as one line, failed checks first, for logs and version tags."""
        return "; ".join(self.reasons)


def decide_promotion(
    challenger: Mapping[str, float],
    champion: Mapping[str, float] | None,
    *,
    limits: GateLimits,
    auc_gain: AucGain | None,
    benchmark: str,
    challenger_is_benchmark: bool = False,
    fairness_metrics: Mapping[str, str] | None = None,
) -> PromotionDecision:
    """Promote only when every absolute gate passes and, with a champion, nothing is lost.

    `auc_gain` compares the challenger with `benchmark` (the champion, or the scorecard for the
    first model) on the same rows; None when there is nothing to compare with. The first model
    may be the scorecard benchmark itself. `fairness_metrics` maps each protected attribute to
    its min-ratio metric; the default is the contract's gender and age band.
    """
    checks: list[GateCheck] = [_auc_check(auc_gain, benchmark, limits, challenger_is_benchmark)]
    checks.append(_absolute(challenger, "calibration_limit", CALIBRATION_METRIC, limits.ece_limit))
    checks.append(_monotone_check(challenger))
    attributes = FAIRNESS_METRICS if fairness_metrics is None else fairness_metrics
    for attribute, key in attributes.items():
        checks.append(_four_fifths(challenger, attribute, key, limits.four_fifths))
    if champion is not None:
        checks.append(_relative_ece(challenger, champion, limits.calibration_tolerance))
        for attribute, key in attributes.items():
            checks.append(_relative_fairness(challenger, champion, attribute, key, limits))
    failed = [c for c in checks if not c.passed]
    return PromotionDecision(
        promote=not failed,
        reasons=[c.sentence for c in failed] + [c.sentence for c in checks if c.passed],
        failed_checks=[c.check for c in failed],
        challenger_metrics={k: float(v) for k, v in challenger.items()},
        champion_metrics=None if champion is None else {k: float(v) for k, v in champion.items()},
        checks=checks,
    )


def _missing(check: str, label: str, who: str, key: str) -> GateCheck:
    return GateCheck(check, False, None, None, f"{label} cannot be judged: {who} has no {key}")


def _auc_check(
    gain: AucGain | None, benchmark: str, limits: GateLimits, is_benchmark: bool
) -> GateCheck:
    if gain is None:
        if is_benchmark:
            return GateCheck(
                "auc", True, None, None, "test AUC: the first model is the scorecard benchmark"
            )
        return GateCheck(
            "auc",
            False,
            None,
            limits.auc_margin,
            f"test AUC cannot be judged: there is no {benchmark} to compare with "
            "(train with the scorecard benchmark)",
        )
    what = (
        f"test AUC {gain.challenger_auc:.4f} vs {benchmark} {gain.benchmark_auc:.4f}: gain "
        f"{gain.difference:+.4f}, {100 * gain.confidence:.0f}% lower bound "
        f"{gain.lower_bound:+.4f}"
    )
    if gain.lower_bound > limits.auc_margin + _EPSILON:
        return GateCheck(
            "auc", True, gain.lower_bound, limits.auc_margin, f"{what} > {limits.auc_margin:.4f}"
        )
    return GateCheck(
        "auc",
        False,
        gain.lower_bound,
        limits.auc_margin,
        f"{what} is not above {limits.auc_margin:.4f}: the gain could be noise",
    )


def _absolute(metrics: Mapping[str, float], check: str, key: str, limit: float) -> GateCheck:
    value = _value(metrics, key)
    if value is None:
        return _missing(check, "test ECE", "the challenger", key)
    ok = value <= limit + _EPSILON
    verb = "is within" if ok else "exceeds"
    return GateCheck(check, ok, value, limit, f"test ECE {value:.4f} {verb} the limit {limit:.4f}")


def _monotone_check(metrics: Mapping[str, float]) -> GateCheck:
    value = _value(metrics, MONOTONE_METRIC)
    if value is None:
        return _missing("monotonicity", "monotonicity", "the challenger", MONOTONE_METRIC)
    if value <= 0:
        return GateCheck(
            "monotonicity", True, value, 0.0, "no monotone direction is broken on the test set"
        )
    return GateCheck(
        "monotonicity",
        False,
        value,
        0.0,
        f"risk moves against a monotone direction for {100 * value:.2f}% of test rows",
    )


def _four_fifths(metrics: Mapping[str, float], attribute: str, key: str, bar: float) -> GateCheck:
    check = "four_fifths:" + attribute.replace(" ", "_")
    value = _value(metrics, key)
    if value is None:
        return _missing(check, f"{attribute} four-fifths rule", "the challenger", key)
    ok = value + _EPSILON >= bar
    verb = "meets" if ok else "fails"
    return GateCheck(
        check,
        ok,
        value,
        bar,
        f"{attribute} approval-rate ratio {value:.4f} {verb} the four-fifths rule ({bar:.2f})",
    )


def _relative_ece(
    ours: Mapping[str, float], theirs: Mapping[str, float], tolerance: float
) -> GateCheck:
    mine, champion = _value(ours, CALIBRATION_METRIC), _value(theirs, CALIBRATION_METRIC)
    if mine is None or champion is None:
        who = "challenger" if mine is None else "champion"
        return GateCheck(
            "calibration",
            False,
            mine,
            None,
            f"calibration cannot be compared: {who} has no {CALIBRATION_METRIC} metric",
        )
    bar = champion + tolerance
    text = f"champion {champion:.4f} + tolerance {tolerance:.4f}"
    if mine <= bar + _EPSILON:
        return GateCheck("calibration", True, mine, bar, f"test ECE {mine:.4f} is within {text}")
    return GateCheck("calibration", False, mine, bar, f"test ECE {mine:.4f} is worse than {text}")


def _relative_fairness(
    ours: Mapping[str, float],
    theirs: Mapping[str, float],
    attribute: str,
    key: str,
    limits: GateLimits,
) -> GateCheck:
    check = "fairness:" + attribute.replace(" ", "_")
    mine, champion = _value(ours, key), _value(theirs, key)
    if mine is None or champion is None:
        who = "challenger" if mine is None else "champion"
        return GateCheck(
            check, False, mine, None, f"{attribute} fairness cannot be compared: {who} has no {key}"
        )
    bar = champion - limits.fairness_tolerance
    what = f"{attribute} disparate-impact ratio {mine:.4f}"
    text = f"champion {champion:.4f} − tolerance {limits.fairness_tolerance:.4f}"
    if mine + _EPSILON >= bar:
        return GateCheck(check, True, mine, bar, f"{what} is within {text}")
    return GateCheck(check, False, mine, bar, f"{what} falls below {text}")


def _value(metrics: Mapping[str, float], key: str) -> float | None:
    raw = metrics.get(key)
    if raw is None:
        return None
    value = float(raw)
    return None if math.isnan(value) else value
