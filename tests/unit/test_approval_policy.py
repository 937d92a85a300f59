"""Approval mode reaches the gate from every training path, scheduled retraining included."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_risk.settings import Settings


def _result(best: str) -> Any:
    from training.choose_best import TrainingResult

    return TrainingResult(
        parent_run_id="parent",
        experiment="credit-risk",
        best_candidate=best,
        best_run_id="best-run",
        model_uri="runs:/best-run/model",
        metrics={best: {"test_auc": 0.8}},
        threshold=0.1,
        scaling={},
        features=["dti"],
        benchmark_run_id="scorecard-run",
    )


@pytest.mark.parametrize("policy", ["automatic", "required"])
def test_the_training_flow_passes_the_approval_policy_and_the_benchmark(
    policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.train
    from training.registry import promotion, versions

    monkeypatch.setenv("CREDIT_GOVERNANCE__APPROVAL", policy)
    seen: dict[str, Any] = {}

    def gate(version: str, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return SimpleNamespace(promote=False, action="awaiting_approval", reasons=["waits"])

    monkeypatch.setattr(promotion, "promote_if_better", gate)
    monkeypatch.setattr(
        versions, "register_challenger", lambda run_id, model_name: SimpleNamespace(version="7")
    )
    months = pd.date_range("2024-01-01", periods=400, freq="D")
    frame = pd.DataFrame(
        {"applied_on": months, "dti": np.linspace(0, 1, 400), "is_default": np.arange(400) % 2}
    )
    outcome = flows.train.register_and_promote.fn(
        _result("lightgbm"), frame, "postgresql://unused", Settings(), None
    )
    assert seen["approval"] == policy
    assert seen["benchmark_uri"] == "runs:/scorecard-run/model"
    assert seen["challenger_is_benchmark"] is False
    assert outcome["decision"] == "awaiting_approval" and outcome["promoted"] is False
