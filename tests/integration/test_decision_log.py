"""The decision log: a row the table refuses is set aside, and the rest of its batch is written."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from credit_risk.database import connect
from serving.decision_log import DecisionLog, ensure_table
from serving.decision_spool import DecisionSpool
from tests.conftest import drop_database, make_database
from tests.integration.service import logged_decisions

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


def _unreachable(dsn: str) -> str:
    """The same database on a port nothing listens on: a server that is down."""
    from dataclasses import replace

    from credit_risk.database import build_dsn, parse_dsn
    from tests.integration.service import free_port

    return build_dsn(replace(parse_dsn(dsn), host="127.0.0.1", port=free_port()))


def test_a_batch_written_twice_is_stored_once(dsn: str, tmp_path: Path) -> None:
    """A commit whose acknowledgement was lost is spooled and replayed: no second row."""
    marker = uuid.uuid4().hex[:8]
    decisions = [{**_decision(f"{marker}-{i}"), "decision_id": str(uuid.uuid4())} for i in range(3)]
    writer = DecisionLog(dsn, spool_dir=tmp_path, flush_seconds=60)
    try:
        for decision in decisions:
            writer.record(
                decision, features={}, customer_id=None, model_name="m", request_source="score"
            )
        batch = list(writer._rows)
        assert writer.flush() == 3
        writer.spool.put(batch)  # the same rows, as if the commit had not been acknowledged
        assert writer.replay() == 3
    finally:
        writer.close()
    assert logged_decisions(dsn, marker) == [
        (d["application_id"], d["decision_id"]) for d in decisions
    ]
    assert writer.spool.files() == []


def test_decisions_made_while_the_database_is_down_are_spooled_and_replayed(
    dsn: str, tmp_path: Path
) -> None:
    ensure_table(dsn)
    marker = uuid.uuid4().hex[:8]
    spool_dir = tmp_path / "spool"
    down = DecisionLog(_unreachable(dsn), spool_dir=spool_dir, flush_seconds=60)
    for i in range(5):
        _record(down, f"{marker}-{i}", None)
    down.close()  # as on SIGTERM: nothing reachable, so everything goes to the spool
    assert down.pending == 0
    assert len(DecisionSpool(spool_dir).files()) == 1
    assert logged_decisions(dsn, marker) == []

    back = DecisionLog(dsn, spool_dir=spool_dir, flush_seconds=0.05)  # the next start
    try:
        deadline = time.monotonic() + 30
        while len(logged_decisions(dsn, marker)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        back.close()
    logged = logged_decisions(dsn, marker)
    assert [app for app, _ in logged] == [f"{marker}-{i}" for i in range(5)]
    assert len({decision for _, decision in logged}) == 5
    assert DecisionSpool(spool_dir).files() == []
