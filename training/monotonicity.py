"""Does a fitted model respect the contract's monotone directions (higher DTI never lowers risk)?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.contract import by_name

# Steps in standard deviations of the feature, applied in its risk-raising direction.
STEPS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
TOLERANCE = 1e-9


def monotone_violations(
    model: Any, frame: pd.DataFrame, features: Sequence[str], *, rows: int = 400, seed: int = 0
) -> dict[str, float]:
    """Per monotone feature, the share of rows whose risk moves against its direction.

    Each feature is raised alone in steps on a sample of rows with a known value; a violation is
    any step where the predicted default probability falls (for +1) or rises (for -1).
    """
    contract = by_name()
    shares: dict[str, float] = {}
    for name in features:
        feature = contract.get(name)
        if feature is None or feature.monotone == 0 or feature.dtype not in ("float", "int"):
            continue
        known = frame[frame[name].notna()]
        if known.empty:
            continue
        sample = known.sample(min(rows, len(known)), random_state=seed)
        spread = float(known[name].std()) or 1.0
        risks = np.stack(
            [
                np.asarray(
                    model.predict_proba(sample.assign(**{name: sample[name] + step * spread}))
                )[:, 1]
                for step in STEPS
            ]
        )
        # +1: risk must not fall as the value rises; -1: risk must not rise.
        moves = np.diff(risks, axis=0) * feature.monotone
        shares[name] = float((moves < -TOLERANCE).any(axis=0).mean())
    return shares


def worst_violation(shares: dict[str, float]) -> tuple[str | None, float]:
    """The feature with the largest violation share, and that share (0 when none)."""
    if not shares:
        return None, 0.0
    name = max(shares, key=lambda k: shares[k])
    return name, shares[name]
