"""The console's pages, each run by Streamlit's own test harness against the real service,
database and registry; tests/integration/test_console_browser.py drives them in Chromium."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from credit_risk.database import connect
from tests.integration.champion import Champion
from tests.integration.service import API_KEY

pytestmark = pytest.mark.integration

PAGES = Path(__file__).resolve().parents[2] / "console" / "pages"
TIMEOUT = 60


@pytest.fixture
def console_env(
    champion: Champion,
    server: dict[str, Any],
    mlflow_tracking_uri: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> Iterator[Champion]:
    """The console's settings point at the session's champion, its service and its book."""
    # AppTest runs a page as the process's __main__ and leaves it there; a later spawned
    # process (Dask's workers in test_dask_training) would re-run that page as its main module.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    for key, value in {
        "CREDIT_DATABASE__DSN": champion.dsn,
        "CREDIT_MLFLOW__TRACKING_URI": mlflow_tracking_uri,
        "CREDIT_MLFLOW__REGISTERED_MODEL": champion.model_name,
        "CREDIT_CONSOLE__SERVICE_URL": server["base"],
        "CREDIT_SERVING__API_KEY": API_KEY,
        "CREDIT_PATHS__STATE_DIR": str(tmp_path / "state"),
    }.items():
        monkeypatch.setenv(key, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield champion
    st.cache_resource.clear()
    st.cache_data.clear()


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _submit(at: AppTest) -> AppTest:
    submit = next(b for b in at.button if b.label == "Score the application")
    submit.click().run()
    assert not at.exception, at.exception
    return at


def test_apply_scores_the_application_and_explains_it(console_env: Champion) -> None:
    at = _page("apply_page")
    at.number_input(key="app_monthly_income").set_value(2_000.0)
    at.number_input(key="app_existing_monthly_debt").set_value(900.0)
    at.number_input(key="app_loan_amount").set_value(60_000.0)
    _submit(at)
    body, result = at.session_state["decision"]
    assert body["monthly_income"] == 2_000.0
    assert result["model_version"] == console_env.version
    text = " ".join(m.value for m in at.markdown)
    assert ("APPROVE" if result["decision"] == "approve" else "REJECT") in text
    assert str(result["credit_score"]) in text
    for reason in result["reasons"]:
        assert reason["text"] in text
    # A stretched applicant is rejected, with the reasons a notice would state.
    assert result["decision"] == "reject" and result["reasons"]


def test_what_if_more_income_moves_the_score_up(console_env: Champion) -> None:
    at = _page("apply_page")
    at.number_input(key="app_monthly_income").set_value(2_500.0)
    at.number_input(key="app_existing_monthly_debt").set_value(800.0)
    _submit(at)
    _, first = at.session_state["decision"]
    at.number_input(key="whatif_monthly_income").set_value(9_000.0)
    at.button(key="whatif_score").click().run()
    assert not at.exception, at.exception
    changed, second = at.session_state["what_if"]
    assert changed["monthly_income"] == 9_000.0
    assert changed["existing_monthly_debt"] == 800.0  # everything else as applied
    assert second["credit_score"] > first["credit_score"]
    change = next(m for m in at.metric if m.label == "Credit score change")
    assert change.value == str(second["credit_score"])


def test_bad_input_names_the_field_and_scores_nothing(console_env: Champion) -> None:
    at = _page("apply_page")
    at.number_input(key="app_age_years").set_value(15)
    at.number_input(key="app_monthly_income").set_value(-5.0)
    _submit(at)
    errors = " ".join(e.value for e in at.error)
    assert "**Age (years)**: Input should be greater than or equal to 18" in errors
    assert "**Monthly income**" in errors
    assert "decision" not in at.session_state


def test_portfolio_shows_the_marts(console_env: Champion) -> None:
    with connect(console_env.dsn) as conn:
        summary = conn.execute(
            "select npa_ratio, default_rate, loans from marts.portfolio_summary"
        ).fetchone()
        late = conn.execute(
            "select count(*) from marts.loans_with_consecutive_late_payments"
        ).fetchone()
    assert summary is not None and late is not None
    at = _page("portfolio_page")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["NPA ratio"] == f"{float(summary[0]):.2%}"
    assert metrics["Default rate"] == f"{float(summary[1]):.2%}"
    assert metrics["Loans"] == f"{int(summary[2]):,}"
    subheaders = [s.value for s in at.subheader]
    assert f"Loans late on their last three instalments ({late[0]:,})" in subheaders


def test_models_shows_the_champion_with_its_gates(console_env: Champion) -> None:
    at = _page("models_page")
    subheaders = [s.value for s in at.subheader]
    assert any(s.startswith(f"Champion: version {console_env.version} ") for s in subheaders)
    labels = [m.label for m in at.metric]
    assert "test auc" in labels


def test_monitoring_shows_the_latest_alerts_and_history(
    console_env: Champion, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitoring.store import ensure_tables

    ensure_tables(pg_dsn)
    with connect(pg_dsn) as conn:
        for started, status, psi in (("2026-11-01", "ok", 0.04), ("2026-12-01", "alert", 0.31)):
            run_id = conn.execute(
                """
                insert into monitoring.monitoring_runs (started_at, finished_at, model_name,
                    model_version, current_kind, current_description, reference_rows,
                    current_rows, current_rows_in_window, score_psi, drifted_count,
                    drifted_share, alert_count, status, feature_psi, summary)
                values (%s, %s, %s, 1, 'window', 'the last 7 days', 100, 100, 100, %s, 0, 0,
                    %s, %s, '{}', '{}')
                returning id
                """,
                (started, started, console_env.model_name, psi, int(status == "alert"), status),
            ).fetchone()
        assert run_id is not None
        conn.execute(
            "insert into monitoring.alerts (run_id, raised_at, kind, subject, value, threshold, "
            "message) values (%s, %s, 'score_psi', 'probability', 0.31, 0.25, %s)",
            (run_id[0], datetime.now(UTC), "score PSI 0.31 > 0.25: consider retraining"),
        )
    monkeypatch.setenv("CREDIT_DATABASE__DSN", pg_dsn)
    st.cache_resource.clear()
    at = _page("monitoring_page")
    assert at.error[0].value.endswith("1 alerts")
    assert "score PSI 0.31 > 0.25: consider retraining" in at.warning[0].value
    assert len(at.dataframe[0].value) == 2
