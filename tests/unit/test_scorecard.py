"""PDO score scaling: anchor point, doubling, monotonicity, bounds, inverse and bands."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from credit_risk.artifact.scaling import RISK_BANDS, ScoreScaling, risk_band

# The arithmetic tests use a hand-checkable scaling; the band tests use the default one.
SCALING = ScoreScaling(base_score=600, base_odds=50, pdo=20)
DEFAULT = ScoreScaling()


def prob_at_odds(odds_good: float) -> float:
    """Default probability whose good:bad odds are `odds_good`."""
    return 1.0 / (1.0 + odds_good)


def test_base_odds_map_to_base_score() -> None:
    # Odds 50:1 → p = 1/51; score = offset + factor·ln 50 = 600 exactly.
    assert int(SCALING.to_score(prob_at_odds(50))) == 600


def test_doubling_the_odds_adds_pdo_points() -> None:
    scores = SCALING.to_score([prob_at_odds(50 * 2**k) for k in range(-3, 4)])
    assert np.diff(scores).tolist() == [20] * 6
    assert scores.tolist() == [540, 560, 580, 600, 620, 640, 660]


def test_factor_and_offset() -> None:
    assert SCALING.factor == pytest.approx(20 / math.log(2))  # 28.8539
    assert SCALING.offset == pytest.approx(600 - 28.853900817779268 * math.log(50))  # 487.12


def test_score_decreases_as_default_probability_rises() -> None:
    scores = SCALING.to_score(np.linspace(0.0, 1.0, 2001))
    assert np.all(np.diff(scores) <= 0)
    assert scores[0] > scores[1000] > scores[-1]
    assert scores.dtype == np.int64


def test_scores_are_clipped_to_the_range() -> None:
    assert SCALING.to_score([0.0, 1e-9, 0.9999, 1.0]).tolist() == [850, 850, 300, 300]
    narrow = ScoreScaling(base_score=600, base_odds=50, pdo=20, min_score=400, max_score=700)
    assert narrow.to_score([0.0, 0.5, 1.0]).tolist() == [700, 487, 400]


def test_round_trip_inside_the_range() -> None:
    # Scores are rounded to whole points: half a point moves ln(odds) by at most 0.5 / factor.
    probs = np.array([0.001, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 0.99])
    back = SCALING.to_probability(SCALING.to_score(probs))
    log_odds_error = np.abs(np.log((1 - back) / back) - np.log((1 - probs) / probs))
    assert np.all(log_odds_error <= 0.5 / SCALING.factor + 1e-12)
    assert back == pytest.approx(probs, rel=0.02)
    # Whole scores survive the trip exactly.
    scores = np.arange(300, 851)
    assert np.array_equal(SCALING.to_score(SCALING.to_probability(scores)), scores)


def test_as_dict_round_trips_through_strings() -> None:
    custom = ScoreScaling(base_score=650, base_odds=30, pdo=25)
    stored = {k: str(v) for k, v in custom.as_dict().items()}  # MLflow params come back as text
    assert ScoreScaling.from_dict(stored) == custom
    assert set(custom.as_dict()) == {"base_score", "base_odds", "pdo", "min_score", "max_score"}


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (850, "very_low"),
        (720, "very_low"),
        (719, "low"),
        (660, "low"),
        (659, "medium"),
        (600, "medium"),
        (599, "high"),
        (540, "high"),
        (539, "very_high"),
        (300, "very_high"),
    ],
)
def test_risk_band_edges(score: int, band: str) -> None:
    assert risk_band(score) == band


def test_risk_bands_are_ordered_and_match_the_documented_probabilities() -> None:
    lows = [low for _, low in RISK_BANDS]
    assert lows == sorted(lows, reverse=True)
    # The medium/high edge 600 is p = 1/11, the cost-optimal cut-off for 10:1 costs.
    assert DEFAULT.to_probability(600) == pytest.approx(1 / 11, abs=1e-9)
    assert DEFAULT.to_probability(720) == pytest.approx(0.0186, abs=1e-4)
    assert int(DEFAULT.to_score(0.01)) == 765
    assert risk_band(int(DEFAULT.to_score(0.5))) == "very_high"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SCALING.to_score([0.2, 1.1]), "prob:"),
        (lambda: SCALING.to_score([np.nan]), "prob:"),
        (lambda: SCALING.to_probability([np.inf]), "score:"),
        (lambda: ScoreScaling(pdo=0), "pdo:"),
        (lambda: ScoreScaling(base_odds=-1), "base_odds:"),
        (lambda: ScoreScaling(min_score=900), "min_score:"),
        (lambda: risk_band(float("nan")), "score:"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
