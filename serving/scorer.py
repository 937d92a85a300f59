"""Model input rows → decisions: probability, score, band, approve/reject, reasons, key factors.

Shared by the HTTP service and the batch scoring flow, so both decide the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from credit_risk import contract
from credit_risk.artifact.scaling import risk_band
from serving.champion import LoadedModel, Scored
from serving.reasons import principal_reasons

__all__ = ["decide", "explain_row"]


def decide(
    loaded: LoadedModel,
    records: Sequence[Mapping[str, Any]],
    application_ids: Sequence[str],
    threads: int = 1,
    sources: Sequence[Mapping[str, str] | None] | None = None,
) -> tuple[list[dict[str, Any]], Scored]:
    """One response dict (ScoreResponse fields) per feature row, and the raw scores.

    The whole batch is one booster call (probabilities and contributions together) and one
    numpy ranking of the contributions; only the chosen reasons are formatted as text.
    `threads` > 1 is for batch scoring (see Explainer.encoded_contributions). `sources` are
    the rows' feature sources (serving.request_features.FeatureRow.sources), echoed in the response.
    """
    scored = loaded.score(records, threads)
    scores = loaded.scaling.to_score(scored.probability).tolist()
    probabilities = scored.probability.tolist()
    reasons = principal_reasons(
        scored.contributions, loaded.explainer.features, records, loaded.reference
    )
    bands = {score: risk_band(score) for score in set(scores)}
    threshold, version = loaded.threshold, loaded.version
    now = datetime.now(UTC)
    results = [
        {
            "decision_id": str(uuid.uuid4()),
            "application_id": app_id,
            "probability": probability,
            "credit_score": score,
            "risk_band": bands[score],
            "decision": "reject" if probability >= threshold else "approve",
            "threshold": threshold,
            "model_version": version,
            "reasons": row_reasons,
            "bureau_score": _bureau_score(row.get("bureau_score")),
            "feature_sources": row_sources,
            "key_factors": {k: float(row[k]) for k in contract.KEY_FACTORS},
            "scored_at": now,
        }
        for app_id, probability, score, row_reasons, row, row_sources in zip(
            application_ids,
            probabilities,
            scores,
            reasons,
            records,
            sources if sources is not None else [None] * len(records),
            strict=True,
        )
    ]
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


def _bureau_score(value: Any) -> int | None:
    """The bureau score a decision used (FCRA 615), None for a thin file."""
    value = _json_value(value)
    return None if value is None else int(value)


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
