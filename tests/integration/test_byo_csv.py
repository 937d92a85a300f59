"""Bring your own CSV: the happy path trains and summarises; bad files fail with named problems."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.database import connect
from training.csv_dataset import read_csv, table_name, train_on_csv
from training.threshold import CostMatrix

# Enough rows that a fifth held out for testing judges calibration and the four-fifths rule on
# more than sampling noise.
ROWS = 4_000
NO_DATABASE = "postgresql://nobody@127.0.0.1:1/none"  # validation must fail before connecting


def loans_csv(path: Path, rows: int = ROWS, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    income = rng.lognormal(8, 0.5, rows).round(2)
    region = rng.choice(["north", "south", "east", "west"], rows)
    debt_ratio = rng.gamma(2.0, 0.2, rows).round(3)
    logit = -2.5 + 3 * debt_ratio - 0.0001 * (income - 3000) + (region == "east") * 0.5
    bad = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "loan_id": np.arange(1, rows + 1),  # unique per row: never a feature
            "income": income,
            "region": region,
            "debt_ratio": debt_ratio,
            "Sex": rng.choice(["F", "M"], rows),  # protected: the fairness check only
            "Age": rng.integers(19, 75, rows),
            "product": "personal loan",  # constant: never a feature
            "defaulted": np.where(bad, "yes", "no"),
        }
    )
    frame.loc[frame.index[::50], "income"] = np.nan  # blanks are missing values, not errors
    frame.to_csv(path, index=False)
    return path


@pytest.mark.integration
def test_byo_csv_trains_and_returns_the_summary(
    tmp_path: Path, pg_dsn: str, mlflow_experiment: str
) -> None:
    csv = loans_csv(tmp_path / "loans.csv")
    summary = train_on_csv(
        csv,
        "defaulted",
        positive_label="yes",
        name=mlflow_experiment,
        dsn=pg_dsn,
        n_trials=1,
        timeout=10,
        folds=2,
        # A missed default costs three rejected good loans: about half the book is approved.
        costs=CostMatrix(false_negative=3, false_positive=1),
    )
    assert set(summary["candidates"]) == {
        "logistic_regression",
        "scorecard",
        "random_forest",
        "xgboost",
        "lightgbm",
        "hist_gradient_boosting",
    }
    assert summary["champion"] in summary["candidates"]
    for scores in summary["candidates"].values():
        assert set(scores) == {"test_auc", "test_ks", "test_brier"}
        assert 0.5 < scores["test_auc"] <= 1.0
    assert summary["model_uri"] == f"runs:/{summary['run_id']}/model"
    assert summary["protected_attributes"] == ["Age", "Sex"]
    assert set(summary["dropped_columns"]) == {"loan_id", "product"}
    import mlflow

    features = mlflow.sklearn.load_model(summary["model_uri"]).features
    assert sorted(features) == ["debt_ratio", "income", "region"]
    with connect(pg_dsn) as conn:
        row = conn.execute(f"select count(*), count(income) from {summary['table']}").fetchone()
    assert row == (ROWS, ROWS - ROWS // 50)
    # Registered under the model NAME; the first version promotes itself.
    assert summary["registered_model"] == mlflow_experiment
    assert summary["version"] == 1
    assert summary["promoted"] is True
    from mlflow import MlflowClient

    champion = MlflowClient().get_model_version_by_alias(mlflow_experiment, "champion")
    assert int(champion.version) == 1
    # The gate judged the four-fifths rule on the CSV's own protected columns (ages in bands).
    assert champion.tags["gate.four_fifths.Sex"].startswith("pass ")
    assert champion.tags["gate.four_fifths.Age"].startswith("pass ")
    # Reviewers see the file each set came from.
    inputs = mlflow.get_run(summary["run_id"]).inputs.dataset_inputs
    assert {i.dataset.name for i in inputs} == {"train", "validation", "test"}
    assert {i.dataset.source for i in inputs} == {json.dumps({"uri": str(csv.resolve())})}


def test_inferred_column_kinds(tmp_path: Path) -> None:
    data = read_csv(loans_csv(tmp_path / "loans.csv", rows=200), "defaulted", "yes")
    assert data.numeric == ("income", "debt_ratio")
    assert data.categorical == ("region",)
    assert set(data.frame["defaulted"]) == {0, 1}


def test_protected_ids_and_constants_stay_out_of_the_features(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = 300
    frame = pd.DataFrame(
        {
            "Sex": rng.choice(["F", "M"], rows),
            "AGE": rng.integers(19, 75, rows),
            "Marital Status": rng.choice(["single", "married"], rows),
            "dateOfBirth": ["1990-01-01"] * (rows - 1) + ["1991-02-02"],
            "mortgage_balance": rng.normal(1000, 50, rows).round(6),  # unique floats: a feature
            "customer_ref": [f"C{i:05d}" for i in range(rows)],
            "loan_id": rng.permutation(rows) + 1000,
            "currency": "EUR",
            "defaulted": rng.choice(["0", "1"], rows),
        }
    )
    frame.to_csv(tmp_path / "people.csv", index=False)
    data = read_csv(tmp_path / "people.csv", "defaulted")
    assert data.protected == ("AGE", "Sex", "Marital Status", "dateOfBirth")
    assert data.numeric == ("mortgage_balance",)
    assert data.categorical == ()
    assert data.dropped == {
        "loan_id": "unique per row (an identifier)",
        "customer_ref": "unique per row (an identifier)",
        "currency": "constant ('EUR' in every filled row)",
    }
    assert {"Sex", "AGE"} <= set(data.frame.columns)  # kept beside the data for fairness


def test_fairness_groups_band_ages_and_keep_labels() -> None:
    from training.csv_dataset import fairness_groups

    frame = pd.DataFrame({"Age": [19.0, 30.0, 61.0, np.nan], "Sex": ["F", "M", None, "F"]})
    groups = fairness_groups(frame, ("Age", "Sex"))
    assert list(groups["Age"]) == ["18-25", "26-35", "56+", "missing"]
    assert list(groups["Sex"]) == ["F", "M", "missing", "F"]


def test_table_name_is_sanitized() -> None:
    assert table_name("My Loans 2024!") == "my_loans_2024"
    assert table_name("2024 book") == "t_2024_book"


def _bad(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "target", "positive", "message"),
    [
        ("", "defaulted", None, r"bad\.csv: the file is empty"),
        ("income,defaulted\n", "defaulted", None, "has a header but no data rows"),
        ("income,status\n1,yes\n2,no\n", "defaulted", None, "target column 'defaulted' not found"),
        ("income,defaulted\n1,no\n2,no\n3,no\n", "defaulted", None, "one class only"),
        ("income,defaulted\n1,no\n2,no\n", "defaulted", "yes", "never equals the positive label"),
        ("income,defaulted\n1,bad\n2,good\n", "defaulted", None, "pass positive_label"),
        (
            "income,defaulted\n" + "".join(f"{i},{i % 2}\n" for i in range(16)) + "abc,1\n",
            "defaulted",
            None,
            r"column 'income' row 17: 'abc' is not a number",
        ),
    ],
)
def test_bad_csv_is_a_named_value_error(
    tmp_path: Path, text: str, target: str, positive: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        train_on_csv(_bad(tmp_path, text), target, positive_label=positive, dsn=NO_DATABASE)
