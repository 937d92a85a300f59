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
    """The raised copies of `sample`; for a number, the first step (0) is the sample itself."""
    if dtype == "bool":  # a flag has two values: off, then on
        return [sample.assign(**{name: value}) for value in (False, True)]
    spread = float(sample[name].std()) or 1.0
    return [sample.assign(**{name: sample[name] + step * spread}) for step in STEPS[1:]]


def monotone_violations(
    model: Any,
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    rows: int = FULL_SAMPLE_ROWS,
    seed: int = 0,
    threads: int = 1,
) -> dict[str, float]:
    """Per monotone feature (flags included), the share of rows whose risk moves against it.

    Each feature is raised alone in steps on every row where it is known (of a sample of `rows`
    rows of the frame, beyond that); a violation is any step where the predicted default
    probability falls (for +1) or rises (for -1). A flag is switched from off to on. The rows as
    they are (step 0) are scored once for every feature; with `threads` > 1 the features are
    checked in parallel (the boosters release the GIL while they predict).
    """
    contract = by_name()
    checked = {}
    for name in features:
        feature = contract.get(name)
        if (
            feature is not None
            and feature.monotone != 0
            and feature.dtype in ("float", "int", "bool")
        ):
            checked[name] = feature
    if not checked:
        return {}
    sample = frame if len(frame) <= rows else frame.sample(rows, random_state=seed)
    base = np.asarray(model.predict_proba(sample))[:, 1]

    def share(name: str) -> float | None:
        feature = checked[name]
        known = sample[name].notna().to_numpy()
        if not known.any():
            return None
        rows_known = sample[known]
        variants = _variants(rows_known, name, feature.dtype)
        # One call for every step: the per-call cost dominates for small models.
        stacked = np.asarray(model.predict_proba(pd.concat(variants, ignore_index=True)))[:, 1]
        risks = stacked.reshape(len(variants), len(rows_known))
        if feature.dtype != "bool":
            risks = np.vstack([base[known], risks])
        # +1: risk must not fall as the value rises; -1: risk must not rise.
        moves = np.diff(risks, axis=0) * feature.monotone
        return float((moves < -TOLERANCE).any(axis=0).mean())

    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            found = dict(zip(checked, pool.map(share, checked), strict=True))
    else:
        found = {name: share(name) for name in checked}
    return {name: value for name, value in found.items() if value is not None}


def worst_violation(shares: dict[str, float]) -> tuple[str | None, float]:
    """The feature with the largest violation share, and that share (0 when none)."""
    if not shares:
        return None, 0.0
    name = max(shares, key=lambda k: shares[k])
    return name, shares[name]
