"""DSNs shown to people never carry the password; flows take them as secrets."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from credit_risk.database import flow_dsn, redacted


def test_the_password_is_replaced_and_the_rest_kept() -> None:
    shown = redacted("postgresql://risk:hunter2-long@db.internal:6543/credit")
    assert shown == "postgresql://risk:***@db.internal:6543/credit"
    assert "hunter2" not in shown
    assert redacted("postgresql://risk@db:5432/credit") == "postgresql://risk@db:5432/credit"


def test_a_flow_dsn_parameter_is_unwrapped() -> None:
    assert flow_dsn(SecretStr("postgresql://a:b@h/d")) == "postgresql://a:b@h/d"
    assert flow_dsn("postgresql://h/d") == "postgresql://h/d"
    assert flow_dsn(None) is None


def test_any_url_loses_its_password_and_keeps_the_rest() -> None:
    from credit_risk.database import redacted_url

    shown = redacted_url("postgresql+psycopg2://risk:hunter2@db.internal:6543/mlflow")
    assert shown == "postgresql+psycopg2://risk:***@db.internal:6543/mlflow"
    assert redacted_url("sqlite:///mlflow.db") == "sqlite:///mlflow.db"


def test_where_prints_hosts_and_never_a_password(tmp_path: Path) -> None:
    from cli.where import where_lines

    lines = "\n".join(
        where_lines(
            "postgresql://risk:hunter2-long@db.internal:6543/credit",
            "postgresql+psycopg2://risk:hunter2-long@db.internal:6543/mlflow",
            tmp_path,
        )
    )
    assert "hunter2" not in lines
    assert "db.internal:6543/credit" in lines and "db.internal:6543/mlflow" in lines
