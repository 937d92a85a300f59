"""Adverse-action reasons for a model of any features (one trained on a flat file).

The contract's models speak in reason groups (serving.reasons); a model trained on a lender's
own file has no groups, so each of its features is a reason of its own. The rule is the same:
a feature is a reason when its contribution to the applicant's risk sits above its mean
contribution among the applicants at the cut-off (ReasonReference), largest first, at most
four, worded with the applicant's value and which side of those applicants' median it is on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from serving.reasons import MAX_REASONS, ReasonReference

__all__ = ["feature_label", "feature_reasons"]


def feature_label(name: str) -> str:
    """'debt_ratio' → 'Debt ratio', 'LoanAmount' stays as it is."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def _words(name: str, value: Any, median: float | None) -> str:
    label = feature_label(name)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"{label} not reported"
    if isinstance(value, str):
        return f"{label}: {value}"
    number = float(value)
    shown = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
    if median is None or number == median:
        return f"{label} of {shown} adds to the risk"
    return f"{label} of {shown} is {'high' if number > median else 'low'}"


def feature_reasons(
    contributions: npt.NDArray[np.float64],
    features: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    reference: ReasonReference,
    limit: int = MAX_REASONS,
) -> list[list[dict[str, Any]]]:
    """Per row, up to `limit` features whose contribution exceeds the reference's, largest first."""
    above = contributions - reference.contributions
    order = np.argsort(-above, axis=1, kind="stable")[:, :limit]
    out = []
    for row, ranked, impacts in zip(rows, order, above, strict=True):
        reasons = []
        for j in ranked.tolist():
            impact = float(impacts[j])
            if impact <= 0:
                break
            name = features[j]
            value = row.get(name)
            plain = (
                None if value is None or (isinstance(value, float) and np.isnan(value)) else value
            )
            reasons.append(
                {
                    "group": name,
                    "feature": name,
                    "value": plain,
                    "impact": impact,
                    "text": _words(name, value, reference.medians.get(name)),
                }
            )
        out.append(reasons)
    return out
