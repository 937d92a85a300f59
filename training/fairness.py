"""Disparate impact of approval decisions across a protected attribute, with the four-fifths rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.metrics import check_labels, check_same_length

__all__ = ["FOUR_FIFTHS", "FairnessResult", "disparate_impact"]

FOUR_FIFTHS = 0.8
# Rates are ratios of counts; 40/100 over 50/100 must count as exactly 0.8.
_RATIO_TOLERANCE = 1e-12


@dataclass(frozen=True)
class FairnessResult:
    """Approval rate per group and its ratio to the reference group's rate."""

    reference_group: str
    approval_rates: dict[str, float]
    counts: dict[str, int]
    ratios: dict[str, float]
    excluded_groups: tuple[str, ...]  # fewer rows than min_group_size: reported, not judged
    min_ratio: float
    worst_group: str
    passes_four_fifths: bool

    def to_dict(self, prefix: str = "di_") -> dict[str, float]:
        """Flat numeric values for MLflow metrics; pass e.g. prefix="di_gender_" per attribute."""
        flat = {
            f"{prefix}min_ratio": self.min_ratio,
            f"{prefix}passes_four_fifths": float(self.passes_four_fifths),
            f"{prefix}excluded_groups": float(len(self.excluded_groups)),
        }
        for group, rate in self.approval_rates.items():
            key = _metric_safe(group)
            flat[f"{prefix}approval_rate_{key}"] = rate
            flat[f"{prefix}ratio_{key}"] = self.ratios[group]
            flat[f"{prefix}count_{key}"] = float(self.counts[group])
        return flat


def _metric_safe(group: str) -> str:
    """A group label usable in an MLflow metric name ("56+" → "56plus")."""
    return re.sub(r"[^0-9A-Za-z_.-]", "_", group.replace("+", "plus"))


def disparate_impact(
    approved: Any, group: Any, reference: str | None = None, min_group_size: int = 30
) -> FairnessResult:
    """Each group's approval rate over the reference group's (default: the most approved group)."""
    decisions = check_labels(approved, "approved")
    raw = group.to_numpy() if isinstance(group, pd.Series) else np.asarray(group, dtype=object)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError(f"group: expected a non-empty 1-D array of labels, got shape {raw.shape}")
    check_same_length(approved=decisions, group=raw)
    labels = pd.Series(raw, dtype=object)
    if labels.isna().any():
        raise ValueError(f"group: {int(labels.isna().sum())} missing labels; fill or drop them")
    if min_group_size < 1:
        raise ValueError(f"min_group_size: must be at least 1, got {min_group_size}")

    frame = pd.DataFrame({"group": labels.astype(str), "approved": decisions})
    stats = frame.groupby("group", sort=True)["approved"].agg(["mean", "size"])
    rates = {g: float(r) for g, r in stats["mean"].items()}
    counts = {g: int(n) for g, n in stats["size"].items()}
    eligible = [g for g in rates if counts[g] >= min_group_size]
    if not eligible:
        raise ValueError(
            f"group: no group has at least min_group_size={min_group_size} rows "
            f"(largest has {max(counts.values())}); use more data or lower min_group_size"
        )
    if reference is None:
        reference = max(eligible, key=lambda g: (rates[g], counts[g]))
    elif reference not in rates:
        raise ValueError(f"reference: group {reference!r} not found; groups are {sorted(rates)}")
    elif reference not in eligible:
        raise ValueError(
            f"reference: group {reference!r} has {counts[reference]} rows, "
            f"fewer than min_group_size={min_group_size}"
        )
    if rates[reference] == 0:
        raise ValueError(
            f"approved: reference group {reference!r} has no approvals, so ratios are undefined"
        )

    ratios = {g: rate / rates[reference] for g, rate in rates.items()}
    worst = min(eligible, key=lambda g: ratios[g])
    return FairnessResult(
        reference_group=reference,
        approval_rates=rates,
        counts=counts,
        ratios=ratios,
        excluded_groups=tuple(g for g in rates if g not in eligible),
        min_ratio=ratios[worst],
        worst_group=worst,
        passes_four_fifths=ratios[worst] >= FOUR_FIFTHS - _RATIO_TOLERANCE,
    )
