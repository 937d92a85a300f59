"""`credit-risk data load`: a lender's export goes into raw only when every file fits the
contract, and gives the same features as the generated book it was written from."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from credit_risk.database import connect
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.export import write_book_files
from tests.books import STANDARD, BookTemplates
from tests.conftest import drop_database

pytestmark = pytest.mark.integration

FEATURES = "select * from marts.application_features order by application_id"


def _cli(dsn: str, *args: str) -> object:
    return CliRunner().invoke(app, list(args), env={"CREDIT_DATABASE__DSN": dsn})


def _frame(dsn: str, query: str) -> pd.DataFrame:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query)
        columns = [c.name for c in cur.description or []]
        return pd.DataFrame(cur.fetchall(), columns=columns)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The standard test book written as a lender's export."""
    folder = tmp_path_factory.mktemp("export")
    write_book_files(
        GeneratorConfig(applications=STANDARD.applications, seed=STANDARD.seed), folder
    )
    return folder


def test_the_example_export_round_trips_to_the_same_features(
    example: Path, books: BookTemplates, pg_dsn: str, pg_server: str, tmp_path: Path
) -> None:
    from credit_risk.feature_build import build_features
    from credit_risk.labelled_features import load_training_frame

    loaded = _cli(pg_dsn, "data", "load", str(example))
    assert loaded.exit_code == 0, loaded.output
    assert re.search(rf"raw\.applications +{STANDARD.applications:,}\n", loaded.output)
    build_features(pg_dsn, target_path=tmp_path / "dbt-target")
    generated = books.copy(STANDARD, "generated")
    try:
        expected = _frame(generated, FEATURES)
        frame = load_training_frame(pg_dsn)
        assert len(frame) == len(load_training_frame(generated))
    finally:
        drop_database(pg_server, generated)
    pd.testing.assert_frame_equal(_frame(pg_dsn, FEATURES), expected)
    assert frame["is_default"].isin([0, 1]).all() and frame["is_default"].sum() > 0


def test_a_broken_column_loads_nothing_and_keeps_the_previous_book(
    example: Path, books: BookTemplates, pg_server: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in example.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    with (broken / "applications.csv").open(newline="") as handle:
        records = list(csv.DictReader(handle))
    records[40]["loan_amount"] = "twelve thousand"
    with (broken / "applications.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(records[0]))
        writer.writeheader()
        writer.writerows(records)

    dsn = books.copy(STANDARD, "load")
    try:
        before = _frame(dsn, "select * from raw.applications order by application_id")
        refused = _cli(dsn, "data", "load", str(broken))
        assert refused.exit_code == 2, refused.output
        assert (
            "applications.csv, column loan_amount: not a number: row 42 ('twelve thousand')"
            in refused.output
        )
        assert "nothing was loaded" in refused.output
        after = _frame(dsn, "select * from raw.applications order by application_id")
        pd.testing.assert_frame_equal(after, before)
        bad_date = _cli(dsn, "data", "load", str(example), "--snapshot-on", "June")
        assert bad_date.exit_code == 2 and "--snapshot-on: 'June' is not a date" in bad_date.output
    finally:
        drop_database(pg_server, dsn)


def test_a_schema_of_the_database_loads_after_the_same_checks(
    books: BookTemplates, pg_server: str
) -> None:
    dsn = books.copy(STANDARD, "schema_load")
    try:
        with connect(dsn, autocommit=True) as conn:
            conn.execute("create schema legacy")
            for table in ("customers", "applications", "loans"):
                conn.execute(f"create table legacy.{table} as select * from raw.{table}")
        missing = _cli(dsn, "data", "load", "--from-schema", "legacy")
        assert missing.exit_code == 2
        assert "legacy.repayments: missing: every raw table is needed" in missing.output

        with connect(dsn, autocommit=True) as conn:
            conn.execute("drop schema legacy cascade")
            conn.execute("alter schema raw rename to legacy")
            conn.execute("create schema raw")  # what a first load finds: nothing yet
            conn.execute(
                "update legacy.loans set principal = -principal where loan_id = "
                "(select min(loan_id) from legacy.loans)"
            )
        refused = _cli(dsn, "data", "load", "--from-schema", "legacy")
        assert refused.exit_code == 2, refused.output
        assert "legacy.loans, column principal: negative, but it is an amount of money: row 1" in (
            refused.output
        )
        with connect(dsn, autocommit=True) as conn:
            conn.execute(
                "update legacy.loans set principal = -principal where loan_id = "
                "(select min(loan_id) from legacy.loans)"
            )
        loaded = _cli(dsn, "data", "load", "--from-schema", "legacy")
        assert loaded.exit_code == 0, loaded.output
        expected = _frame(dsn, "select * from legacy.repayments order by repayment_id")
        pd.testing.assert_frame_equal(
            _frame(dsn, "select * from raw.repayments order by repayment_id"), expected
        )
        snapshot = _frame(dsn, "select snapshot_on from raw.extract_metadata")
        assert snapshot.iloc[0, 0] == GeneratorConfig(applications=1).snapshot_on
        both = _cli(dsn, "data", "load", "somewhere", "--from-schema", "legacy")
        assert both.exit_code == 2 and "one of the two" in both.output
    finally:
        drop_database(pg_server, dsn)
