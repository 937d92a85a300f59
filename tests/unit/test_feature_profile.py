"""The feature profile a model records, and the request schema and reasons built from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from credit_risk.artifact.feature_profile import FeatureProfile, profile_frame
from credit_risk.frame_table import column_type
from serving.feature_reasons import feature_label, feature_reasons
from serving.profiled_schemas import batch_request_model, field_names, request_model
from serving.reasons import ReasonReference

FRAME = pd.DataFrame(
    {
        "income": [1000.0, 2500.5, np.nan, 4000.0],
        "dependents": [0.0, 1.0, 2.0, 3.0],
        "region": ["north", "east", "east", None],
        "Home Owner": ["yes", "no", "yes", "no"],
    }
)


@pytest.fixture
def profile() -> FeatureProfile:
    return profile_frame(FRAME, ["income", "dependents"], ["region", "Home Owner"])


def test_the_profile_records_ranges_levels_and_missingness(profile: FeatureProfile) -> None:
    income, dependents, region, owner = profile.fields
    assert (income.minimum, income.maximum, income.nullable, income.integer) == (
        1000.0,
        4000.0,
        True,
        False,
    )
    assert dependents.integer and not dependents.nullable
    assert region.categories == ("east", "north") and region.nullable
    assert owner.categories == ("no", "yes") and not owner.nullable
    assert FeatureProfile.from_dict(profile.to_dict()) == profile


def test_problems_name_the_column_and_the_rule(profile: FeatureProfile) -> None:
    good = {"income": None, "dependents": 2, "region": "east", "Home Owner": "no"}
    assert profile.problems(good) == []
    bad = {"income": 9e9, "dependents": None, "region": "mars", "Home Owner": "no"}
    assert profile.problems(bad) == [
        "income: above 4000, the largest seen in training",
        "dependents: missing (training never saw it missing)",
        "region: a category training never saw",
    ]


def test_the_request_model_is_as_strict_as_training(profile: FeatureProfile) -> None:
    model = request_model(profile, "Application")
    assert field_names(profile)["feature_3"] == "Home Owner"  # not an identifier: aliased
    ok = model.model_validate({"dependents": 1, "region": "east", "Home Owner": "yes"})
    assert ok.model_dump(by_alias=True)["Home Owner"] == "yes"
    cases = [
        ({"dependents": 1, "region": "east", "Home Owner": "yes", "loan": 1}, "extra_forbidden"),
        ({"dependents": 1, "region": "west", "Home Owner": "yes"}, "literal_error"),
        ({"dependents": "1", "region": "east", "Home Owner": "yes"}, "float_type"),
        ({"dependents": 9, "region": "east", "Home Owner": "yes"}, "less_than_equal"),
        ({"region": "east", "Home Owner": "yes"}, "missing"),
    ]
    for body, kind in cases:
        with pytest.raises(ValidationError) as caught:
            model.model_validate(body)
        assert [e["type"] for e in caught.value.errors()] == [kind], body
    schema = model.model_json_schema(by_alias=True)
    assert schema["properties"]["income"]["anyOf"][0]["minimum"] == 1000.0
    batch = batch_request_model(model, "BatchRequest")
    with pytest.raises(ValidationError, match="at least 1 item"):
        batch.model_validate({"applications": []})


def test_reasons_are_the_features_above_the_cut_off_in_words() -> None:
    reference = ReasonReference(np.array([0.1, 0.0, 0.0]), {"debt_ratio": 0.3}, "cut-off")
    contributions = np.array([[0.9, 0.2, -0.5], [0.0, -0.1, -0.2]])
    rows = [
        {"debt_ratio": 0.82, "region": "east", "income": np.nan},
        {"debt_ratio": 0.1, "region": "west", "income": 5000.0},
    ]
    reasons = feature_reasons(contributions, ["debt_ratio", "region", "income"], rows, reference)
    assert [r["text"] for r in reasons[0]] == ["Debt ratio of 0.82 is high", "Region: east"]
    assert reasons[0][0]["impact"] == pytest.approx(0.8)
    assert reasons[1] == []  # nothing above the applicants at the cut-off: no reason
    assert feature_label("months_on_book") == "Months on book"


def test_table_columns_get_their_postgres_types() -> None:
    assert column_type(pd.Series([1.0, None])) == "double precision"
    assert column_type(pd.Series([[{"a": 1}], None], dtype=object)) == "jsonb"
    assert column_type(pd.Series(["x"])) == "text"
    assert column_type(pd.Series([True, False])) == "boolean"
    stamp = pd.Series(pd.to_datetime(["2026-01-01"], utc=True))
    assert column_type(stamp) == "timestamptz"
