"""`credit-risk data generate` and the loader against a real PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from typer.testing import CliRunner

from cli.main import app
from credit_risk import raw_replace
from credit_risk.database import connect
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.loader import load_raw

pytestmark = pytest.mark.integration

RAW_TABLES = (
    "customers",
    "employment",
    "applications",
    "loans",
    "disbursements",
    "repayments",
    "collateral",
    "guarantors",
    "npa_tracking",
    "credit_bureau_reports",
)


def _counts(dsn: str) -> dict[str, int]:
    with connect(dsn) as conn:
        return {t: conn.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES}


def _cli(dsn: str, *args: str) -> object:
    return CliRunner().invoke(app, list(args), env={"CREDIT_DATABASE__DSN": dsn})


def test_cli_generates_requested_rows(pg_dsn: str) -> None:
    result = _cli(pg_dsn, "data", "generate", "--applications", "1200", "--seed", "3")
    assert result.exit_code == 0, result.output
    counts = _counts(pg_dsn)
    assert counts["applications"] == 1200
    assert all(counts[t] > 0 for t in RAW_TABLES)
    with connect(pg_dsn) as conn:
        orphans = conn.execute(
            "select count(*) from raw.loans l left join raw.disbursements d using (loan_id) "
            "where d.loan_id is null"
        ).fetchone()[0]
        fks = conn.execute(
            "select count(*) from information_schema.table_constraints "
            "where table_schema = 'raw' and constraint_type = 'FOREIGN KEY'"
        ).fetchone()[0]
    assert orphans == 0
    assert fks >= 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--applications", "-5"], "applications must be a positive"),
        (["--applications", "100", "--scenario", "boom"], "scenario must be one of"),
        (["--applications", "100", "--bad-rate", "2"], "bad_rate"),
        (["--applications", "100", "--schema", "governance"], "--schema: 'governance' is one"),
        (["--applications", "100", "--schema", "Raw"], "--schema: 'Raw' is not a schema name"),
    ],
)
def test_bad_arguments_change_nothing(pg_dsn: str, args: list[str], message: str) -> None:
    load_raw(pg_dsn, GeneratorConfig(applications=500, seed=1))
    before = _counts(pg_dsn)
    result = _cli(pg_dsn, "data", "generate", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert _counts(pg_dsn) == before


def test_platform_schemas_survive_a_generate_aimed_at_them(pg_dsn: str) -> None:
    from training.registry.promotion_log import ensure_table

    with connect(pg_dsn) as conn:
        ensure_table(conn)
        conn.execute(
            "insert into governance.promotion_log (model_name, action, actor, reason) "
            "values ('credit-risk', 'manual_promote', 'test', 'the champion history')"
        )
        conn.execute("create schema serving")
        conn.execute("create table serving.scoring_log (id int)")
    for schema in ("governance", "serving"):
        result = _cli(pg_dsn, "data", "generate", "--applications", "1000", "--schema", schema)
        assert result.exit_code == 2, result.output
        assert f"--schema: '{schema}' is one of the platform's own schemas" in result.output
    with connect(pg_dsn) as conn:
        log = conn.execute("select reason from governance.promotion_log").fetchall()
        kept = conn.execute("select to_regclass('serving.scoring_log') is not null").fetchone()
        generated = conn.execute("select to_regclass('governance.applications')").fetchone()
    assert log == [("the champion history",)]
    assert kept == (True,)
    assert generated == (None,)


def test_failed_load_keeps_the_previous_data(pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    load_raw(pg_dsn, GeneratorConfig(applications=500, seed=1))
    before = _counts(pg_dsn)

    def broken_constraints(schema: str) -> list[str]:
        return ["select 1 / 0"]

    monkeypatch.setattr(raw_replace, "constraint_sql", broken_constraints)
    with pytest.raises(Exception, match="division by zero"):
        load_raw(pg_dsn, GeneratorConfig(applications=900, seed=2))
    assert _counts(pg_dsn) == before


def test_readers_see_old_or_new_set_never_half(pg_dsn: str) -> None:
    load_raw(pg_dsn, GeneratorConfig(applications=500, seed=1))
    reader = connect(pg_dsn)
    reader.execute("begin isolation level repeatable read")
    first = reader.execute("select count(*) from raw.applications").fetchone()[0]
    done = threading.Event()
    worker = threading.Thread(
        target=lambda: (load_raw(pg_dsn, GeneratorConfig(applications=800, seed=2)), done.set())
    )
    worker.start()
    time.sleep(1.5)  # the swap now waits for the reader's lock
    assert not done.is_set()
    assert reader.execute("select count(*) from raw.applications").fetchone()[0] == first == 500
    reader.rollback()
    worker.join(timeout=60)
    reader.close()
    assert done.is_set()
    assert _counts(pg_dsn)["applications"] == 800


def test_db_url_and_status_use_the_configured_dsn(pg_dsn: str) -> None:
    result = _cli(pg_dsn, "db", "url")
    assert result.exit_code == 0
    assert result.output.strip() == pg_dsn
    status = _cli(pg_dsn, "db", "status")
    assert "external database configured" in status.output
