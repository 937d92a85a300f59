"""Model input rows → decisions: probability, score, band, approve/reject, reasons, key factors.

Shared by the HTTP service and the batch scoring flow, so both decide the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from credit_risk import contract
from serving.model import LoadedModel, Scored
from serving.reasons import top_reasons
from training.scorecard import risk_band

__all__ = ["decide", "explain_row"]


def decide(
    loaded: LoadedModel, records: Sequence[Mapping[str, Any]], application_ids: Sequence[str]
) -> tuple[list[dict[str, Any]], Scored]:
    """One response dict (ScoreResponse fields) per feature row, and the raw scores."""
    scored = loaded.score(records)
    scores = loaded.scaling.to_score(scored.probability)
    features = loaded.explainer.features
    now = datetime.now(UTC)
    results = []
    for i, row in enumerate(records):
        probability = float(scored.probability[i])
        impacts = dict(zip(features, scored.contributions[i].tolist(), strict=True))
        results.append(
            {
                "application_id": application_ids[i],
                "probability": probability,
                "credit_score": int(scores[i]),
                "risk_band": risk_band(int(scores[i])),
                "decision": "reject" if probability >= loaded.threshold else "approve",
                "threshold": loaded.threshold,
                "model_version": loaded.version,
                "reasons": top_reasons(impacts, row, loaded.means),
                "key_factors": {k: float(row[k]) for k in contract.KEY_FACTORS},
                "scored_at": now,
            }
        )
    return results, scored


def explain_row(loaded: LoadedModel, row: Mapping[str, Any], scored: Scored) -> dict[str, Any]:
    """Every feature's contribution for the first scored row, most risk-raising first."""
    labels = contract.by_name()
    pairs = sorted(
        zip(loaded.explainer.features, scored.contributions[0].tolist(), strict=True),
        key=lambda kv: kv[1],
        reverse=True,
    )
    return {
        "base_value": float(scored.base[0]),
        "margin": float(scored.margin[0]),
        "contributions": [
            {
                "feature": feature,
                "label": labels[feature].label,
                "value": _json_value(row.get(feature)),
                "impact": impact,
            }
            for feature, impact in pairs
        ],
    }


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
