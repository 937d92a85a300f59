"""A model trained on a flat CSV is a full citizen: served with its own schema, batch-scored
and monitored, with the same decisions, reasons and decision log as the contract's model."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from credit_risk.database import connect
from tests.conftest import SMALL_BOOK_GATES
from tests.integration.service import API_KEY, bentoml_serve, service_env
from tests.shared import shared_prefect_api
from training.csv_dataset import train_on_csv
from training.threshold import CostMatrix

pytestmark = pytest.mark.integration

ROWS = 4_000
APPLICANT = {"income": 2500.0, "region": "east", "debt_ratio": 0.9}


def public_style_csv(path: Path, rows: int = ROWS, seed: int = 11) -> Path:
    """A flat file as public credit data sets come: an id, a few features, a yes/no outcome.

    Debt raises the risk in two regions and lowers it in the others (say, where it is mostly
    mortgages): an interaction a tree model finds and an additive scorecard cannot.
    """
    rng = np.random.default_rng(seed)
    income = rng.lognormal(8, 0.5, rows).round(2)
    region = rng.choice(["north", "south", "east", "west"], rows)
    debt_ratio = rng.gamma(2.0, 0.2, rows).round(3)
    exposed = np.isin(region, ["east", "south"])
    logit = -1.6 + 6 * (debt_ratio - 0.4) * np.where(exposed, 1, -1) - 0.0002 * (income - 3000)
    bad = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "loan_id": np.arange(1, rows + 1),
            "income": income,
            "region": region,
            "debt_ratio": debt_ratio,
            "defaulted": np.where(bad, "yes", "no"),
        }
    )
    frame.loc[frame.index[::50], "income"] = np.nan
    frame.to_csv(path, index=False)
    return path


@dataclass(frozen=True)
class FlatModel:
    name: str
    dsn: str
    tracking_uri: str
    csv: Path
    table: str
    run_id: str

    def cli_env(self, work: Path) -> dict[str, str]:
        """The CLI's settings for this model's database and store, its files under `work`."""
        return {
            "CREDIT_DATABASE__DSN": self.dsn,
            "CREDIT_MLFLOW__TRACKING_URI": self.tracking_uri,
            "CREDIT_PATHS__STATE_DIR": str(work / "state"),
            "CREDIT_PATHS__REPORTS_DIR": str(work / "reports"),
            "PREFECT_API_URL": shared_prefect_api(),
        }


@pytest.fixture(scope="module")
def flat_model(
    pg_server: str, mlflow_tracking_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlatModel]:
    from tests.conftest import drop_database, make_database

    dsn = make_database(pg_server, "flat")
    work = tmp_path_factory.mktemp("flat")
    csv = public_style_csv(work / "public_loans.csv")
    name = f"flat-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as env:
        for key, value in SMALL_BOOK_GATES.items():  # ECE on 800 test rows is mostly noise
            env.setenv(key, value)
        summary = _train(csv, name, dsn)
    assert summary["promoted"] is True, summary["decision"]
    yield FlatModel(name, dsn, mlflow_tracking_uri, csv, summary["table"], summary["run_id"])
    drop_database(pg_server, dsn)


def _train(csv: Path, name: str, dsn: str) -> dict[str, Any]:
    return train_on_csv(
        csv,
        "defaulted",
        positive_label="yes",
        name=name,
        dsn=dsn,
        candidates=["lightgbm"],
        n_trials=1,
        timeout=10,
        folds=2,
        costs=CostMatrix(false_negative=3, false_positive=1),
    )


@pytest.fixture(scope="module")
def served(flat_model: FlatModel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`credit-risk serve --model NAME` on a free port."""
    work = tmp_path_factory.mktemp("flat-serve")
    env = service_env(
        dsn=flat_model.dsn,
        tracking_uri=flat_model.tracking_uri,
        model_name="credit-risk",  # --model wins over the configured model
        work=work,
    )
    cli = str(Path(sys.executable).with_name("credit-risk"))
    command = [cli, "serve", "--model", flat_model.name, "--host", "127.0.0.1"]
    with bentoml_serve(env, work / "serve.log", command=command) as service:
        yield service.base


def _post(base: str, route: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{base}/{route}",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=30,
    )


def test_the_served_schema_is_the_models_own(served: str) -> None:
    spec = httpx.get(f"{served}/docs.json", timeout=10).json()
    schemas = spec["components"]["schemas"]
    application = next(v for k, v in schemas.items() if k.startswith("Application"))
    assert set(application["properties"]) == {"income", "region", "debt_ratio", "application_id"}
    assert application["properties"]["region"]["enum"] == ["east", "north", "south", "west"]
    # The contract's fields are not asked for.
    assert "loan_amount" not in application["properties"]
    assert "400" in spec["paths"]["/score"]["post"]["responses"]


def test_a_flat_file_model_scores_with_its_own_reasons(served: str, flat_model: FlatModel) -> None:
    response = _post(served, "score", {**APPLICANT, "application_id": "flat-1"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert 300 <= result["credit_score"] <= 850
    assert result["decision"] == (
        "reject" if result["probability"] >= result["threshold"] else "approve"
    )
    # A debt ratio of 0.9 is far above the applicants at the cut-off: it is a reason, in words.
    features = [reason["feature"] for reason in result["reasons"]]
    assert "debt_ratio" in features
    text = next(r["text"] for r in result["reasons"] if r["feature"] == "debt_ratio")
    assert text == "Debt ratio of 0.90 is high"
    # A safer applicant scores higher.
    safer = _post(served, "score", {**APPLICANT, "debt_ratio": 0.1}).json()
    assert safer["credit_score"] > result["credit_score"]
    batch = _post(
        served, "score_batch", {"applications": [APPLICANT, {**APPLICANT, "income": None}]}
    )
    assert batch.status_code == 200, batch.text
    assert len(batch.json()["results"]) == 2
    info = httpx.post(
        f"{served}/model_info", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10
    ).json()
    assert info["name"] == flat_model.name
    assert [f["name"] for f in info["features"]] == ["income", "debt_ratio", "region"]


@pytest.mark.parametrize(
    ("body", "field", "kind"),
    [
        ({**APPLICANT, "loan_amount": 5000}, "loan_amount", "extra_forbidden"),
        ({**APPLICANT, "region": "mars"}, "region", "literal_error"),
        ({**APPLICANT, "debt_ratio": "high"}, "debt_ratio", "float_type"),
        ({"income": 2500.0, "region": "east"}, "debt_ratio", "missing"),
        ({**APPLICANT, "debt_ratio": 50.0}, "debt_ratio", "less_than_equal"),
    ],
)
def test_fields_the_model_never_saw_are_400s_naming_them(
    served: str, body: dict[str, Any], field: str, kind: str
) -> None:
    response = _post(served, "score", body)
    assert response.status_code == 400, response.text
    problems = response.json()["detail"]
    assert [(p["loc"][-1], p["type"]) for p in problems] == [(field, kind)]


def test_decisions_of_the_served_model_are_logged(served: str, flat_model: FlatModel) -> None:
    marker = f"flat-log-{uuid.uuid4().hex[:6]}"
    assert _post(served, "score", {**APPLICANT, "application_id": marker}).status_code == 200
    deadline = time.monotonic() + 10
    row = None
    while row is None and time.monotonic() < deadline:
        with connect(flat_model.dsn) as conn:
            row = conn.execute(
                "select model_name, features->>'debt_ratio', jsonb_array_length(reasons) "
                "from serving.scoring_log where application_id = %s",
                (marker,),
            ).fetchone()
        time.sleep(0.2)
    assert row is not None
    assert row[0] == flat_model.name
    assert float(row[1]) == 0.9
    assert row[2] >= 1


def test_a_new_champion_is_served_without_a_restart(served: str, flat_model: FlatModel) -> None:
    from training.registry.manual import promote_version
    from training.registry.versions import register_challenger

    version = register_challenger(flat_model.run_id, model_name=flat_model.name)
    promote_version(
        version.version,
        actor="test",
        reason="hot reload of a flat-file model",
        dsn=flat_model.dsn,
        model_name=flat_model.name,
    )
    headers = {"Authorization": f"Bearer {API_KEY}"}
    deadline = time.monotonic() + 30
    served_version = None
    while time.monotonic() < deadline:
        info = httpx.post(f"{served}/model_info", headers=headers, timeout=10).json()
        served_version = info["version"]
        if served_version == int(version.version):
            break
        time.sleep(0.5)
    assert served_version == int(version.version)
    scored = _post(served, "score", APPLICANT).json()
    assert scored["model_version"] == int(version.version)


def test_the_models_logged_decisions_are_monitored(
    served: str, flat_model: FlatModel, tmp_path: Path, prefect_harness: None
) -> None:
    for debt_ratio in (0.1, 0.3, 0.5, 0.7, 0.9):
        assert _post(served, "score", {**APPLICANT, "debt_ratio": debt_ratio}).status_code == 200
    time.sleep(1)  # the log writes every 0.2 s: let the last decision land
    with connect(flat_model.dsn) as conn:
        logged = conn.execute(
            "select count(*) from serving.scoring_log where model_name = %s", (flat_model.name,)
        ).fetchone()
    assert logged is not None and logged[0] >= 5
    env = flat_model.cli_env(tmp_path)
    out = tmp_path / "summary.json"
    result = CliRunner().invoke(
        app,
        [
            "monitor",
            "--model",
            flat_model.name,
            "--window",
            "1h",
            "--no-fail",
            "--output-json",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    # Only this model's decisions, each with the probability it was given.
    assert summary["current"]["rows_in_window"] == logged[0]
    assert {f["feature"] for f in summary["features"]} == {"income", "debt_ratio", "region"}
    assert summary["quality"]["available"] is False


def test_an_unknown_model_name_is_a_clear_error(flat_model: FlatModel, tmp_path: Path) -> None:
    env = {
        "CREDIT_DATABASE__DSN": flat_model.dsn,
        "CREDIT_MLFLOW__TRACKING_URI": flat_model.tracking_uri,
        "CREDIT_PATHS__STATE_DIR": str(tmp_path / "state"),
    }
    result = CliRunner().invoke(app, ["serve", "--model", "no-such-model"], env=env)
    assert result.exit_code == 2
    assert "no registered model is named 'no-such-model'" in result.output
    assert flat_model.name in result.output  # the ones there are, to choose from


def test_a_table_of_new_rows_is_scored_and_monitored(flat_model: FlatModel, tmp_path: Path) -> None:
    from credit_risk.frame_table import replace_table

    rng = np.random.default_rng(5)
    rows = 400
    new = pd.DataFrame(
        {
            "application_ref": [f"N{i:04d}" for i in range(rows)],
            "income": rng.lognormal(8, 0.5, rows).round(2),
            # the new book leans to the regions where debt weighs, with more of it
            "region": rng.choice(["east", "south", "north"], rows, p=[0.5, 0.4, 0.1]),
            "debt_ratio": (rng.gamma(2.0, 0.2, rows) * 1.8).clip(0, 2.0).round(3),
        }
    )
    new.loc[0, "region"] = "mars"  # a level the model never saw: refused, named, not scored
    replace_table(flat_model.dsn, new, "intake", "new_applications")
    env = flat_model.cli_env(tmp_path)
    runner = CliRunner()
    scored = runner.invoke(
        app,
        ["run", "score-batch", "--model", flat_model.name, "--table", "intake.new_applications"],
        env=env,
    )
    assert scored.exit_code == 0, scored.output
    with connect(flat_model.dsn) as conn:
        counts = conn.execute(
            "select count(*), count(probability), count(problem), "
            "count(*) filter (where decision = 'approve') "
            "from intake.new_applications_scores"
        ).fetchone()
        refused = conn.execute(
            "select application_ref, problem from intake.new_applications_scores "
            "where problem is not null"
        ).fetchall()
        reasons = conn.execute(
            "select jsonb_array_length(reasons) from intake.new_applications_scores "
            "where decision = 'reject' limit 1"
        ).fetchone()
    assert counts is not None
    assert counts[:3] == (rows, rows - 1, 1)
    assert refused == [("N0000", "region: a category training never saw")]
    assert reasons is not None and reasons[0] >= 1

    monitored = runner.invoke(
        app,
        [
            "monitor",
            "--model",
            flat_model.name,
            "--table",
            "intake.new_applications",
            "--no-fail",
            "--output-json",
            str(tmp_path / "summary.json"),
        ],
        env=env,
    )
    assert monitored.exit_code == 0, monitored.output

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"]["name"] == flat_model.name
    drift = {f["feature"]: f for f in summary["features"]}
    assert set(drift) == {"income", "debt_ratio", "region"}
    # The shifted regions and the heavier debt are what moved; the score followed them.
    assert drift["region"]["drifted"] and drift["debt_ratio"]["drifted"]
    assert not drift["income"]["drifted"]
    assert drift["region"]["unseen_categories"] == ["mars"]
    assert summary["metrics"]["score_psi"] > 0.1
    assert summary["reference"]["rows"] == ROWS
    assert summary["status"] == "alert"
    # What to do fits a model trained on a file: retrain it on the file's newer outcomes.
    drifted = next(a for a in summary["alerts"] if a["kind"] == "feature_drift")
    assert f"credit-risk train --dataset FILE --name {flat_model.name}" in drifted["message"]
    page = Path(summary["report_path"])
    assert page.is_file() and "ALERT" in page.read_text()


def test_bad_table_arguments_are_named(
    flat_model: FlatModel, tmp_path: Path, prefect_harness: None
) -> None:
    env = flat_model.cli_env(tmp_path)
    runner = CliRunner()
    missing = runner.invoke(
        app,
        ["run", "score-batch", "--model", flat_model.name, "--table", "intake.nothing"],
        env=env,
    )
    assert missing.exit_code == 2
    assert "--table intake.nothing: no such table" in missing.output
    malformed = runner.invoke(
        app, ["run", "score-batch", "--model", flat_model.name, "--table", "a;drop"], env=env
    )
    assert malformed.exit_code == 2
    assert "give SCHEMA.TABLE" in malformed.output
    unknown = runner.invoke(
        app, ["monitor", "--model", "no-such-model", "--table", "intake.x"], env=env
    )
    assert unknown.exit_code == 2
    assert "no registered model is named 'no-such-model'" in unknown.output
