"""check_drift and retrain_on_drift on real PostgreSQL, dbt, MLflow, Evidently and Prefect.

One small book (3,000 applications) trains a logistic-regression champion; a baseline batch with
another seed and a recession batch of the same people are compared with its training window.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from psycopg.types.json import Jsonb

from credit_risk.database import connect
from tests.books import STANDARD, BookTemplates
from tests.conftest import drop_database, environment, project_environment
from tests.integration.champion import promote_trained

pytestmark = pytest.mark.integration

STABLE = "stable_batch"
RECESSION = "recession_batch"
# The synthetic book defaults (15% bad rate) run far above a real lender's appetite (NPA 5%,
# defaults 10%); these limits fit it, so only a real worsening breaches them.
BOOK_LIMITS = {
    "CREDIT_MONITORING__NPA_RATIO_MAX": "0.30",
    "CREDIT_MONITORING__DEFAULT_RATE_MAX": "0.15",
    "CREDIT_MONITORING__EARLY_WARNING_SHARE_MAX": "0.03",
}


@dataclass(frozen=True)
class Book:
    dsn: str
    model_name: str
    version: int
    reports: Path


class Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint that keeps every JSON body it is sent."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def book(
    books: BookTemplates,
    pg_server: str,
    mlflow_tracking_uri: str,
    prefect_harness: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Book]:
    root = Path(tmp_path_factory.mktemp("monitoring"))
    dsn = books.copy(STANDARD, "monitoring")
    env = {
        **project_environment(root, dsn, mlflow_tracking_uri, "monitoring"),
        **BOOK_LIMITS,
        # The retraining's stress book is test_pipeline_flow's to check; here it would add the
        # generation and dbt build of 5,000 more applications to every run.
        "CREDIT_TRAINING__STRESS_APPLICATIONS": "0",
    }
    with environment(env):
        yield _trained_book(dsn, env, root)
    drop_database(pg_server, dsn)


def _trained_book(dsn: str, env: dict[str, str], root: Path) -> Book:
    """A baseline book with a promoted champion, plus a stable and a recession batch."""
    from credit_risk.labelled_features import load_training_frame
    from credit_risk.synthetic.config import GeneratorConfig
    from credit_risk.synthetic.loader import load_raw
    from credit_risk.tracking import ensure_experiment
    from monitoring.current import build_batch

    experiment = env["CREDIT_MLFLOW__EXPERIMENT"]
    ensure_experiment(experiment, root / "artifacts")
    name = env["CREDIT_MLFLOW__REGISTERED_MODEL"]
    version, _ = promote_trained(
        dsn,
        load_training_frame(dsn),
        experiment=experiment,
        model_name=name,
        reason="monitoring tests",
        candidate="logistic_regression",
    )
    load_raw(dsn, GeneratorConfig(applications=STANDARD.applications, seed=12), schema=STABLE)
    recession = GeneratorConfig(
        applications=STANDARD.applications, seed=STANDARD.seed, scenario="recession"
    )
    load_raw(dsn, recession, schema=RECESSION)
    for batch in (STABLE, RECESSION):
        build_batch(dsn, batch, root / "dbt-target")
    return Book(dsn, name, version, root / "reports")


@pytest.fixture(scope="module")
def recession_run(book: Book) -> Iterator[dict[str, Any]]:
    """retrain_on_drift on the recession batch, with a webhook listening on loopback."""
    from flows.drift import retrain_on_drift

    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    os.environ["CREDIT_MONITORING__WEBHOOK_URL"] = f"http://127.0.0.1:{server.server_port}/alerts"
    try:
        result = retrain_on_drift(
            batch=RECESSION,
            model_name=book.model_name,
            retrain=True,
            candidates=["logistic_regression"],  # the default path: validate, dbt build, train
        )
    finally:
        os.environ.pop("CREDIT_MONITORING__WEBHOOK_URL", None)
        server.shutdown()
        server.server_close()
    yield {"result": result, "received": list(Receiver.received)}


def _alert_names(result: dict[str, Any]) -> set[str]:
    return {alert["name"] for alert in result["alerts"]}


def test_a_stable_batch_raises_no_alert(book: Book) -> None:
    from flows.drift import check_drift

    result = check_drift(batch=STABLE, model_name=book.model_name, dsn=book.dsn)

    assert result["status"] == "ok", result["headline"]
    assert result["alerts"] == []
    assert result["metrics"]["score_psi_band"] == "stable"
    assert result["metrics"]["drifted_features"] == {}
    assert Path(result["reports"]["drift"]).stat().st_size > 100_000
    page = Path(result["report_path"]).read_text()
    assert Path(result["report_path"]).name == "index.html"
    assert "<h1>Monitoring: OK</h1>" in page and "No threshold was breached" in page
    with connect(book.dsn) as conn:
        status = conn.execute(
            "select status, alert_count from monitoring.monitoring_runs where mlflow_run_id = %s",
            (result["mlflow_run_id"],),
        ).fetchone()
    assert status == ("ok", 0)


def test_a_recession_batch_raises_score_psi_and_dti_alerts(
    book: Book, recession_run: dict[str, Any]
) -> None:
    result = recession_run["result"]
    names = _alert_names(result)

    assert {"score_psi:probability", "mean_shift:dti"} <= names
    assert result["metrics"]["score_psi"] >= 0.25
    assert result["metrics"]["score_psi_band"] == "act"
    dti = next(a for a in result["alerts"] if a["name"] == "mean_shift:dti")
    assert "retrain" in dti["message"] and dti["value"] > 0.10
    with connect(book.dsn) as conn:
        kinds = conn.execute(
            "select a.kind || ':' || a.subject from monitoring.alerts as a "
            "join monitoring.monitoring_runs as r on r.id = a.run_id "
            "where r.mlflow_run_id = %s",
            (result["mlflow_run_id"],),
        ).fetchall()
    assert {k for (k,) in kinds} == names


def test_the_alerts_page_comes_first_and_agrees_with_the_run(
    book: Book, recession_run: dict[str, Any]
) -> None:
    result = recession_run["result"]
    page_path = Path(result["report_path"])
    page = page_path.read_text()

    assert f"id='headline'>ALERT ({len(result['alerts'])})" in page
    listed = set(re.findall(r"data-name='([^']+)'", page))
    assert listed == _alert_names(result)
    assert "href='drift.html'" in page and "href='quality.html'" in page
    with connect(book.dsn) as conn:
        stored = conn.execute(
            "select report_path from monitoring.monitoring_runs where mlflow_run_id = %s",
            (result["mlflow_run_id"],),
        ).fetchone()
    assert stored == (str(page_path),)
    latest = (book.reports / "monitoring" / "latest.html").read_text()
    newest = max(book.reports.glob("monitoring/*/v*/*/index.html"), key=lambda p: p.parent.name)
    assert f"url={newest.relative_to(book.reports / 'monitoring').as_posix()}" in latest


def test_each_run_adds_its_snapshots_to_the_evidently_history(
    book: Book, recession_run: dict[str, Any]
) -> None:
    from evidently.core.report import Snapshot
    from evidently.ui.workspace import Workspace

    from monitoring.drift import metric_values

    result = recession_run["result"]
    workspace = Workspace(str(book.reports.parent / "state" / "evidently"))
    (project,) = workspace.search_project(book.model_name)
    panels = [p.title for p in workspace.get_dashboard(project.id).panels]
    assert panels == [
        "Score PSI",
        "Share of drifted features",
        "AUC on mature labels",
        "KS on mature labels",
        "Missing share of the key factors",
    ]
    runs = {}
    for snapshot_id in workspace.list_runs(project.id):
        model = workspace.get_run(project.id, snapshot_id)
        assert model is not None
        runs[model.name] = metric_values(Snapshot.load_model(model))
    stamp = Path(result["report_path"]).parent.name
    drift, quality = runs[f"{stamp} drift"], runs[f"{stamp} quality"]
    assert drift[("ValueDrift", "probability")] == pytest.approx(result["metrics"]["score_psi"])
    assert drift[("DriftedColumnsCount", None)]["share"] == pytest.approx(
        result["metrics"]["drifted_share"]
    )
    assert quality[("RocAuc", None)] == pytest.approx(result["quality"]["auc"])
    # The history's own snapshots: score PSI with its bands, and KS, each tagged for its panel.
    by_method = {}
    for name in ("score", "ks"):
        model = next(
            workspace.get_run(project.id, i)
            for i in workspace.list_runs(project.id)
            if getattr(workspace.get_run(project.id, i), "name", "") == f"{stamp} {name}"
        )
        assert model is not None and list(model.tags) == [name]
        for metric in json.loads(Snapshot.load_model(model).dumps())["metric_results"].values():
            params = metric["metric_value_location"]["metric"]["params"]
            by_method[params["method"]] = metric["value"]
    assert by_method["decile_psi"] == pytest.approx(result["metrics"]["score_psi"])
    assert (by_method["psi_watch_band"], by_method["psi_act_band"]) == (0.10, 0.25)
    assert by_method["ks_statistic"] == pytest.approx(result["quality"]["ks"])


def test_quality_is_measured_on_mature_labels(recession_run: dict[str, Any]) -> None:
    quality = recession_run["result"]["quality"]

    assert quality["available"] is True
    assert quality["mature_rows"] >= 200
    assert 0.5 < quality["auc"] <= 1.0
    assert quality["auc_delta"] == pytest.approx(quality["auc"] - quality["champion_auc"])
    assert quality["bad_rate"] > quality["champion_bad_rate"]  # the recession defaults more
    assert len(quality["by_vintage"]) >= 12


def test_the_webhook_receives_the_alerts(recession_run: dict[str, Any]) -> None:
    received = recession_run["received"]

    assert len(received) == 1
    body = received[0]
    assert body["status"] == "alert"
    assert {a["name"] for a in body["alerts"]} == _alert_names(recession_run["result"])
    assert recession_run["result"]["alerts"]  # and the run says the webhook accepted them
    summary = json.loads(
        Path(recession_run["result"]["report_path"]).with_name("summary.json").read_text()
    )
    assert summary["webhook"]["ok"] is True and summary["webhook"]["status"] == 204


def test_retraining_starts_on_drift_and_the_gate_decides(
    book: Book, recession_run: dict[str, Any]
) -> None:
    retraining = recession_run["result"]["retraining"]

    assert retraining["challenger_version"] == book.version + 1
    assert retraining["decision"] in {"promote", "keep"}
    assert retraining["reasons"]
    with connect(book.dsn) as conn:
        logged = conn.execute(
            "select action from governance.promotion_log where model_name = %s "
            "and challenger_version = %s",
            (book.model_name, retraining["challenger_version"]),
        ).fetchall()
    assert logged == [(retraining["decision"],)]  # the gate decided, whichever way


def test_scores_without_mature_labels_get_no_quality_section(book: Book) -> None:
    from flows.drift import check_drift
    from serving.decision_log import ensure_table

    ensure_table(book.dsn)
    scored_at = datetime.now(UTC) - timedelta(hours=1)
    with connect(book.dsn) as conn:
        # The newest applications: their loans cannot have a mature label yet.
        conn.execute(
            """
            insert into serving.scoring_log (scored_at, application_id, model_name, model_version,
                probability, credit_score, risk_band, decision, threshold, reasons, features,
                request_source)
            select %(at)s, f.application_id::text, %(model)s, %(version)s, 0.1, 650, 'low',
                   'approve', 0.1, '[]'::jsonb, to_jsonb(f) - 'application_id' - 'customer_id'
                   - 'applied_on', 'score'
            from marts.application_features as f
            order by f.applied_on desc
            limit 600
            """,
            {"at": scored_at, "model": book.model_name, "version": book.version},
        )
    result = check_drift(window="6h", model_name=book.model_name, dsn=book.dsn, fail_on_alert=False)

    assert result["current"]["rows_in_window"] == 600
    assert result["quality"]["available"] is False
    assert "mature labels" in result["quality"]["reason"]


def test_an_empty_window_gives_a_clear_message(book: Book) -> None:
    from flows.drift import check_drift
    from serving.decision_log import ensure_table

    ensure_table(book.dsn)
    until = datetime(2020, 1, 2, tzinfo=UTC)
    result = check_drift(
        since="2020-01-01", until=until.isoformat(), model_name=book.model_name, dsn=book.dsn
    )

    assert result["status"] == "no_data"
    assert "no applications were scored" in result["message"]
    assert "--window" in result["message"]


def test_alerts_fail_the_flow_run_unless_asked_to_warn(book: Book) -> None:
    from flows.drift import check_drift

    state = check_drift(
        batch=RECESSION,
        model_name=book.model_name,
        dsn=book.dsn,
        fail_on_alert=True,
        sample_rows=1000,
        return_state=True,
    )

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert type(error).__name__ == "DriftAlertError"
    assert "score PSI" in str(error) and "Report:" in str(error)


# Ids the service logs: a caller's numeric id, a generated UUID, a caller's string, and digit
# strings no application can have (beyond bigint, or simply unknown).
FOREIGN_IDS = [
    *[str(uuid.UUID(int=n)) for n in range(1, 41)],
    "9223372036854775808",
    "123456789012345678901234567890",
    "999999999",
    "web-000123",
]


def test_a_window_of_mixed_application_ids_labels_only_stored_ones(book: Book) -> None:
    from flows.drift import check_drift
    from monitoring.current import load_current
    from monitoring.window import select
    from serving.decision_log import ensure_table

    ensure_table(book.dsn)
    scored_at = datetime(2021, 3, 1, 12, tzinfo=UTC)
    with connect(book.dsn) as conn:
        # Stored applications with a mature label, then rows that carry foreign ids.
        rows = conn.execute(
            """
            select f.application_id, to_jsonb(f) - 'application_id' - 'customer_id'
                   - 'applied_on', l.is_mature
            from marts.application_features as f
            left join marts.application_labels as l using (application_id)
            order by l.is_mature is true desc, f.application_id
            limit %(limit)s
            """,
            {"limit": 300 + len(FOREIGN_IDS)},
        ).fetchall()
        matched = [(str(app_id), features) for app_id, features, _ in rows[:300]]
        foreign = [(i, f) for i, (_, f, _) in zip(FOREIGN_IDS, rows[300:], strict=True)]
        assert all(mature for _, _, mature in rows[:300])
        with conn.cursor() as cur:
            cur.executemany(
                """
                insert into serving.scoring_log (scored_at, application_id, model_name,
                    model_version, probability, credit_score, risk_band, decision, threshold,
                    reasons, features, request_source)
                values (%(at)s, %(id)s, %(model)s, %(version)s, 0.1, 650, 'low', 'approve', 0.1,
                    '[]'::jsonb, %(features)s, 'score')
                """,
                [
                    {
                        "at": scored_at,
                        "id": app_id,
                        "model": book.model_name,
                        "version": book.version,
                        "features": Jsonb(features),
                    }
                    for app_id, features in [*matched, *foreign]
                ],
            )
    since, until = "2021-03-01", "2021-03-02"

    state = check_drift(
        since=since,
        until=until,
        model_name=book.model_name,
        dsn=book.dsn,
        fail_on_alert=False,
        return_state=True,
    )

    assert state.is_completed(), state.message
    result = state.result()
    assert result["current"]["rows_in_window"] == 300 + len(FOREIGN_IDS)
    assert result["quality"]["available"] is True, result["quality"]["reason"]
    assert result["quality"]["mature_rows"] == 300
    current = load_current(
        book.dsn,
        select(since=since, until=until),
        sample_rows=10_000,
        default_window=(date(2020, 1, 1), date(2020, 12, 31)),
    ).frame
    unlabelled = current.loc[current["is_mature"].isna(), "application_id"]
    assert sorted(unlabelled) == sorted(FOREIGN_IDS)
    assert current.loc[current["is_mature"].notna(), "is_mature"].all()
    assert sorted(current.loc[current["is_mature"].notna(), "application_id"]) == sorted(
        app_id for app_id, _ in matched
    )
