"""The training settings reach plan_training unchanged, whichever entry point reads them."""

from __future__ import annotations

import inspect

import pytest

from credit_risk.settings import Settings
from training.plan import options_from_settings, plan_training
from training.threshold import CostMatrix


def test_every_training_setting_becomes_the_matching_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in {
        "TEST_MONTHS": "4",
        "VALIDATION_MONTHS": "2",
        "COST_FALSE_NEGATIVE": "50000",
        "COST_FALSE_POSITIVE": "5000",
        "SEARCH_TRIALS": "3",
        "SEARCH_TIMEOUT_SECONDS": "12.5",
        "SEARCH_SAMPLE_ROWS": "2000",
    }.items():
        monkeypatch.setenv(f"CREDIT_TRAINING__{key}", value)
    options = options_from_settings(Settings(_env_file=None).training)  # type: ignore[call-arg]
    assert options == {
        "test_months": 4,
        "validation_months": 2,
        "costs": CostMatrix(50_000, 5_000),
        "n_trials": 3,
        "timeout": 12.5,
        "search_sample_rows": 2000,
    }
    assert set(options) <= set(inspect.signature(plan_training).parameters)
