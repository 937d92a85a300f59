"""The dbt feature layer on generated data: builds clean, has sane marts, fails loudly and by name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credit_risk.contract import FEATURES, KEY_COLUMNS
from credit_risk.database import connect
from credit_risk.feature_build import FeatureBuildError, FeatureBuildResult, build_features
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.loader import load_raw
from tests.books import STANDARD, BookTemplates
from tests.conftest import drop_database, make_database

pytestmark = pytest.mark.integration

APPLICATIONS = STANDARD.applications


@pytest.fixture(scope="module")
def built(books: BookTemplates) -> Iterator[tuple[str, FeatureBuildResult]]:
    """A copy of the standard book, with the result of the `dbt build` that made its marts."""
    dsn = books.copy(STANDARD, "dbt")
    yield dsn, books.build(STANDARD)[1]
    books.drop(dsn)


def _one(dsn: str, sql: str) -> Any:
    with connect(dsn) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def test_build_runs_models_data_tests_and_unit_tests(built: tuple[str, FeatureBuildResult]) -> None:
    _, result = built
    assert result.success and not result.failures
    assert result.invocation_id
    assert set(result.counts) == {"success", "pass"}
    run = json.loads((result.target_path / "run_results.json").read_text())
    kinds = {r["unique_id"].split(".")[0] for r in run["results"]}
    assert {"model", "test", "unit_test"} <= kinds
    assert (result.log_path / "dbt.log").is_file()


def test_schemas_are_named_by_layer(built: tuple[str, FeatureBuildResult]) -> None:
    dsn, _ = built
    with connect(dsn) as conn:
        schemas = {
            row[0]
            for row in conn.execute(
                "select table_schema from information_schema.tables "
                "where table_name in ('stg_raw__loans', 'int_applications_history_joined', "
                "'application_features')"
            )
        }
    assert schemas == {"staging", "intermediate", "marts"}


def test_one_feature_row_per_application(built: tuple[str, FeatureBuildResult]) -> None:
    dsn, _ = built
    rows, distinct = _one(
        dsn, "select count(*), count(distinct application_id) from marts.application_features"
    )
    assert rows == distinct == APPLICATIONS
    with connect(dsn) as conn:
        columns = {
            row[0]: row[1]
            for row in conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'application_features'"
            )
        }
    features = {f.name: f.sql_type for f in FEATURES}
    assert len(set(columns) & set(features)) >= 40
    assert columns == dict(KEY_COLUMNS) | features


def test_features_have_signal_and_missing_values_stay_missing(
    built: tuple[str, FeatureBuildResult],
) -> None:
    dsn, _ = built
    thin, thin_with_score, with_history, never_delinquent_filled = _one(
        dsn,
        "select count(*) filter (where is_thin_file), "
        "count(*) filter (where is_thin_file and bureau_score is not null), "
        "count(*) filter (where prior_installments > 0), "
        "count(*) filter (where months_since_last_delinquency = 0 "
        "and bureau_delinquencies = 0 and coalesce(max_dpd_history, 0) < 30) "
        "from marts.application_features",
    )
    assert thin > 0 and thin_with_score == 0
    assert with_history > 0
    assert never_delinquent_filled == 0


def test_label_bad_rate_is_plausible(built: tuple[str, FeatureBuildResult]) -> None:
    dsn, _ = built
    mature, bad_rate = _one(
        dsn,
        "select count(*), avg(is_default::int) from marts.application_labels where is_mature",
    )
    assert mature > 300
    assert 0.05 <= float(bad_rate) <= 0.35


def test_portfolio_marts_are_sane(built: tuple[str, FeatureBuildResult]) -> None:
    dsn, _ = built
    with connect(dsn) as conn:
        cursor = conn.execute("select * from marts.portfolio_summary")
        names = [d.name for d in cursor.description or ()]
        rows = cursor.fetchall()
        assert len(rows) == 1
        summary = dict(zip(names, rows[0], strict=True))
        shares = conn.execute(
            "select sum(loan_share), sum(outstanding_share) from marts.npa_class_shares"
        ).fetchone()
        cohorts = conn.execute(
            "select count(*), count(default_rate) from marts.cohort_default_rates"
        ).fetchone()
        months = conn.execute("select count(*) from marts.repayment_performance").fetchone()
        classes = conn.execute("select count(*) from marts.npa_classification").fetchone()
        warnings = conn.execute(
            "select count(*) from marts.loans_with_consecutive_late_payments"
        ).fetchone()
    assert summary["applications"] == APPLICATIONS
    assert (
        summary["approved_applications"]
        + summary["rejected_applications"]
        + summary["pending_applications"]
        == APPLICATIONS
    )
    assert 0.3 < summary["approval_rate"] < 1
    assert 0 < summary["active_loans"] <= summary["loans"]
    assert 0 < summary["defaulted_loans"] < summary["loans"]
    assert 0 < summary["npa_amount"] < summary["outstanding_principal"]
    assert summary["outstanding_principal"] < summary["disbursed_amount"]
    assert 0 < summary["npa_ratio"] < 0.6
    assert 0 < summary["default_rate"] < 0.4
    assert 0.5 < summary["on_time_emi_share"] < 1
    assert shares is not None and shares[0] == pytest.approx(1) and shares[1] == pytest.approx(1)
    assert cohorts is not None and cohorts[0] >= 24 and cohorts[1] >= 12
    assert months is not None and months[0] >= 24
    assert classes is not None and classes[0] == summary["loans"]
    assert warnings is not None and 0 < warnings[0] < summary["loans"]


def test_customer_features_cover_every_customer(built: tuple[str, FeatureBuildResult]) -> None:
    dsn, _ = built
    customers, rows, as_of_ok = _one(
        dsn,
        "select (select count(*) from raw.customers), count(*), "
        "bool_and(as_of_on = (select snapshot_on + 1 from raw.extract_metadata)) "
        "from marts.customer_features",
    )
    assert rows == customers and as_of_ok


def test_broken_relationship_fails_the_build_by_name(pg_server: str, tmp_path: Path) -> None:
    dsn = make_database(pg_server, "dbtfail")
    try:
        load_raw(dsn, GeneratorConfig(applications=300, seed=3))
        with connect(dsn) as conn:
            conn.execute(
                "alter table raw.collateral drop constraint collateral_application_id_fkey"
            )
            conn.execute(
                "insert into raw.collateral values (999999, 987654321, 'gold', 1000, '2024-01-01')"
            )
        with pytest.raises(FeatureBuildError) as raised:
            build_features(dsn, select="staging", target_path=tmp_path)
    finally:
        drop_database(pg_server, dsn)
    message = str(raised.value)
    result = raised.value.result
    assert not result.success and result.counts.get("fail") == 1
    ((node, why),) = result.failures
    assert "relationships_stg_raw__collateral_application_id" in node
    assert "Got 1 result" in why
    assert node in message and "then build again" in message


def test_unreachable_database_is_explained(tmp_path: Path) -> None:
    dsn = "postgresql://postgres@/missing?host=/nonexistent-socket-dir&port=5432"
    with pytest.raises(FeatureBuildError) as raised:
        build_features(dsn, select="stg_raw__customers", target_path=tmp_path)
    assert "nonexistent-socket-dir" in str(raised.value) or "connect" in str(raised.value).lower()
