"""Feature rows → decisions for a model served by its feature profile (trained on a flat file).

The same decision as the contract's models (serving.scorer): calibrated PD, 300-850 score,
risk band, reject at or above the version's threshold; the reasons are the model's own
features (serving.feature_reasons). Shared by the HTTP service and table scoring.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from credit_risk.artifact.scaling import risk_band
from serving.champion import LoadedModel
from serving.feature_reasons import feature_reasons

__all__ = ["decide_profiled"]


def decide_profiled(
    loaded: LoadedModel,
    rows: Sequence[Mapping[str, Any]],
    application_ids: Sequence[str | None],
    threads: int = 1,
) -> list[dict[str, Any]]:
    """One ProfiledScoreResponse-shaped dict per feature row; one model call for all rows."""
    scored = loaded.score(rows, threads)
    probabilities = scored.probability.tolist()
    scores = loaded.scaling.to_score(scored.probability).tolist()
    reasons = feature_reasons(
        scored.contributions, loaded.explainer.features, rows, loaded.reference
    )
    now = datetime.now(UTC)
    return [
        {
            "decision_id": str(uuid.uuid4()),
            "application_id": app_id or str(uuid.uuid4()),
            "probability": probability,
            "credit_score": score,
            "risk_band": risk_band(score),
            "decision": "reject" if probability >= loaded.threshold else "approve",
            "threshold": loaded.threshold,
            "model_version": loaded.version,
            "reasons": row_reasons,
            "scored_at": now,
        }
        for app_id, probability, score, row_reasons in zip(
            application_ids, probabilities, scores, reasons, strict=True
        )
    ]
