"""`credit-risk train --dataset`: the command-line path of bring-your-own training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.conftest import SMALL_BOOK_GATES
from tests.integration.test_byo_csv import loans_csv

pytestmark = pytest.mark.integration


def _env(dsn: str, tracking_uri: str, tmp_path: Path) -> dict[str, str]:
    return {
        "CREDIT_DATABASE__DSN": dsn,
        "CREDIT_MLFLOW__TRACKING_URI": tracking_uri,
        "CREDIT_PATHS__STATE_DIR": str(tmp_path / "state"),
        **SMALL_BOOK_GATES,
    }


def test_train_dataset_writes_the_json_summary(
    tmp_path: Path, pg_dsn: str, mlflow_tracking_uri: str
) -> None:
    csv = loans_csv(tmp_path / "cli_loans.csv", rows=1200)
    out = tmp_path / "summary.json"
    name = f"cli-byo-{tmp_path.name[-6:]}"
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--dataset",
            str(csv),
            "--target",
            "defaulted",
            "--positive-label",
            "yes",
            "--name",
            name,
            "--trials",
            "1",
            "--output-json",
            str(out),
        ],
        env=_env(pg_dsn, mlflow_tracking_uri, tmp_path),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert summary["champion"] in summary["candidates"]
    assert len(summary["candidates"]) == 6  # five and the scorecard benchmark
    for scores in summary["candidates"].values():
        assert {"test_auc", "test_ks", "test_brier"} <= set(scores)
    assert summary["registered_model"] == name
    # Registered and judged; on 1,200 rows whether it beats the scorecard is the gate's call.
    assert summary["version"] == 1
    reasons = summary["decision"]
    assert any(r.startswith("test AUC") for r in reasons)
    if not summary["promoted"]:
        assert "could be noise" in reasons[0] or "fails" in reasons[0], reasons


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("income,defaulted\n100,yes\n200,yes\n", "one class"),
        (
            "income,defaulted\n"
            + "".join(f"{100 + i},{'yes' if i % 3 else 'no'}\n" for i in range(30))
            + "abc,no\n",
            "'abc' is not a number",
        ),
        ("income,region\n100,a\n", "target column 'defaulted' not found"),
    ],
)
def test_bad_csv_fails_with_a_named_problem(
    tmp_path: Path, pg_dsn: str, mlflow_tracking_uri: str, content: str, message: str
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(content)
    result = CliRunner().invoke(
        app,
        ["train", "--dataset", str(csv), "--target", "defaulted", "--positive-label", "yes"],
        env=_env(pg_dsn, mlflow_tracking_uri, tmp_path),
    )
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
