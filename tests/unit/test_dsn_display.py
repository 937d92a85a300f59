"""DSNs shown to people never carry the password; flows take them as secrets."""

from __future__ import annotations

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
