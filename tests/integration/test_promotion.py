"""Register, gate, promote, roll back: real PostgreSQL, a real MLflow registry, tiny models."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Literal
from unittest import mock

import mlflow
import numpy as np
import pandas as pd
import psycopg
import pytest
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from typer.testing import CliRunner

from cli.main import app
from credit_risk.database import connect
from credit_risk.metrics import classification_metrics
from tests.conftest import drop_database, make_database
from training.registry import manual as champion_changes
from training.registry import promotion, promotion_log
from training.registry import versions as registry
from training.registry.gate import PromotionDecision

pytestmark = pytest.mark.integration

FEATURES = ["x1", "x2", "x3", "x4"]
THRESHOLD = 0.5


def make_frame(n: int, seed: int) -> pd.DataFrame:
    """Risk depends on x1, x2 and x4; x3 is noise; the protected columns are independent of risk."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=FEATURES)
    logit = -0.8 + 1.6 * frame.x1 + 1.2 * frame.x2 + 0.8 * frame.x4
    frame["is_bad"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame["gender"] = rng.choice(["female", "male", "other"], size=n)
    frame["age_band"] = rng.choice(["18-25", "26-35", "36-45", "46-55", "56+"], size=n)
    return frame


TRAIN = make_frame(1500, seed=1)
TEST = make_frame(1500, seed=2)  # stands in for the later, out-of-time months


@pytest.fixture
def model_name(mlflow_experiment: str) -> Iterator[str]:
    """A registered-model name of its own, deleted afterwards."""
    mlflow.set_experiment(mlflow_experiment)
    name = f"credit-risk-test-{uuid.uuid4().hex[:8]}"
    yield name
    client = MlflowClient()
    if client.search_registered_models(f"name = '{name}'"):
        client.delete_registered_model(name)


def log_candidate(columns: Sequence[str], **overrides: float) -> str:
    """Fit a logistic regression on some columns, log it with test metrics; return the run id."""
    pipe = Pipeline(
        [
            ("select", ColumnTransformer([("keep", "passthrough", list(columns))])),
            ("model", LogisticRegression()),
        ]
    )
    pipe.fit(TRAIN[FEATURES], TRAIN.is_bad)
    prob = pipe.predict_proba(TEST[FEATURES])[:, 1]
    metrics = {
        f"test_{k}": v for k, v in classification_metrics(TEST.is_bad, prob, THRESHOLD).items()
    }
    metrics |= {"val_auc": metrics["test_auc"], "threshold": THRESHOLD, **overrides}
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(
            pipe,
            name="model",
            signature=infer_signature(TEST[FEATURES].head(), prob[:5]),
            pip_requirements=["scikit-learn"],
        )
        mlflow.log_metrics(metrics)
    return run.info.run_id


def promote_if_better(
    version: str,
    name: str,
    dsn: str,
    benchmark_uri: str | None = None,
    approval: Literal["automatic", "required"] = "automatic",
) -> PromotionDecision:
    return promotion.promote_if_better(
        version,
        test_frame=TEST,
        target="is_bad",
        feature_columns=FEATURES,
        dsn=dsn,
        model_name=name,
        benchmark_uri=benchmark_uri,
        auc_margin=0.0,
        ece_limit=0.05,
        calibration_tolerance=0.01,
        fairness_tolerance=0.05,
        approval=approval,
    )


def aliases(name: str) -> dict[str, str]:
    return {k: str(v) for k, v in MlflowClient().get_registered_model(name).aliases.items()}


def test_champion_lifecycle(model_name: str, pg_dsn: str) -> None:
    # The first champion claims test AUC 0.99, as if measured on older, easier data.
    good = registry.register_challenger(
        log_candidate(["x1"], test_auc=0.99), model_name=model_name, description="x1 only"
    )
    worse = registry.register_challenger(log_candidate(["x3"]), model_name=model_name)
    better = registry.register_challenger(log_candidate(FEATURES), model_name=model_name)
    assert [str(v.version) for v in (good, worse, better)] == ["1", "2", "3"]
    assert good.tags["threshold"] == "0.5"
    assert float(good.tags["test_auc"]) == 0.99
    assert good.description == "x1 only"
    assert aliases(model_name)["challenger"] == "3"

    # With no champion, the first model must beat the benchmark (here a noise-only model).
    benchmark = f"runs:/{log_candidate(['x3'])}/model"
    alone = promote_if_better("1", model_name, pg_dsn)
    assert alone.failed_checks == ["auc"] and "no scorecard benchmark" in alone.summary
    assert "champion" not in aliases(model_name)
    first = promote_if_better("1", model_name, pg_dsn, benchmark_uri=benchmark)
    assert first.promote, first.summary
    assert "vs scorecard benchmark" in first.summary
    assert aliases(model_name)["champion"] == "1"
    tags = MlflowClient().get_model_version(model_name, "1").tags
    assert tags["gate.auc"].startswith("pass ")
    assert tags["gate.four_fifths.gender"].startswith("pass ")
    assert tags["gate.monotonicity"] == "pass 0.0000 (bound 0.0000)"
    log_id = promotion_log.history(pg_dsn, model_name, limit=1)[0]["id"]
    gates = promotion_log.gates_of(pg_dsn, log_id)
    assert [g["gate"] for g in gates] == [
        "auc",
        "calibration_limit",
        "monotonicity",
        "four_fifths:gender",
        "four_fifths:age_band",
    ]
    assert all(g["passed"] for g in gates) and gates[0]["value"] > 0

    kept = promote_if_better("2", model_name, pg_dsn)
    assert not kept.promote
    assert "auc" in kept.failed_checks
    assert aliases(model_name)["champion"] == "1"
    # The champion was re-scored on this test set, not trusted at its recorded 0.99.
    assert kept.champion_metrics is not None
    assert 0.6 < kept.champion_metrics["test_auc"] < 0.9
    tags = MlflowClient().get_model_version(model_name, "2").tags
    assert tags["promotion_decision"] == "keep"
    assert "the gain could be noise" in tags["promotion_reason"]
    assert tags["gate.auc"].startswith("fail ")
    assert "promoted_at" not in tags
    # The registry UI shows the decision under the version, in one sentence.
    description = MlflowClient().get_model_version(model_name, "2").description
    assert description.startswith("Not promoted on ") and "the gain could be noise" in description
    assert description.count(". ") == 0

    promoted = promote_if_better("3", model_name, pg_dsn)
    assert promoted.promote, promoted.summary
    assert aliases(model_name) == {"champion": "3", "previous-champion": "1", "challenger": "3"}
    tags = MlflowClient().get_model_version(model_name, "3").tags
    assert tags["promotion_decision"] == "promote"
    assert tags["promoted_by"] == "pipeline"
    assert "promoted_at" in tags
    description = MlflowClient().get_model_version(model_name, "3").description
    assert (
        description.startswith("Champion since ") and "passed every promotion gate" in description
    )

    rows = promotion_log.history(pg_dsn, model_name, limit=10)
    assert [r["action"] for r in rows] == ["promote", "keep", "promote", "keep"]
    assert (rows[0]["previous_champion_version"], rows[0]["new_champion_version"]) == (1, 3)
    assert (rows[1]["challenger_version"], rows[1]["new_champion_version"]) == (2, 1)
    assert "vs champion v1" in rows[1]["reason"]
    assert rows[0]["champion_metrics"]["test_auc"] == pytest.approx(
        kept.champion_metrics["test_auc"]
    )
    assert rows[2]["champion_metrics"] == {}

    back = champion_changes.rollback(actor="cli:tester", dsn=pg_dsn, model_name=model_name)
    assert (back.previous_champion_version, back.new_champion_version) == (3, 1)
    assert aliases(model_name)["champion"] == "1"
    assert "previous-champion" not in aliases(model_name)  # 1 was the first champion
    with pytest.raises(ValueError, match="first champion"):
        champion_changes.rollback(actor="cli:tester", dsn=pg_dsn, model_name=model_name)

    manual = champion_changes.promote_version(
        3, actor="cli:tester", reason="incident fixed", dsn=pg_dsn, model_name=model_name
    )
    assert manual.previous_champion_version == 1
    description = MlflowClient().get_model_version(model_name, "3").description
    assert "by hand, not by the gate: cli:tester: incident fixed" in description
    assert aliases(model_name)["champion"] == "3"
    assert aliases(model_name)["previous-champion"] == "1"
    with pytest.raises(ValueError, match="already the champion"):
        champion_changes.promote_version(
            3, actor="cli:tester", reason="", dsn=pg_dsn, model_name=model_name
        )
    with pytest.raises(
        ValueError, match=rf"model {model_name} has no version 7; versions: 1, 2, 3"
    ):
        champion_changes.promote_version(
            7, actor="cli:tester", reason="", dsn=pg_dsn, model_name=model_name
        )

    rows = promotion_log.history(pg_dsn, model_name, limit=None)
    assert [r["action"] for r in rows] == [
        "manual_promote",
        "rollback",
        "promote",
        "keep",
        "promote",
        "keep",
    ]
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    assert rows[0]["actor"] == "cli:tester"
    assert rows[0]["reason"] == "incident fixed"
    # A manual promotion has no common test set: it records the metrics as registered.
    assert rows[0]["champion_metrics"]["test_auc"] == 0.99
    assert rows[0]["challenger_metrics"]["threshold"] == 0.5
    assert rows[1]["reason"].startswith("rollback of the promotion of version 3")
    assert len(promotion_log.history(pg_dsn, model_name, limit=2)) == 2


def test_approval_mode_waits_for_a_person(
    model_name: str, pg_dsn: str, mlflow_tracking_uri: str, tmp_path: object
) -> None:
    benchmark = f"runs:/{log_candidate(['x3'])}/model"
    first = registry.register_challenger(log_candidate(["x1"]), model_name=model_name)
    held = promote_if_better(first.version, model_name, pg_dsn, benchmark, approval="required")
    assert not held.promote and held.awaiting_approval
    assert held.action == "awaiting_approval"
    assert held.reasons[0].startswith("passed every gate; awaiting approval")
    assert "champion" not in aliases(model_name)
    assert aliases(model_name)["awaiting-approval"] == "1"
    tags = MlflowClient().get_model_version(model_name, "1").tags
    assert tags["promotion_decision"] == "awaiting_approval"
    assert promotion_log.history(pg_dsn, model_name)[0]["action"] == "awaiting_approval"

    with pytest.raises(ValueError, match=r"reason: say why"):
        champion_changes.approve(1, by="Ana", reason=" ", dsn=pg_dsn, model_name=model_name)
    env = {
        "CREDIT_DATABASE__DSN": pg_dsn,
        "CREDIT_MLFLOW__TRACKING_URI": mlflow_tracking_uri,
        "CREDIT_MLFLOW__REGISTERED_MODEL": model_name,
        "CREDIT_PATHS__STATE_DIR": str(tmp_path),
    }
    with mock.patch.dict(os.environ, env):
        result = CliRunner().invoke(
            app,
            ["model", "approve", "--version", "1", "--by", "Ana Ruiz", "--reason", "validated"],
        )
    assert result.exit_code == 0, result.output
    assert "champion - → 1, approved by Ana Ruiz" in result.stdout
    assert aliases(model_name)["champion"] == "1"
    assert "awaiting-approval" not in aliases(model_name)
    entry = promotion_log.history(pg_dsn, model_name)[0]
    assert (entry["action"], entry["actor"]) == ("approve", "Ana Ruiz")
    assert entry["reason"].startswith("approved by Ana Ruiz: validated")
    with pytest.raises(ValueError, match="is not awaiting approval"):
        champion_changes.approve(1, by="Ana", reason="again", dsn=pg_dsn, model_name=model_name)

    second = registry.register_challenger(log_candidate(FEATURES), model_name=model_name)
    waiting = promote_if_better(second.version, model_name, pg_dsn, approval="required")
    assert waiting.awaiting_approval, waiting.summary
    log_id = champion_changes.reject(
        second.version, by="Ben", reason="stress test pending", dsn=pg_dsn, model_name=model_name
    )
    assert aliases(model_name)["champion"] == "1"
    rows = promotion_log.history(pg_dsn, model_name)
    assert (rows[0]["id"], rows[0]["action"], rows[0]["actor"]) == (log_id, "reject", "Ben")
    assert (
        MlflowClient().get_model_version(model_name, second.version).tags["promotion_decision"]
        == "reject"
    )


def test_concurrent_promotions_leave_one_unbroken_chain(model_name: str, pg_dsn: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    run_id = log_candidate(FEATURES)
    versions = [
        str(registry.register_challenger(run_id, model_name=model_name).version) for _ in range(6)
    ]

    def promote(version: str) -> int:
        return champion_changes.promote_version(
            version, actor="test", reason="race", dsn=pg_dsn, model_name=model_name
        ).log_id

    with ThreadPoolExecutor(len(versions)) as pool:
        log_ids = list(pool.map(promote, versions))
    entries = sorted(promotion_log.history(pg_dsn, model_name, limit=None), key=lambda e: e["id"])
    assert sorted(log_ids) == [e["id"] for e in entries]
    assert entries[0]["previous_champion_version"] is None
    for earlier, later in itertools.pairwise(entries):
        assert later["previous_champion_version"] == earlier["new_champion_version"], entries
    assert aliases(model_name)["champion"] == str(entries[-1]["new_champion_version"])


def test_concurrent_rollbacks_walk_back_one_champion_each(model_name: str, pg_dsn: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    run_id = log_candidate(FEATURES)
    versions = [
        str(registry.register_challenger(run_id, model_name=model_name).version) for _ in range(4)
    ]
    for version in versions:
        champion_changes.promote_version(
            version, actor="test", reason="setup", dsn=pg_dsn, model_name=model_name
        )

    def roll_back(_: int) -> int:
        return champion_changes.rollback(
            actor="test", dsn=pg_dsn, model_name=model_name
        ).new_champion_version

    with ThreadPoolExecutor(3) as pool:
        restored = sorted(pool.map(roll_back, range(3)))
    assert restored == sorted(int(v) for v in versions[:3])
    assert aliases(model_name)["champion"] == versions[0]
    entries = sorted(promotion_log.history(pg_dsn, model_name, limit=None), key=lambda e: e["id"])
    for earlier, later in itertools.pairwise(entries):
        assert later["previous_champion_version"] == earlier["new_champion_version"], entries
    rollbacks = [e for e in entries if e["action"] == "rollback"]
    assert [(e["previous_champion_version"], e["new_champion_version"]) for e in rollbacks] == [
        (int(versions[3]), int(versions[2])),
        (int(versions[2]), int(versions[1])),
        (int(versions[1]), int(versions[0])),
    ]


def test_rollback_and_promote_explain_what_is_missing(model_name: str, pg_dsn: str) -> None:
    with pytest.raises(ValueError, match="not registered yet"):
        champion_changes.promote_version(1, actor="t", reason="", dsn=pg_dsn, model_name=model_name)
    with pytest.raises(ValueError, match=r"no promotion in governance\.promotion_log"):
        champion_changes.rollback(actor="t", dsn=pg_dsn, model_name=model_name)
    assert promotion_log.history(pg_dsn, model_name) == []


def test_log_table_is_idempotent(pg_dsn: str) -> None:
    for _ in range(2):
        promotion_log.record(
            pg_dsn, model_name="m", action="keep", actor="t", reason="r", challenger_version="4"
        )
    rows = promotion_log.history(pg_dsn, "m")
    assert [r["challenger_version"] for r in rows] == [4, 4]
    with pytest.raises(ValueError, match="not one of"):
        promotion_log.record(pg_dsn, model_name="m", action="demote", actor="t", reason="r")


def test_cli(model_name: str, pg_dsn: str, mlflow_tracking_uri: str, tmp_path: object) -> None:
    first = registry.register_challenger(log_candidate(["x1"]), model_name=model_name)
    second = registry.register_challenger(log_candidate(FEATURES), model_name=model_name)
    env = {
        "CREDIT_DATABASE__DSN": pg_dsn,
        "CREDIT_MLFLOW__TRACKING_URI": mlflow_tracking_uri,
        "CREDIT_MLFLOW__REGISTERED_MODEL": model_name,
        "CREDIT_PATHS__STATE_DIR": str(tmp_path),
    }
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        # prepare_runtime exports variables into os.environ; keep them out of other tests.
        with mock.patch.dict(os.environ, env):
            result = runner.invoke(app, ["model", *args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = invoke("history")
    assert (code, out.strip()) == (0, f"no promotion decisions logged for {model_name} yet")

    code, out, err = invoke("promote", "--version", str(first.version), "--reason", "bootstrap")
    assert code == 0, err
    assert f"{model_name}: champion - → 1" in out
    code, out, err = invoke("promote", "--version", str(second.version))
    assert code == 0, err

    code, out, err = invoke("promote", "--version", "99")
    assert code != 0
    assert f"model {model_name} has no version 99; versions: 1, 2" in err

    code, out, err = invoke("rollback", "--reason", "bad scores")
    assert code == 0, err
    assert "champion 2 → 1 rolled back" in out

    code, out, _ = invoke("history")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["when", "action", "actor", "candidate"]
    assert [line.split()[3] for line in lines[2:]] == [
        "rollback",
        "manual_promote",
        "manual_promote",
    ]
    assert "bad scores" in lines[2]

    code, out, _ = invoke("history", "--json", "--limit", "1")
    rows = json.loads(out)
    assert len(rows) == 1
    assert rows[0]["action"] == "rollback"

    code, out, _ = invoke("list")
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()[2:]] == [
        ["2", "challenger"],
        ["1", "champion"],
    ]

    code, out, _ = invoke("info")
    assert code == 0
    assert out.startswith(f"{model_name} version 1")
    assert "promotion_decision" in out

    code, _, err = invoke("info", "--version", "5")
    assert code != 0
    assert "no version 5" in err


def test_a_log_table_from_an_older_release_accepts_the_approval_actions(pg_server: str) -> None:
    dsn = make_database(pg_server, "old_promotion_log")
    try:
        with connect(dsn) as conn:
            conn.execute("create schema governance")
            conn.execute(
                "create table governance.promotion_log ("
                " id bigint generated always as identity primary key,"
                " decided_at timestamptz not null default now(), model_name text not null,"
                " action text not null"
                "  check (action in ('promote', 'keep', 'manual_promote', 'rollback')),"
                " actor text not null, reason text not null, challenger_version integer,"
                " previous_champion_version integer, new_champion_version integer,"
                " challenger_metrics jsonb not null default '{}'::jsonb,"
                " champion_metrics jsonb not null default '{}'::jsonb)"
            )
            conn.execute(
                "insert into governance.promotion_log (model_name, action, actor, reason)"
                " values ('m', 'promote', 'old', 'kept')"
            )
        promotion_log.record(dsn, model_name="m", action="awaiting_approval", actor="t", reason="r")
        assert [r["action"] for r in promotion_log.history(dsn, "m")] == [
            "awaiting_approval",
            "promote",
        ]
        with pytest.raises(psycopg.errors.CheckViolation), connect(dsn) as conn:
            conn.execute(
                "insert into governance.promotion_log (model_name, action, actor, reason)"
                " values ('m', 'demote', 't', 'x')"
            )
    finally:
        drop_database(pg_server, dsn)
