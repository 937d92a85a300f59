"""On the served path: the decision log's database goes down, the service is stopped (SIGTERM)
during the outage and started again after it. Every decision answered 200 is in
serving.scoring_log exactly once, under the decision_id the client was given."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from credit_risk.database import EmbeddedPostgres, connect, ensure_database, with_database
from serving.decision_log import ensure_table
from tests.integration.applications import RISKY, SAFE
from tests.integration.champion import Champion
from tests.integration.outage import copy_scoring_inputs, stop_hard
from tests.integration.service import API_KEY, bentoml_serve, service_env, service_role_uri

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BEFORE, DURING, AFTER = 10, 30, 10
REPLAY_TIMEOUT_SECONDS = 60


def _score(base: str, marker: str, count: int, start: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    answers = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(start, start + count):
            body = {**(SAFE if i % 2 else RISKY), "application_id": f"{marker}-{i:03d}"}
            response = client.post("/score", json=body)
            assert response.status_code == 200, response.text
            answers.append(response.json())
    return answers


def _logged(dsn: str, marker: str) -> list[tuple[str, str]]:
    with connect(dsn) as conn:
        rows = conn.execute(
            "select application_id, decision_id::text from serving.scoring_log "
            "where application_id like %s",
            (f"{marker}-%",),
        ).fetchall()
    return sorted((r[0], r[1]) for r in rows)


def _wait_for_rows(dsn: str, marker: str, expected: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
    logged = _logged(dsn, marker)
    while len(logged) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        logged = _logged(dsn, marker)
    return logged


def test_an_outage_and_a_restart_lose_no_decision_and_duplicate_none(
    champion: Champion,
    data_server: EmbeddedPostgres,
    pg_server: str,
    mlflow_tracking_uri: str,
    tmp_path: Path,
) -> None:
    dsn = with_database(data_server.start(), "served_outage")
    ensure_database(dsn)
    copy_scoring_inputs(champion.dsn, dsn)
    ensure_table(dsn)  # the service creates it on its first write; the test reads it earlier
    _, uri = service_role_uri(pg_server, mlflow_tracking_uri)
    env = service_env(dsn=dsn, tracking_uri=uri, model_name=champion.model_name, work=tmp_path)
    spool = tmp_path / "state" / "decision-spool"
    marker = uuid.uuid4().hex[:8]

    with bentoml_serve(env, tmp_path / "serve.log") as service:
        answers = _score(service.base, marker, BEFORE, 0)
        assert len(_wait_for_rows(dsn, marker, BEFORE)) == BEFORE
        stop_hard(data_server)
        answers += _score(service.base, marker, DURING, BEFORE)
    # the service was stopped with SIGTERM while the database was down
    assert list(spool.glob("*.jsonl")), "decisions made during the outage must be on disk"
    assert "rows spooled to" in (tmp_path / "serve.log").read_text()

    data_server.start()
    with bentoml_serve(env, tmp_path / "serve.log") as service:
        answers += _score(service.base, marker, AFTER, BEFORE + DURING)
        logged = _wait_for_rows(dsn, marker, len(answers))

    given = sorted((a["application_id"], a["decision_id"]) for a in answers)
    assert len({decision for _, decision in given}) == len(answers) == BEFORE + DURING + AFTER
    assert logged == given
    assert list(spool.glob("*.jsonl")) == []
