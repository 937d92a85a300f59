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
# The whole frame is checked up to this many rows (a validation or test set of the demo book
# fits); beyond it, a sample of this size.
FULL_SAMPLE_ROWS = 20_000


def _variants(sample: pd.DataFrame, name: str, dtype: str) -> list[pd.DataFrame]:
    if dtype == "bool":  # a flag has two values: off, then on
        return [sample.assign(**{name: value}) for value in (False, True)]
    spread = float(sample[name].std()) or 1.0
    return [sample.assign(**{name: sample[name] + step * spread}) for step in STEPS]


def monotone_violations(
    model: Any,
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    rows: int = FULL_SAMPLE_ROWS,
    seed: int = 0,
) -> dict[str, float]:
    """Per monotone feature (flags included), the share of rows whose risk moves against it.

    Each feature is raised alone in steps on every row with a known value (a sample of `rows`
    beyond that); a violation is any step where the predicted default probability falls (for
    +1) or rises (for -1). A flag is switched from off to on.
    """
    contract = by_name()
    shares: dict[str, float] = {}
    for name in features:
        feature = contract.get(name)
        if (
            feature is None
            or feature.monotone == 0
            or feature.dtype not in ("float", "int", "bool")
        ):
            continue
        known = frame[frame[name].notna()]
        if known.empty:
            continue
        sample = known.sample(min(rows, len(known)), random_state=seed)
        variants = _variants(sample, name, feature.dtype)
        # One call for every step: the per-call cost dominates for small models.
        stacked = np.asarray(model.predict_proba(pd.concat(variants, ignore_index=True)))[:, 1]
        risks = stacked.reshape(len(variants), len(sample))
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
