"""A model logged before the artifact moved to the ground package loads and scores as it did."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import pandas as pd
import pytest

from credit_risk.artifact.loading import load_model, read_pickled_model
from credit_risk.artifact.scoring_model import CreditRiskModel

LEGACY = Path(__file__).parents[1] / "fixtures" / "model-logged-before-the-artifact-move"


def test_a_model_logged_before_the_move_scores_as_it_did() -> None:
    expected = json.loads((LEGACY / "expected.json").read_text())
    model = load_model(str(LEGACY / "model"))
    assert isinstance(model, CreditRiskModel)
    rows = pd.DataFrame(expected["rows"])
    assert model.predict_proba(rows)[:, 1].tolist() == pytest.approx(expected["probability"])
    assert model.credit_score(rows).tolist() == expected["credit_score"]


def test_a_pickle_naming_stage_code_is_refused_with_what_to_do() -> None:
    stream = io.BytesIO()
    pickle.dump(pickle.loads, stream)  # any global will do; the module name is rewritten below
    payload = stream.getvalue().replace(b"_pickle", b"serving").replace(b"loads", b"thing")
    with pytest.raises(pickle.UnpicklingError, match=r"serving\.thing.*LEGACY_PATHS"):
        read_pickled_model(io.BytesIO(payload))
