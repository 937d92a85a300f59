"""Default probability to a 300-850 credit score with points-to-double-odds (PDO) scaling.

Higher score = safer. With odds_good = (1 − p) / p (good:bad odds):

    factor = pdo / ln 2
    offset = base_score − factor · ln(base_odds)
    score  = offset + factor · ln(odds_good), rounded and clipped to [min_score, max_score]

so a borrower at `base_odds` (20:1 by default, p ≈ 4.8%) scores `base_score` (650), and every
doubling of the odds adds `pdo` (50) points. Probabilities are clipped to [1e-6, 1 − 1e-6] first
so that 0 and 1 map to the bounds instead of ±infinity.

The default scaling spreads this book's default probabilities (≈1%-60%) over the whole range:
p = 0.01 scores 765, p = 0.5 scores 434, p ≥ 0.87 hits the floor of 300. A score of 600 is
p = 1/11, the cost-optimal cut-off when a missed defaulter costs ten times a rejected good one.

Risk bands (RISK_BANDS, by the lowest score in the band; default-probability ranges are for the
default scaling):

    very_low   720-850   p below ~1.9%
    low        660-719   p ~1.9%-4.2%
    medium     600-659   p ~4.2%-9.1%
    high       540-599   p ~9.1%-18.7%
    very_high  300-539   p above ~18.7%
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["RISK_BANDS", "ScoreScaling", "risk_band"]

PROBABILITY_CLIP = 1e-6
# (band, lowest score in the band), safest first; the last band takes everything below.
RISK_BANDS: tuple[tuple[str, int], ...] = (
    ("very_low", 720),
    ("low", 660),
    ("medium", 600),
    ("high", 540),
    ("very_high", 300),
)


@dataclass(frozen=True)
class ScoreScaling:
    """PDO scaling between a default probability and a credit score."""

    base_score: float = 650.0
    base_odds: float = 20.0  # good:bad odds at base_score
    pdo: float = 50.0
    min_score: int = 300
    max_score: int = 850

    def __post_init__(self) -> None:
        if not self.pdo > 0:
            raise ValueError(f"pdo: points to double the odds must be positive, got {self.pdo}")
        if not self.base_odds > 0:
            raise ValueError(f"base_odds: must be positive, got {self.base_odds}")
        if not self.min_score < self.max_score:
            raise ValueError(
                f"min_score: {self.min_score} must be below max_score {self.max_score}"
            )

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def to_score(self, prob: Any) -> NDArray[np.int64]:
        """Integer scores for default probabilities (same shape as the input)."""
        p = np.asarray(prob, dtype=float)
        if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
            raise ValueError("prob: default probabilities must be in [0, 1] with no NaN")
        p = np.clip(p, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
        raw: NDArray[np.float64] = self.offset + self.factor * np.log((1 - p) / p)
        clipped: NDArray[np.float64] = np.clip(np.rint(raw), self.min_score, self.max_score)
        return clipped.astype(np.int64)

    def to_probability(self, score: Any) -> NDArray[np.float64]:
        """Default probabilities for scores: the inverse of to_score, up to its rounding."""
        s = np.asarray(score, dtype=float)
        if not np.isfinite(s).all():
            raise ValueError("score: scores must be finite numbers")
        odds_good = np.exp((s - self.offset) / self.factor)
        return 1.0 / (1.0 + odds_good)

    def as_dict(self) -> dict[str, float]:
        """The scaling as flat values for MLflow params or tags."""
        return {
            "base_score": float(self.base_score),
            "base_odds": float(self.base_odds),
            "pdo": float(self.pdo),
            "min_score": float(self.min_score),
            "max_score": float(self.max_score),
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ScoreScaling:
        """Rebuild a scaling from as_dict output; MLflow returns params as strings."""
        return cls(
            base_score=float(values["base_score"]),
            base_odds=float(values["base_odds"]),
            pdo=float(values["pdo"]),
            min_score=int(float(values["min_score"])),
            max_score=int(float(values["max_score"])),
        )


def risk_band(score: float) -> str:
    """The risk band of one credit score (see RISK_BANDS)."""
    if not np.isfinite(score):
        raise ValueError(f"score: must be a finite number, got {score}")
    for band, lowest in RISK_BANDS:
        if score >= lowest:
            return band
    return RISK_BANDS[-1][0]
