"""Great Expectations suites on real PostgreSQL: a clean batch passes, each corruption is named."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from credit_risk.database import connect, parse_dsn, with_database
from expectations.batch_reference import compute_reference
from expectations.suites import Selection
from expectations.validate import DataValidationError, raise_for_failures, validate_data
from expectations.validation_report import NEXT_STEP
from tests.books import STANDARD, BookTemplates

pytestmark = pytest.mark.integration

FEATURES_TABLE = "marts.application_features"


def _drop(admin_dsn: str, dbname: str) -> None:
    with connect(with_database(admin_dsn, "postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{dbname}" with (force)')


@pytest.fixture(scope="module")
def template_dsn(books: BookTemplates) -> Iterator[str]:
    """The module's own copy of the standard book, itself copied for each test to corrupt."""
    dsn = books.copy(STANDARD, "gx_template")
    yield dsn
    books.drop(dsn)


@pytest.fixture(scope="module")
def reference(template_dsn: str) -> dict[str, float]:
    return compute_reference(template_dsn)


@pytest.fixture
def batch_dsn(pg_server: str, template_dsn: str) -> Iterator[str]:
    """A private copy of the template for one test to corrupt."""
    name = f"gx_batch_{uuid.uuid4().hex[:8]}"
    with connect(with_database(pg_server, "postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{parse_dsn(template_dsn).dbname}"')
    yield with_database(pg_server, name)
    _drop(pg_server, name)


def _execute(dsn: str, *statements: str) -> None:
    with connect(dsn) as conn:
        for statement in statements:
            conn.execute(statement)


def test_clean_batch_passes_every_suite_and_writes_data_docs(
    batch_dsn: str, reference: dict[str, float], tmp_path: Path
) -> None:
    summary = validate_data(batch_dsn, reports_dir=tmp_path, reference=reference)

    raise_for_failures(summary)
    assert summary.success and summary.failures == []
    suites = {r.suite for r in summary.results}
    assert {"raw.applications", "raw.employment", "raw.credit_bureau_reports"} <= suites
    assert FEATURES_TABLE in suites
    assert all(r.success and r.evaluated == r.succeeded > 0 for r in summary.results)
    assert summary.data_docs_index == tmp_path / "data_docs" / "index.html"
    assert summary.data_docs_index.is_file()
    written = json.loads(summary.write_json(tmp_path / "validation.json").read_text())
    assert written["success"] is True
    assert written["evaluated"] == summary.evaluated > 100
    # The connection details never reach the files GX writes.
    where = parse_dsn(batch_dsn)
    for page in (tmp_path / "data_docs").rglob("*.html"):
        assert where.dbname not in page.read_text(), page


CORRUPTIONS = {
    "null_income": (
        ["update raw.employment set monthly_income = null where employment_id % 20 = 0"],
        "select count(*) from raw.employment where monthly_income is null",
        {("raw.employment.monthly_income", "expect_column_values_to_not_be_null")},
        "raw.employment.monthly_income: expect_column_values_to_not_be_null — {n} nulls",
    ),
    "negative_loan_amount": (
        [
            "update raw.applications set loan_amount = -2500 "
            "where application_id = (select min(application_id) from raw.applications)"
        ],
        "select count(*) from raw.applications where loan_amount < 0",
        {("raw.applications.loan_amount", "expect_column_values_to_be_between")},
        "raw.applications.loan_amount: expect_column_values_to_be_between — "
        "{n} values out of range, e.g. -2500",
    ),
    "dropped_feature_column": (
        [f"alter table {FEATURES_TABLE} drop column dti"],
        "select 1",
        {
            (FEATURES_TABLE, "expect_table_columns_to_match_set"),
            (f"{FEATURES_TABLE}.dti", "expect_column_values_to_be_in_type_list"),
            (f"{FEATURES_TABLE}.dti", "expect_column_values_to_not_be_null"),
            (f"{FEATURES_TABLE}.dti", "expect_column_values_to_be_between"),
            (f"{FEATURES_TABLE}.dti", "expect_column_mean_to_be_between"),
        },
        f"{FEATURES_TABLE}: expect_table_columns_to_match_set — missing column(s) dti",
    ),
    "duplicated_application_id": (
        [
            # An upstream feed without keys: nothing stops the duplicate but the suite.
            "alter table raw.applications drop constraint applications_pkey cascade",
            "insert into raw.applications "
            "select * from raw.applications order by application_id limit 1",
        ],
        "select count(*) from raw.applications where application_id in "
        "(select application_id from raw.applications group by 1 having count(*) > 1)",
        {("raw.applications.application_id", "expect_column_values_to_be_unique")},
        "raw.applications.application_id: expect_column_values_to_be_unique — "
        "{n} rows share a duplicated value",
    ),
    "decided_before_applied": (
        [
            "update raw.applications set decided_on = applied_on - 3 "
            "where decided_on is not null and application_id % 50 = 0"
        ],
        "select count(*) from raw.applications where decided_on < applied_on",
        {("raw.applications.decided_on", "unexpected_rows_expectation")},
        "raw.applications.decided_on: unexpected_rows_expectation — {n} rows",
    ),
    "paid_after_the_snapshot": (
        [
            "update raw.repayments set paid_on = "
            "(select snapshot_on from raw.extract_metadata) + 10 "
            "where paid_on is not null and loan_id = "
            "(select min(loan_id) from raw.repayments where paid_on is not null)"
        ],
        "select count(*) from raw.repayments "
        "where paid_on > (select snapshot_on from raw.extract_metadata)",
        {("raw.repayments.paid_on", "unexpected_rows_expectation")},
        "raw.repayments.paid_on: unexpected_rows_expectation — {n} rows",
    ),
    "originated_before_decided": (
        [
            "update raw.loans as l set originated_on = a.decided_on - 5 "
            "from raw.applications as a "
            "where a.application_id = l.application_id and l.loan_id % 40 = 0"
        ],
        "select count(*) from raw.loans as l join raw.applications as a using (application_id) "
        "where l.originated_on < a.decided_on",
        {("raw.loans.originated_on", "unexpected_rows_expectation")},
        "raw.loans.originated_on: unexpected_rows_expectation — {n} rows (expected no rows with "
        "raw.loans.originated_on before raw.applications.decided_on of the same application_id)",
    ),
    "disbursed_before_originated": (
        [
            "update raw.disbursements as d set disbursed_on = l.originated_on - 2 "
            "from raw.loans as l where l.loan_id = d.loan_id and d.loan_id % 40 = 0"
        ],
        "select count(*) from raw.disbursements as d join raw.loans as l using (loan_id) "
        "where d.disbursed_on < l.originated_on",
        {("raw.disbursements.disbursed_on", "unexpected_rows_expectation")},
        "raw.disbursements.disbursed_on: unexpected_rows_expectation — {n} rows (expected no "
        "rows with raw.disbursements.disbursed_on before raw.loans.originated_on",
    ),
    "paid_before_originated": (
        [
            "update raw.repayments as r set paid_on = l.originated_on - 3 "
            "from raw.loans as l where l.loan_id = r.loan_id and r.paid_on is not null "
            "and r.installment_number = 1 and r.loan_id % 30 = 0"
        ],
        "select count(*) from raw.repayments as r join raw.loans as l using (loan_id) "
        "where r.paid_on < l.originated_on",
        {("raw.repayments.paid_on", "unexpected_rows_expectation")},
        "raw.repayments.paid_on: unexpected_rows_expectation — {n} rows (expected no rows with "
        "raw.repayments.paid_on before raw.loans.originated_on of the same loan_id)",
    ),
    "delinquent_before_the_oldest_account": (
        [
            "update raw.credit_bureau_reports set last_delinquency_on = oldest_account_on - 30 "
            "where last_delinquency_on is not null and report_id % 20 = 0"
        ],
        "select count(*) from raw.credit_bureau_reports "
        "where last_delinquency_on < oldest_account_on",
        {("raw.credit_bureau_reports.last_delinquency_on", "unexpected_rows_expectation")},
        "raw.credit_bureau_reports.last_delinquency_on: unexpected_rows_expectation — {n} rows",
    ),
    "loan_for_an_undecided_application": (
        [
            "update raw.applications set decided_on = null where application_id in "
            "(select application_id from raw.loans where loan_id % 40 = 0)"
        ],
        "select count(*) from raw.loans join raw.applications using (application_id) "
        "where decided_on is null",
        {("raw.loans.application_id", "unexpected_rows_expectation")},
        "raw.loans.application_id: unexpected_rows_expectation — {n} rows (expected no rows "
        "with raw.loans.application_id of an application not approved, or with no decided_on)",
    ),
    "shifted_dti": (
        [f"update {FEATURES_TABLE} set dti = dti * 2"],
        f"select 1 from {FEATURES_TABLE} limit 1",
        {(f"{FEATURES_TABLE}.dti", "expect_column_mean_to_be_between")},
        f"{FEATURES_TABLE}.dti: expect_column_mean_to_be_between — mean ",
    ),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupted_batch_fails_naming_table_column_and_problem(
    case: str, batch_dsn: str, reference: dict[str, float], tmp_path: Path
) -> None:
    statements, count_sql, expected_failures, expected_line = CORRUPTIONS[case]
    _execute(batch_dsn, *statements)
    with connect(batch_dsn) as conn:
        n = conn.execute(count_sql).fetchone()[0]  # type: ignore[index]
    assert n > 0

    # The copy's feature mart is rebuilt from nothing here, so a raw corruption cannot reach it:
    # each case runs the suites of what it corrupted (the clean test runs them all).
    touched: Selection = "features" if FEATURES_TABLE in " ".join(statements) else "raw"
    summary = validate_data(batch_dsn, reports_dir=tmp_path, reference=reference, tables=touched)
    with pytest.raises(DataValidationError) as raised:
        raise_for_failures(summary)

    assert {(f.where, f.expectation) for f in summary.failures} == expected_failures
    message = str(raised.value)
    lines = message.splitlines()
    assert any(line.strip().startswith(expected_line.format(n=n)) for line in lines), message
    assert len([line for line in lines if line.startswith("  ")]) == len(expected_failures)
    assert lines[-1] == NEXT_STEP
    assert raised.value.summary is summary
    assert summary.data_docs_index is not None and summary.data_docs_index.is_file()


def test_shifted_dti_names_the_reference_band(
    batch_dsn: str, reference: dict[str, float], tmp_path: Path
) -> None:
    _execute(batch_dsn, f"update {FEATURES_TABLE} set dti = dti * 2")

    summary = validate_data(batch_dsn, reports_dir=tmp_path, reference=reference, tables="features")

    [failure] = summary.failures
    observed = float(failure.observed.removeprefix("mean "))
    assert observed == pytest.approx(2 * reference["dti_mean"], rel=1e-5)
    low, high = 0.75 * reference["dti_mean"], 1.25 * reference["dti_mean"]
    assert failure.expected == f"mean in [{low:.6g}, {high:.6g}]"
    assert [r.suite for r in summary.results] == [FEATURES_TABLE]


def test_missing_feature_mart_is_reported_without_running_gx(pg_dsn: str, tmp_path: Path) -> None:
    summary = validate_data(pg_dsn, reports_dir=tmp_path, tables="features")

    with pytest.raises(DataValidationError, match=r"marts\.application_features: table_exists"):
        raise_for_failures(summary)
    assert summary.data_docs_index is None
