"""The decision log: a row the table refuses is set aside, and the rest of its batch is written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from credit_risk.database import connect
from serving.decision_log import DecisionLog
from tests.conftest import drop_database, make_database

pytestmark = pytest.mark.integration


@pytest.fixture
def dsn(pg_server: str) -> Iterator[str]:
    dsn = make_database(pg_server, "decision_log")
    yield dsn
    drop_database(pg_server, dsn)


def _decision(application_id: str) -> dict[str, Any]:
    return {
        "scored_at": datetime.now(UTC),
        "application_id": application_id,
        "model_version": 1,
        "probability": 0.2,
        "credit_score": 700,
        "risk_band": "low",
        "decision": "approve",
        "threshold": 0.3,
        "reasons": [],
        "feature_sources": {"bureau": "none", "history": "none"},
    }


def _record(writer: DecisionLog, application_id: str, customer_id: int | None) -> None:
    writer.record(
        _decision(application_id),
        features={},
        customer_id=customer_id,
        model_name="m",
        request_source="score",
    )


def test_a_row_the_table_refuses_is_set_aside_and_the_rest_are_written(dsn: str) -> None:
    marker = uuid.uuid4().hex[:8]
    writer = DecisionLog(dsn, flush_seconds=60)  # flushed by hand below
    try:
        _record(writer, f"{marker}-1", 7)
        # Neither a bigint overflow nor a NUL character can be stored by PostgreSQL.
        _record(writer, f"{marker}-2", 2**63)
        _record(writer, f"{marker}-3\x00", None)
        _record(writer, f"{marker}-4", None)
        assert writer.flush() == 4
        assert writer.pending == 0
        _record(writer, f"{marker}-5", None)
        assert writer.flush() == 1  # the log goes on after a refused row
    finally:
        writer.close()
    with connect(dsn) as conn:
        written = [
            r[0]
            for r in conn.execute(
                "select application_id from serving.scoring_log order by id"
            ).fetchall()
        ]
        rejected = conn.execute(
            "select error, row_json from serving.scoring_log_rejected order by id"
        ).fetchall()
    assert written == [f"{marker}-{i}" for i in (1, 4, 5)]
    assert len(rejected) == 2
    assert "out of range" in rejected[0][0] and f"{marker}-2" in rejected[0][1]
    assert f"{marker}-3" in rejected[1][1]
